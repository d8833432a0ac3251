import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompressionTypes } from 'kafkajs';
import { DLQ_HEADERS } from '../../libs/contracts/src';
import { javaCompatiblePartitioner } from '../../libs/platform/src/kafka/murmur2.partitioner';
import { clientKafka, say } from './fault-infra';
import { probe, watchOutcomes, type OutcomeWatch } from './outcome-watch';
import type { World } from './scenario-kit';
import { envelope, message, type ExamSpec, type OutMessage } from './workload';

/**
 * Scenario 7c: the attacks of issue #17, one message each, replayed against the built services while a
 * learner workload runs. After each attack the next good command must be answered within
 * PROMPT_ANSWER_MS (a check of this suite, not a timed unit test), readiness must stay truthful, and
 * the attack must be reported with a reason (a dead letter's `dlq-reason`, or a `CommandRejected`).
 */
export const PROMPT_ANSWER_MS = 10_000;

const EVIL = 'evil.example';
const BIDI = /[\u202A-\u202E\u2066-\u2069]/;

interface Attack {
  name: string;
  /** The attack's messages (the last one is the attack; any before it set the stage). */
  messages: () => OutMessage[];
  /** Sent gzip-compressed: the broker must refuse it (it never reaches the service). */
  compressed?: boolean;
  /** What the dead letter of the attack must carry, when it is dead-lettered. */
  deadLetter?: (headers: Record<string, string>) => string | null;
  /** The outcome reason its command must get, when it gets one. */
  rejected?: string;
}

function attacks(tag: string, exam: ExamSpec): Attack[] {
  let n = 0;
  const id = () => `${tag}-attack-${++n}`;
  const create = (userId: string, email = `${userId}@learners.example.com`) =>
    envelope('CreateAttempt', { examId: exam.examId, userId, user: { username: `n-${userId}`, email }, takingAsProctored: true }, id());
  return [
    {
      name: 'not JSON with a ~1 MB header',
      messages: () => [{ key: `${tag}-a1`, value: `not json ${tag}-a1`, headers: { big: Buffer.alloc(1_000_000, 0x61) } }],
      deadLetter: (h) => (h[DLQ_HEADERS.headersCut] && !h.big ? null : 'headers not cut'),
    },
    {
      name: 'gzip-compressed, 1.5 MB header (refused by the uncompressed commands topic)',
      messages: () => [{ key: `${tag}-a2`, value: `not json ${tag}-a2`, headers: { big: Buffer.alloc(1_500_000, 0x61) } }],
      compressed: true,
    },
    {
      name: 'valid command with a 200,000-byte key',
      messages: () => [{ key: Buffer.alloc(200_000, 0x6b), value: JSON.stringify(create(`${tag}-a3`)) }],
      rejected: 'INVALID_MESSAGE',
      deadLetter: (h) => (h[DLQ_HEADERS.keyCut] === '200000' ? null : 'key not cut'),
    },
    {
      name: 'valid command with a 100,000-byte key',
      messages: () => [{ key: Buffer.alloc(100_000, 0x6b), value: JSON.stringify(create(`${tag}-a4`)) }],
      rejected: 'INVALID_MESSAGE',
      deadLetter: (h) => (h[DLQ_HEADERS.keyCut] === '100000' ? null : 'key not cut'),
    },
    {
      name: 'sender-set dlq-value-truncated: 999999',
      messages: () => [{ key: `${tag}-a5`, value: `not json ${tag}-a5`, headers: { [DLQ_HEADERS.valueTruncated]: '999999' } }],
      deadLetter: (h) => (h[DLQ_HEADERS.valueTruncated] === undefined ? null : 'sender dlq-* header kept'),
    },
    ...['x,victim@evil.example', 'undisclosed:victim@evil.example;', 'Evil<attacker@evil.example>'].map(
      (email, i): Attack => ({
        name: `email address ${JSON.stringify(email)}`,
        messages: () => [message(`${tag}-e${i}`, create(`${tag}-e${i}`, email))],
        rejected: 'INVALID_MESSAGE',
      }),
    ),
    {
      name: 'command id and source shaped like email addresses',
      messages: () => [message(`${tag}-a6`, { specversion: '1.0', id: `${tag}-victim@${EVIL}`, source: `mailto:boss@${EVIL}`, type: 'CreateAttempt', data: {} })],
      rejected: 'INVALID_MESSAGE',
    },
    {
      name: 'empty toStatus',
      messages: () => [
        message(`${tag}-a7`, create(`${tag}-a7`)),
        message(`${tag}-a7`, envelope('UpdateAttemptStatus', { examId: exam.examId, userId: `${tag}-a7`, toStatus: '' }, id())),
      ],
      rejected: 'INVALID_STATUS',
    },
  ];
}

