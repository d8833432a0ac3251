/**
 * Publishes a small scenario to the running services and prints what comes out: the events on the
 * topics and the status email the notifier wrote.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { buildCommand, commandMessage, TOPICS } from '../libs/contracts/src';
import { EnvReader } from '../libs/platform/src/config/env-reader';
import { readKafkaSettings } from '../libs/platform/src/config/kafka.config';

// The demo is a platform publisher: scripts/run-local.sh runs it as the `lms` principal (KAFKA_SASL_*).
const env = new EnvReader(process.env);
const settings = readKafkaSettings(env, 'demo');
env.done('demo');
const outbox = process.env.EMAIL_OUTBOX_DIR ?? 'var/emails';
const source = 'urn:proctoring:demo';

async function main(): Promise<void> {
  const kafka = new Kafka({ clientId: 'demo', brokers: settings.brokers, ssl: settings.ssl, sasl: settings.sasl, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  // A principal reads only with groups under `<principal>.` (SPEC §8.4).
  const principal = settings.sasl && 'username' in settings.sasl ? settings.sasl.username : 'lms';
  const consumer = kafka.consumer({ groupId: `${principal}.demo-${randomUUID()}` });
  await Promise.all([producer.connect(), consumer.connect()]);
  const run = randomUUID().slice(0, 8);
  const courseId = `course-v1:Demo+PROC101+${run}`;
  const examId = `demo-exam-${run}`;
  const userId = `demo-learner-${run}`;
  const seen: Record<string, unknown>[] = [];
  await consumer.subscribe({ topics: [TOPICS.attemptEvents, TOPICS.credentialEvents], fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const e = JSON.parse(message.value?.toString() ?? '{}') as { type: string; correlationid?: string; data: Record<string, unknown> };
      if (!String(e.correlationid ?? '').startsWith(`demo-${run}`)) return;
      seen.push(e);
      const d = e.data;
      const detail = e.type === 'AttemptStatusChanged' ? `${String(d.fromStatus)} → ${String(d.toStatus)}` : e.type === 'CredentialRequirementUpdated' ? String(d.status) : e.type === 'CommandProcessed' || e.type === 'CommandRejected' ? `${String(d.commandType)} ${String(d.outcome ?? d.reason)}` : (typeof d.status === 'string' ? d.status : '');
      process.stdout.write(`  event ${e.type.padEnd(30)} ${detail}\n`);
    },
  });
  await new Promise((r) => setTimeout(r, 1500)); // let the demo consumer join before publishing

  const send = async (c: ReturnType<typeof buildCommand>) => {
    process.stdout.write(`command ${c.type}\n`);
    await producer.send({ topic: TOPICS.commands, acks: -1, messages: [commandMessage(c)] });
  };
  const step = (n: number) => ({ source, correlationId: `demo-${run}-${n}` });
  await send(buildCommand('RegisterExam', { examId, courseId, contentId: 'block-final', examName: 'Final Exam', courseName: 'Proctoring 101', timeLimitMins: 90, isProctored: true, isPracticeExam: false }, step(1)));
  await send(buildCommand('CreateAttempt', { examId, userId, user: { username: 'demo', email: 'demo.learner@example.com' }, takingAsProctored: true }, step(2)));
  await waitFor(() => seen.some((e) => e.type === 'AttemptCreated'), 'AttemptCreated');
  await send(buildCommand('UpdateAttemptStatus', { examId, userId, toStatus: 'started' }, step(3)));
  await send(buildCommand('UpdateAttemptStatus', { examId, userId, toStatus: 'submitted' }, step(4)));
  await waitFor(() => seen.some((e) => e.type === 'AttemptStatusChanged' && (e.data as Record<string, unknown>).toStatus === 'submitted'), 'submitted');
  const eventId = (seen.find((e) => e.type === 'AttemptStatusChanged' && (e.data as Record<string, unknown>).toStatus === 'submitted') as { id: string }).id;
  const file = join(outbox, `${eventId}.eml`);
  await waitFor(() => existsSync(file), `email ${file}`);
  process.stdout.write(`\nemail written to ${file}:\n\n${readFileSync(file, 'utf8').split('\r\n').slice(0, 14).join('\n')}\n  …\n`);
  const created = seen.find((e) => e.type === 'AttemptCreated') as { data: { attemptId: string } };
  await readBack(created.data.attemptId);
  await consumer.disconnect();
  await producer.disconnect();
}

/** The read API needs a Bearer token (run-local.sh mints one from the local key as READ_API_TOKEN). */
async function readBack(attemptId: string): Promise<void> {
  const base = process.env.ATTEMPT_SERVICE_URL ?? 'http://127.0.0.1:3000';
  const url = `${base}/attempts/${attemptId}`;
  const token = process.env.READ_API_TOKEN;
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) {
    process.stdout.write(`\nread API: GET ${url} answered ${res.status}${res.status === 401 ? ' (a Bearer token is required: npm run --silent dev-token)' : ''}\n`);
    return;
  }
  const view = (await res.json()) as { status: string; transitions: { fromStatus: string | null; toStatus: string }[] };
  const path = view.transitions.map((t) => t.toStatus).join(' → ');
  process.stdout.write(`\nread API: GET ${url} (Bearer token) → ${view.status}; transitions ${path}\n`);
  process.stdout.write(`  try it: curl -H "Authorization: Bearer $(npm run --silent dev-token)" ${url}\n`);
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
