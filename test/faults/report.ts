import type { ScenarioResult } from './scenario-kit';

/** "4× kill -9 attempt-service, 1× instance added" */
function faultSummary(r: ScenarioResult): string {
  const counts = new Map<string, number>();
  for (const f of r.faults) counts.set(f.label, (counts.get(f.label) ?? 0) + 1);
  if (counts.size === 0) return '—';
  return [...counts].map(([label, n]) => (n > 1 ? `${n}× ${label}` : label)).join(', ');
}

const cell = (n: number | null | undefined) => (n === null || n === undefined ? '?' : String(n));

function emailCell(r: ScenarioResult): string {
  const v = r.verdict;
  if (!v || v.duplicateEmails === null) return '—';
  const parts = [`${v.emailed ?? 0} sent once`];
  if ((v.parkedUnknown ?? 0) > 0) {
    parts.push(`${v.parkedUnknown} parked unknown${v.parkedNeverSent ? `, ${v.parkedNeverSent} of them never sent` : ''}`);
  }
  return `${v.duplicateEmails} (${parts.join(', ')})`;
}

function resultCell(r: ScenarioResult): string {
  if (r.passed) return 'pass';
  const why: string[] = [];
  if (r.verdict && r.verdict.diverged > 0) why.push(`${r.verdict.diverged} diverged`);
  if (r.problems.length > 0) why.push(`${r.problems.length} problem(s)`);
  if (!r.verdict) why.push('no verdict');
  return `**FAIL**${why.length ? ` (${why.join(', ')})` : ''}`;
}

function time(seconds: number): string {
  return seconds >= 90 ? `${(seconds / 60).toFixed(1)} min` : `${seconds.toFixed(0)} s`;
}

/** Verdict details grouped by kind ("lost: command …"), with a count and the first example of each. */
export function summarizeDetails(details: string[], top = 12): string[] {
  const groups = new Map<string, { n: number; example: string }>();
  for (const d of details) {
    const [head, ...rest] = d.split(':');
    const words = rest.join(':').trim().split(/[\s|]+/)[0];
    const key = `${head}: ${words}`;
    const g = groups.get(key);
    if (g) g.n++;
    else groups.set(key, { n: 1, example: d });
  }
  return [...groups.values()]
    .sort((a, b) => b.n - a.n)
    .slice(0, top)
    .map((g) => (g.n > 1 ? `${g.n}× like: ${g.example}` : g.example));
}

