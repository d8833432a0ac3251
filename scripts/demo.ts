/**
 * Publishes a small scenario to the running services and prints what comes out: the events on the
 * topics and the status email the notifier wrote.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { buildCommand, commandMessage, TOPICS } from '../libs/contracts/src';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const outbox = process.env.EMAIL_OUTBOX_DIR ?? 'var/emails';
const source = 'urn:proctoring:demo';

async function main(): Promise<void> {
  const kafka = new Kafka({ clientId: 'demo', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: `demo-${randomUUID()}` });
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
  await consumer.disconnect();
  await producer.disconnect();
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