/**
 * Runs the attacks one by one on `w` (services already started, exams registered), each followed by
 * a probe (a fresh learner's CreateAttempt) that must be answered within PROMPT_ANSWER_MS. Problems
 * go to `w.problem`; each attack is recorded as a fault with the probe's answer time.
 */
export async function replayAttacks(w: World, tag: string, exam: ExamSpec): Promise<void> {
  const kafka = clientKafka(w.o.brokers, `faults-${w.o.id}-attacker`);
  const watch = await watchOutcomes(w, tag);
  const raw = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: javaCompatiblePartitioner, retry: { retries: 0 } });
  await raw.connect();
  try {
    for (const a of attacks(tag, exam)) {
      const msgs = a.messages();
      if (a.compressed) {
        const refused = await raw
          .send({ topic: w.topics.commands, acks: -1, compression: CompressionTypes.GZIP, messages: msgs })
          .then(() => null, (e: unknown) => (e instanceof Error ? e.message : String(e)));
        if (refused === null) w.problem(`7c ${a.name}: the broker accepted it (the commands topic must be uncompressed with a 1 MiB bound)`);
      } else {
        await w.publish(msgs, { ratePerSec: 1000, label: a.name });
      }
      const ms = await probe(w, watch, exam, tag, PROMPT_ANSWER_MS);
      if (ms === null) w.problem(`7c ${a.name}: the next good command was not answered within ${PROMPT_ANSWER_MS} ms`);
      const reported = await reportOf(a, msgs[msgs.length - 1], watch);
      if (reported.problem) w.problem(`7c ${a.name}: ${reported.problem}`);
      w.fault(a.name, `${a.name}: ${reported.how}; next command answered in ${ms ?? '>' + PROMPT_ANSWER_MS} ms`);
      say(`${w.o.id}: ${a.name}: ${reported.how}; next command answered in ${ms ?? '—'} ms`);
    }
  } finally {
    await raw.disconnect().catch(() => undefined);
    await watch.stop();
  }
}

async function reportOf(a: Attack, m: OutMessage, watch: OutcomeWatch): Promise<{ how: string; problem?: string }> {
  if (a.compressed) return { how: 'refused by the broker' };
  const parts: string[] = [];
  let problem: string | undefined;
  if (a.rejected) {
    const body = JSON.parse(String(m.value)) as { id: string };
    const end = Date.now() + 15_000;
    while (!watch.seen.has(body.id) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    const seen = watch.seen.get(body.id);
    if (!seen) problem = 'no outcome for it';
    else if (seen.reason !== a.rejected) problem = `outcome reason ${seen.reason ?? 'none (applied)'}, expected ${a.rejected}`;
    else parts.push(`rejected ${seen.reason}`);
  }
  if (a.deadLetter) {
    const headers = await watch.deadLetterOf(String(m.value), 15_000);
    if (!headers) problem ??= 'not dead-lettered';
    else {
      const wrong = a.deadLetter(headers);
      if (wrong) problem ??= wrong;
      parts.push(`dead-lettered (${headers[DLQ_HEADERS.reason] ?? 'no reason!'})`);
      if (!headers[DLQ_HEADERS.reason]) problem ??= 'dead letter without dlq-reason';
    }
  }
  return { how: parts.join(', ') || 'reported', problem };
}

/** Problems with the email side of the attacks: an outside recipient, a bidi control in an email. */
export function emailProblems(requests: { body?: unknown }[], bidiUser: string): string[] {
  const problems: string[] = [];
  let bidiMails = 0;
  for (const r of requests) {
    const text = JSON.stringify(r.body ?? {});
    if (text.includes(EVIL)) problems.push(`an email went to or mentions ${EVIL}`);
    if (text.includes(bidiUser)) {
      bidiMails++;
      const body = r.body as { subject?: string; content?: { value?: string }[] };
      const texts = [body.subject ?? '', ...(body.content ?? []).map((c) => c.value ?? '')];
      if (texts.some((t) => BIDI.test(t))) problems.push('a bidi control reached an email subject or body');
      if (!texts.every((t) => t.includes('Passed deliaf exam'))) problems.push('the exam name is missing from an email');
    }
  }
  if (bidiMails === 0) problems.push('the email of the learner of the bidi exam was not sent');
  return problems;
}

/** Log lines of the world's services that carry an address at `EVIL`. */
export function leakedInLogs(logDir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(logDir).filter((x) => x.endsWith('.log'))) {
    for (const line of readFileSync(join(logDir, f), 'utf8').split('\n')) if (line.includes(`@${EVIL}`)) out.push(`${f}: ${line.slice(0, 200)}`);
  }
  return out;
}