export function renderTable(results: ScenarioResult[]): string {
  const head = ['#', 'Scenario', 'Commands', 'Faults injected', 'Lost', 'Applied twice', 'Events missing', 'Duplicate emails', 'Time', 'Result'];
  const rows = results.map((r) => [
    r.id.split('-')[0].replace('s', ''),
    r.title,
    r.commands.toLocaleString('en-US'),
    faultSummary(r),
    cell(r.verdict?.lost),
    cell(r.verdict?.appliedTwice),
    cell(r.verdict?.eventsMissing),
    emailCell(r),
    time(r.seconds),
    resultCell(r),
  ]);
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Scenario 9 in the Scenarios list. */
export const SOAK_DESCRIPTION =
  '9. **Soak** (issue #15) — 30 minutes (4 in the reduced run, part of `npm test`) at 1,000 commands/s of the learner workload with emails (the attempt-service, the notifier and the SendGrid stub, no fault), generated lazily in batches of fresh learners, ' +
  'against a throwaway PostgreSQL configured like a production server (autovacuum on, fsync on; the shared server of the development machines runs with autovacuum off, and half an hour of churn there measures the missing vacuum, not the services). ' +
  "Every 10 s (2 s) the suite samples each service's RSS (`VmRSS` in /proc/<pid>/status) and V8 heap from `/metrics` (`nodejs_heap_size_used_bytes`, and `proctoring_heap_after_full_gc_bytes`: the heap used just after the latest full collection, the live heap), the unpublished outbox rows, the ledger rows pending or sending and the commands consumer lag; " +
  "every command's latency runs from the broker's append of the command (the soak's commands topic is `LogAppendTime`) to its outcome event's Kafka timestamp (stamped by the relay's producer), so neither end is a clock of the suite's and its own pauses count nowhere. " +
  "Per 5-minute (30-second) window it reports the mean RSS, the live heap (the window's lowest sample) and the mean heap used, p50/p99/max, the largest backlogs and the outbox and ledger table sizes, and draws the chart below (`docs/reliability-soak.png`, written with this file; every run leaves `soak.png` in `var/faults/<run>/s9-soak/`). " +
  'The SendGrid stub answers from another worker thread with its own heap (`test/faults/threaded-stub.ts`), as SendGrid does not pause with the suite: in the main thread it stopped for the suite\'s ~1 s collections and the notifier\'s sends waited them out. A worker thread of the suite sends the commands on a fixed schedule from its own V8 heap, so the suite\'s collections of the reference model (1 → 3 GB over the full soak) stop neither the schedule nor either clock of the latency (`test/faults/paced-publisher.ts`; `soak-samples.json` records per sample how late the schedule ran and the suite\'s own GC pauses). While it publishes, every other thread of the suite runs at nice 10 (`test/faults/thread-priority.ts`; the process-wide garbage-collection helpers and libuv pool those two share are lowered too): in production the load and the oracle are on other machines, and here the suite\'s main thread took a third of a core next to the services. ' +
  'The suite feeds the reference model with each chunk once the worker has written it, then reads every topic back message by message keeping only tallies (`EventTally` in `test/faults/verdict.ts`); `npm run faults` runs it with `--max-old-space-size=12288`, and the scenario refuses to start when its estimate exceeds V8\'s heap limit or the free memory (`FAULTS_SOAK_MINUTES=10` runs a shorter one, still in 6 windows).\n\n' +
  '   **No upward trend** (`test/faults/soak-trend.ts`), warm-up left out (window 1, every window starting in the first 90 s, and every window until the first whose median command is answered within a second: a start that fell behind the offered rate is a backlog being caught up, not a trend, as long as at least half the windows, and two, are left to judge; the reduced run normally judges windows 4–8): from the first window after it to the last, each service\'s live heap and (on 5-minute windows, the full soak) its RSS outside the V8 heap and its RSS may rise at most 20 % net and 15 % along the least-squares line through the windows (at least 16 MiB either way: a leak of ~30 bytes per command fails the full soak, ~150 the reduced one). Not judged: the heap used, whose lowest sample in a window moves with the collector\'s phase by ~20 MiB with no leak, and in the reduced run RSS, which follows V8\'s sizing of its heap by tens of MiB from one 30-second window to the next (the notifier 159 → 229 → 173 MiB while its live heap stayed at 37–41). ' +
  'p99 may rise at most ×2 + 50 ms (+ 400 ms on the reduced run\'s 30-second windows, whose p99 is set by one or two of the suite\'s own collections), and each backlog at most ×2 or 2 s of traffic; table sizes are reported only (both tables keep 7 days of rows). A violation is a problem line and fails the scenario, as does the usual verdict.\n\n' +
  '   ![soak: memory and p99 over time](reliability-soak.png)';

/** Scenario 10 in the Scenarios list (test/faults/retirement-scenario.ts). */
export const RETIREMENT_DESCRIPTION =
  '10. **Retirement across a crash** (issue #21) — a learner workload with emails; the notifier is killed -9 the moment the attempt-service has committed a `RetireLearner` (before it can have consumed `LearnerRetired`), restarted, and the workload goes on, the retired learner\'s later commands included. ' +
  "Then the notifier must have applied the retirement (its `retired_learner` row), its ledger must hold no address of the learner and nothing unsent for them, and the SendGrid stub must have received nothing for the learner after the restart; the usual verdict holds too (the reference model knows `RetireLearner`).";

/** Scenarios 11 and 12 in the Scenarios list (test/faults/disk-scenarios.ts). */
export const DISK_DESCRIPTIONS =
  '11. **Email folder full** (issue #15) — the notifier runs its file driver (no SendGrid key) with `EMAIL_OUTBOX_DIR` on its own 16 MiB tmpfs; after 20 emails a filler file fills the folder to the last byte for 40 s (20 s reduced profile), then is deleted. Every write fails with ENOSPC meanwhile: the driver removes its temporary file and reports itself `unavailable`, and the worker hands the row back unsent (no attempt counted, so no email is given up however long it lasts) and pauses sending (backoff, at most 30 s). An email is its `.eml` file: the suite counts the files renamed into place per event id (inotify) in place of the stub\'s requests, and fails on a `failed` row, a temporary file left behind or a restarted service. Recovery time: from the free until the first email is written, and until every email held back is.\n' +
  '12. **Database volume full** — a throwaway PostgreSQL (as in 4) whose data directory is its own 256 MiB tmpfs, filled to the last byte for 40 s (20 s) while commands keep coming, then freed. PostgreSQL fails relation extensions with `could not extend file … No space left on device` (an ERROR, class 53, retried by the services as an infrastructure fault) and, when a new WAL segment cannot be written, PANICs; if crash recovery then cannot write either, the postmaster exits and freeing space does not bring it back: the scenario then starts it again (the operator\'s restart, as after any crash) and says so in the fault. In the run of 2026-12-04 it did not come to that: 40 s full gave 39 `No space left on device` errors and no PANIC (the current WAL segment, preallocated, still had room), PostgreSQL stayed up and no restart was needed. The services are never restarted. Recovery time: from the free (and that restart) until a command published then is answered on the events topic.';

/** Scenario 6b in the Scenarios list. */
const PARTITION_DESCRIPTION =
  "6b. **A node cut off** (issue #15) — the same cluster with each node in a network namespace of its own behind a bridge (scripts/kafka.sh `KAFKA_CLUSTER_NET`; needs root and iproute2's `ip`, nothing to install). The node leading most of the commands topic's partitions (of those, the attempt-service group's coordinator) loses its link (`ip link set … down` on its end of the bridge) for 60 s (30 s in the reduced profile) while its JVM keeps running: it reaches neither the other nodes (the controller quorum) nor any client, and no client reaches it; every address is a permanent neighbour entry, so its connections hang and nothing is refused. Then it is plugged back in and must rejoin as a follower. Two times are measured, end to end from the suite's publish (each probe with a producer of its own): a command published at the cut (the majority, 2 of 3 nodes with min ISR 2, can serve it) and one published at the heal; each must be answered within 150 s. With 6b in a run the cluster starts namespaced and 6b runs before 6 (which leaves a node dead); `cluster-stop` removes the namespaces and the bridge, also on failure or Ctrl-C.";

/** Bugs the suite found, each fixed, each scenario kept (maintained by hand; the rest is generated). */
const FINDINGS = [
  '**Hostile input (7) stalled the outbox.** Dead letters of commands larger than 64 KiB filled one produce request beyond the broker\'s `message.max.bytes`; the relay retried the same request forever (nothing published after it). Fixed: the relay splits a read batch into requests of at most `OUTBOX_RELAY_MAX_REQUEST_BYTES`, and a dead-letter copy is cut to 512 KiB (`dlq-value-truncated`), so a single row always fits. Also covered by an integration test (a compressed 3 MB burst of dead letters).',
  '**Broker loss (6) stopped the attempt-service consuming.** With the group coordinator killed -9, kafkajs\'s offset commit never returned: no error, no crash event, heartbeats stopped, the member expired from the group and lag grew. Fixed: the transport abandons a consumer whose commit is pending after 20 s, that shows no sign of life for `CONSUMER_STALL_TIMEOUT_MS`, or that crashed without a kafkajs restart, and joins with a new one (readiness says `stalled`/`crashed` meanwhile; `proctoring_consumer_restarts_total`).',
  '**Broker outage (3) stopped the attempt-service consuming, once, after offsets were committed in the background.** A commit sent while kafkajs was restarting the consumer it had crashed (broker kill -9, coordinator still loading) hung; the watchdog abandoned the consumer after 20 s, and the group then stopped moving (lag 1,451 for 150 s) while the replacement stayed alive, so no stall was reported (the logs, at `warn`, do not show which member held the idle partitions; an abandoned consumer restarted by kafkajs would, because the transport skipped its batches without leaving). Fixed: commits wait until the current consumer has (re)joined the group, and an abandoned consumer whose batches still arrive is disconnected again. Scenario 3 then passed in four further runs.',
  "**A hung database connection (8b) stopped the attempt-service for good.** node-postgres waits for an answer forever by default: after a 30 s blackhole the connections it caught never answered, the batch transaction and the relay waited on them, and nothing moved (120 s, then the scenario gave up: 791 commands without outcome). Fixed: every pool has client-side bounds (`DATABASE_QUERY_TIMEOUT_MS`, default 30 s; `DATABASE_CONNECT_TIMEOUT_MS`, 10 s; TCP keep-alive); a timed-out query fails as an infrastructure fault (retried) and its connection is discarded without a ROLLBACK queued behind the lost answer. After the fix the service answers again within seconds of the heal.",
  "**A PostgreSQL connection reset (8a) killed the attempt-service.** node-postgres reports a lost connection both to the running query and as an `'error'` event on the client; its pool listens for that event only while a client is idle, so a reset while a transaction held the client was an unhandled `'error'` and the process exited (code 1). Fixed: `inTransaction` and the relay's leadership connection listen for it while they hold the client, and discard that client; `libs/platform/src/database/sql-runner.int-spec.ts` terminates the backend mid-transaction.",
  "**A Kafka blackhole (8d) stopped the outbox relay for good.** After 30 s of a broker that accepted and never answered, kafkajs timed out each Metadata request and retried it on the same caught connection, which never answers again: 4,036 events stayed in the outbox. Fixed: the Kafka clients' socket factory drops a connection that wrote a request and then read nothing for 75 s (`stall-detecting.socket.ts`, unit-tested on loopback sockets); kafkajs then connects again. Recovery after the heal is bounded by that 75 s (77.5 s measured).",
  '**A full email folder (11) would have failed every email held back, and left partial files.** The file driver left its temporary file behind when the write failed (ENOSPC after the file was created), and reported the full folder as a `retry` that used up the email\'s attempts: a folder full for longer than the retry budget (8 attempts, ~20 s with the suite\'s backoff, ~2 min by default) failed every email and sent it to the DLQ. Fixed: the temporary file is removed on any failure and synced before the rename; a file-system failure is the driver\'s `unavailable` outcome, and the worker holds the email back without counting an attempt and pauses sending until the folder takes files again (`apps/notifier/src/email/file.sender.spec.ts` simulates ENOSPC and fails on the old driver).',
  "**A node cut off (6b) made producers drop messages and say they were written.** kafkajs 2.2.4 retries a send only towards the brokers that have not answered yet, grouping the messages by the leaders it knows by then; a partition whose leader moved (here away from the cut-off node) to a broker that had already answered is left out, and the send resolves as if written. The suite's own publisher lost 23 commands that way (accepted, on no topic), and the outbox relay would have marked events published that were not (caught in the re-runs: `kafkajs resolved a send without writing to …events…/1, …credential.events…/2`); the bridge sends the same way. Fixed: their producers come from `connectCompleteProducer` (libs/platform/src/kafka/kafka-client.ts), whose partitioner records where a send put its messages and which fails a send whose result lacks one of those partitions, or that has no answer after 40 s (kafkajs retries a timed-out request on the same connection to the old leader); the caller then sends the batch again with a new producer (a partition already written gets the same ids twice, which consumers absorb). Still open: during a 60 s cut the services answer nothing new until the heal (the at-cut probe ≈ 70 s): the consumer needs ~40 s to abandon its commit to the cut-off coordinator and rejoin, then the relay's first send goes to the old leader and waits out a request timeout.",
  "**The soak (9) found the outbox relay's poll slowing with every published row.** Marking a row published leaves a dead entry in the partial index `outbox_unpublished_idx` until VACUUM, and the relay's poll walked all of them from the lowest id: with autovacuum off the empty poll took 27–38 ms after 3 minutes at 1,000 commands/s and grew with every command. Fixed: a poll reads from a floor 10,000 ids below the last published one and every 10 s reads the whole index for a slower straggler (`outbox-relay.spec.ts`); the poll now takes 1.5 ms.",
  "**The 30-minute soak (9) degraded on a server that never vacuums.** On the development machines' shared PostgreSQL (autovacuum off) the first full soak fell from 1,000 to ~590 commands/s within 26 minutes, the ledger's pending rows growing to 43,972: without ANALYZE the planner took `parked_at IS NOT NULL` for 99.5 % of the outbox and ran readiness's and the lag monitor's parked counts as parallel scans of the whole table (~10 s each at 2.25 M rows), and the ledger's claim walked 229 k dead tuples. Fixed for production: the migrations give the outbox, the inbox and the ledger fixed autovacuum thresholds (`CHURN_AUTOVACUUM`; PostgreSQL's default fractions of a table keeping 7 days of rows are millions of rows), both services warn at start when the server has autovacuum or track_counts off, and docs/operations.md says to keep them on. The soak now runs on a throwaway PostgreSQL configured like production; the 3-minute soak's p50 went from 240–950 ms to 40–79 ms.",
  "**A soak on a vacuuming server (9) had its p99 spike once a minute, higher as the outbox grew.** Marking an outbox row published updated it: never a HOT update (`published_at` was in two partial indexes), a new version of the whole ~1 KB row and a dead one for vacuum, so every autovacuum run read 65–90 % of the outbox again (11 → 14 s each within 6 minutes, up to 160 MB of WAL, mostly full-page images). A fillfactor of 50 (bcce56e) kept those runs from growing, not the tail. Fixed: what is left to publish is a narrow row in `attempts.outbox_pending`, deleted once published, and the outbox row is written once (migration `OutboxPending1765200000000`). Each outbox vacuum now reads only the pages written since the last (~18 k, 3–4 s, ~1 MB of WAL, no index scans) and the 30-minute soak's p50 went from 43–49 to 28–31 ms, its last window's p99 from 866 to 321 ms. The p99 still rises with the run (open, see \"Last run\").",
  '**Keys and headers with NUL (7b) stalled a partition** (PostgreSQL text refuses U+0000, and the refusal was retried as a fault). Fixed in the consumer: keys and headers are made storable before the transaction.',
];

export function renderReport(results: ScenarioResult[], o: { profile: string; seconds: number; machine: string }): string {
  const passed = results.filter((r) => r.passed).length;
  const lines: string[] = [];
  lines.push('# Reliability: the fault suite');
  lines.push('');
  lines.push('<!-- Generated by `npm run faults` (test/faults/run-faults.ts); the figures below are from its last full run. -->');
  lines.push('');
  lines.push(
    'The services promise effectively-once processing (SPEC §4): a crash, an outage or a rebalance loses no command, applies none twice, ' +
      'drops no event, and sends no status email twice except in the one documented window. This suite checks that promise end to end, with the built ' +
      'services running as child processes against real Kafka and PostgreSQL while faults are injected.',
  );
  lines.push('');
  lines.push('```bash');
  lines.push('npm run faults      # full suite, ~75 min on 2 cores (the soak is 30 of them; 6b needs root for its network namespaces, 11 and 12 for their tmpfs volumes); writes this file');
  lines.push('npm run faults:ci   # scenarios 1, 3, 7, 7b, 7c, 8b and the 4-minute soak 9 with smaller counts, ~10 min (part of npm test)');
  lines.push('node -r ts-node/register/transpile-only test/faults/run-faults.ts --only=2,4   # a subset (no report)');
  lines.push('```');
  lines.push('');
  lines.push('## Last run');
  lines.push('');
  lines.push(`${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${o.profile} profile, ${o.machine}, ${(o.seconds / 60).toFixed(1)} min: **${passed}/${results.length} scenarios passed**.`);
  lines.push('');
  lines.push(renderTable(results));
  lines.push('');
  lines.push(
    '"Commands" counts every message published to the commands topic, exam registrations included (valid, invalid, duplicate ids, unreadable). ' +
      '"Duplicate emails" is the number of extra requests the SendGrid stub received for one event id, then how many qualifying events were sent exactly once and how many were parked `unknown`.',
  );
  lines.push('');
  lines.push('### Details');
  lines.push('');
  for (const r of results) {
    lines.push(`**${r.id}** — ${r.title}. ${r.passed ? 'Passed.' : 'Failed.'}`);
    lines.push('');
    for (const f of r.faults) lines.push(`- fault: ${f.detail}`);
    if (r.verdict) {
      lines.push(
        `- ${r.verdict.republished} re-publication(s) after a fault: events sent again with their id, DLQ entries made again for the same source message (allowed: consumers de-duplicate on the id, or on the dlq-source-* coordinates)`,
      );
      const email = r.verdict.details.filter((d) => d.startsWith('parked unknown'));
      for (const d of email) lines.push(`- ${d}`);
    }
    if (r.notes.length > 0) lines.push('', ...r.notes);
    if (!r.passed) {
      for (const p of r.problems.slice(0, 10)) lines.push(`- problem: ${p.split('\n')[0]}`);
      for (const d of summarizeDetails(r.verdict?.details ?? [])) lines.push(`- ${d}`);
      for (const l of r.logSummary) lines.push(`- service log: ${l}`);
    }
    lines.push('');
  }
  lines.push('## What the suite found');
  lines.push('');
  for (const f of FINDINGS) lines.push(`- ${f}`);
  lines.push('');
  lines.push('## How a scenario is judged');
  lines.push('');
  lines.push(
    [
      'Each scenario has its own database (`proctoring_fault_<scenario>`, created and migrated) and its own suffixed topics. Exams are registered (and processed) first; ' +
        'then every learner\'s commands are published by one producer, keyed by the userId, in order, so per-key order is publish order.',
      '',
      "`test/support/reference.model.ts` computes the expected outcome from the same message values: it parses them with libs/contracts' `parseCommand` and applies " +
        'them through libs/domain (`planStatusChange`, `matchAttempt`, `createAttempt`, `removalEffects`) exactly as the attempt-service\'s handlers do — inbox claim by (source, id), ' +
        'rejections, no-ops, sample-attempt replacement, removal, cascades. Attempt ids differ, so state is compared by (examId, userId): status, version, takingAsProctored, ' +
        'transition rows and archived copies; events by (type, causationid, exam/user, essential payload), after de-duplicating on the event id.',
      '',
      "When the services' consumer groups have reached the end of their topics and the outbox and the email ledger are drained, the suite reads every topic back and counts:",
      '',
      '- **lost** — a command without its outcome event (`CommandProcessed`/`CommandRejected`), an unreadable message not on the commands DLQ, an attempt whose stored state lacks an effect the reference has, a qualifying email neither sent nor parked;',
      '- **applied twice** — two outcome events for one command, a version, transition row or archived copy beyond the reference, an effect event seen more often than expected, an unreadable message dead-lettered twice;',
      '- **events missing** — an expected event not on the topics;',
      '- **duplicate emails** — more than one request at the SendGrid stub for one event id. A send interrupted by `kill -9` after the stub accepted it is the documented window: its ledger row must be `unknown` (parked, not resent) — counted as "parked unknown", not as a duplicate. The table also says how many parked rows never reached the stub at all (claimed, not yet sent, when the process died): not duplicates either, but those learners get no email until an operator requeues them;',
      '- anything else that differs (another outcome than expected, a status that differs at the same version, an event nobody expected, a `sequence` that does not increase per key) is a divergence and fails the scenario too, as does a service that exits on its own.',
    ].join('\n'),
  );
  lines.push('');
  lines.push('## Scenarios');
  lines.push('');
  lines.push(
    [
      '1. **Crash** — attempt-service `kill -9`ed at random moments while it processes (after some progress, plus jitter), restarted each time; valid, invalid, duplicate-id and unreadable commands mixed. Each restart waits for the dead member\'s session (30 s) to expire before the group rebalances.',
      '2. **Notifier crash mid-send** — the notifier (SendGrid driver pointed at a local stub that answers in 0.3–1.2 s) is `kill -9`ed while requests are in flight at the stub; rows in flight become `unknown` after their lease and are not resent.',
      "3. **Broker outage** — the suite's own single-node broker (scripts/kafka.sh on a spare port) stopped (SIGTERM) or killed and restarted on its data while commands keep coming; the publisher re-sends what failed.",
      '4. **Database outage** — a throwaway PostgreSQL cluster (`initdb` + `pg_ctl` as the postgres OS user, data under /tmp, spare port) stopped (`-m fast`, `-m immediate`) and started again; the services must recover without a restart.',
      '5. **Rebalance** — three attempt-service instances in one group on 6 partitions; one killed -9, one added, mid-stream.',
      '6. **Broker loss** — a 3-node KRaft cluster (scripts/kafka.sh cluster-start: replication 3, min ISR 2); the node leading most of the scenario\'s partitions is killed -9 and stays down.',
      PARTITION_DESCRIPTION,
      '7. **Hostile input** — fast-check payloads (invalid JSON, binary garbage, non-objects, wrong types, > 64 KiB, unicode, NUL, unknown types, invalid statuses, missing and repeated ids, deep nesting, `__proto__`) interleaved with valid commands; each must be rejected with a reason, dead-lettered with a `dlq-reason` header, or — when it happens to be valid — applied, and the service must neither crash nor stall.',
      "7b. **Hostile keys and headers** — the parts of a Kafka message the contract does not validate: NUL in the key, a 6,000-character key (over the 1 KiB bound since SPEC §8.5: dead-lettered and rejected `INVALID_MESSAGE`), invalid UTF-8, an empty key, NUL and invalid UTF-8 header values, on commands that are rejected or dead-lettered.",
      "7c. **One attack at a time** (issue #17) — while a learner workload runs (with the notifier and the SendGrid stub): a value that is not JSON with a ~1 MB header; the same gzip-compressed with a 1.5 MB header (the uncompressed commands topic must refuse it); valid commands with 200,000- and 100,000-byte keys; a sender-set `dlq-value-truncated`; the addresses `x,victim@evil.example`, `undisclosed:victim@evil.example;` and `Evil<attacker@evil.example>`; an id and source shaped like addresses; an empty `toStatus`; and an exam named `Passed \\u202Edeliaf\\u202C exam`. After each attack a probe command must be answered within 10 s (`PROMPT_ANSWER_MS`, measured from its publish to its outcome on the events topic), the attack must be reported (a dead letter with `dlq-reason` and the cut named, or the expected `CommandRejected` reason). At the end both services must answer `/health/ready` 200, no email may go to or mention `evil.example`, the bidi exam's email must carry no bidi control, and no service log line may carry an `@evil.example` address. The reference model knows the bounds (a readable command over a bound is dead-lettered and rejected `INVALID_MESSAGE`).",
      "8a. **PostgreSQL latency and loss** (issue #15) — the attempt-service reaches its database through `test/support/fault-proxy.ts`, a TCP proxy in the path (this kernel has no `netem`): 200 ms ± 50 ms per chunk each way and 5 % of connections reset (RST) per 10 s, for 40 s (20 s in the reduced run), while commands keep coming; then healed. Recovery time: from the heal until a command published then is answered on the events topic.",
      "8b. **PostgreSQL blackhole** — the proxy answers nothing and refuses nothing for 30 s: connections open then hang, new ones are accepted and never reach the server. When it lifts, new connections work again but the ones it caught stay hung for good (a peer gone behind a firewall that forgot the flow), so only the service's own timeouts can free them. In the reduced run too.",
      "8c. **Kafka latency and loss** — the same proxy between the attempt-service and the broker: the suite's broker has a second listener (scripts/kafka.sh `KAFKA_PROXIED_PORT`) that advertises the proxy's port, so every connection the service opens (bootstrap, partition leaders, the group coordinator) goes through the proxy while the suite's publisher and observers use the broker directly. 200 ms ± 50 ms per chunk each way; a client keeps few long-lived connections to a broker, so 25 % of them are reset per 10 s. Full profile only.",
      "8d. **Kafka blackhole** — the proxy in front of the broker answers nothing and refuses nothing for 30 s; the connections it caught stay hung for good. Full profile only.",
      SOAK_DESCRIPTION,
      RETIREMENT_DESCRIPTION,
      DISK_DESCRIPTIONS,
    ].join('\n'),
  );
  lines.push('');
  lines.push(
    'Logs of every service, broker and migration of a run are kept under `var/faults/<timestamp>/<scenario>/`. Everything the suite starts is stopped on exit, including on failure or Ctrl-C; ' +
      "it never touches the shared PostgreSQL server's configuration or the shared broker on 9092.",
  );
  lines.push('');
  return lines.join('\n');
}
