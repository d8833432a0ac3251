import type { Consumer, Kafka } from 'kafkajs';
import { clientKafka } from './fault-infra';
import type { World } from './scenario-kit';
import { envelope, message, type ExamSpec } from './workload';

/** Outcomes seen on the events topic, by command id, with when they were seen. */
export class OutcomeWatch {
  readonly seen = new Map<string, { at: number; reason?: string }>();
  readonly deadLetters: { value: string; headers: Record<string, string> }[] = [];

  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka, topics: { events: string; dlq: string }, group: string): Promise<OutcomeWatch> {
    const consumer = kafka.consumer({ groupId: group, sessionTimeout: 30_000 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.events, topics.dlq], fromBeginning: true });
    const w = new OutcomeWatch(consumer);
    await consumer.run({
      eachMessage: async ({ topic, message: m }) => {
        if (topic === topics.dlq) {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = String(v);
          w.deadLetters.push({ value: m.value?.toString('utf8') ?? '', headers });
          return;
        }
        try {
          const e = JSON.parse(m.value?.toString('utf8') ?? '') as { type?: string; data?: { commandId?: string; reason?: string } };
          if ((e.type === 'CommandProcessed' || e.type === 'CommandRejected') && e.data?.commandId)
            w.seen.set(e.data.commandId, { at: Date.now(), reason: e.data.reason });
        } catch {
          // not ours to judge here: the verdict checks every event
        }
      },
    });
    return w;
  }

  async answeredWithin(commandId: string, sentAt: number, ms: number): Promise<number | null> {
    while (Date.now() - sentAt < ms) {
      const s = this.seen.get(commandId);
      if (s) return s.at - sentAt;
      await new Promise((r) => setTimeout(r, 50));
    }
    const s = this.seen.get(commandId);
    return s ? s.at - sentAt : null;
  }

  async deadLetterOf(value: string, ms: number): Promise<Record<string, string> | null> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const d = this.deadLetters.find((x) => x.value === value);
      if (d) return d.headers;
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}

/**
 * Publishes a probe (a fresh learner's CreateAttempt on `exam`) and returns how long its outcome took
 * to appear on the events topic, or null when it did not within `withinMs`.
 */
export async function probe(w: World, watch: OutcomeWatch, exam: ExamSpec, label: string, withinMs: number, ownProducer = false): Promise<number | null> {
  const userId = `${label}-probe-${probeCounter++}`;
  const id = `${userId}-cmd`;
  const m = message(userId, envelope('CreateAttempt', { examId: exam.examId, userId, user: { username: 'probe', email: `${userId}@learners.example.com` }, takingAsProctored: false }, id));
  const sentAt = Date.now();
  await w.publish([m], { ratePerSec: 1000, label: 'probe', ownProducer });
  return watch.answeredWithin(id, sentAt, withinMs);
}
let probeCounter = 0;

/** An OutcomeWatch on a world's events and DLQ topics, with a group of its own. */
export function watchOutcomes(w: World, tag: string): Promise<OutcomeWatch> {
  return OutcomeWatch.start(clientKafka(w.o.brokers, `faults-${w.o.id}-watch`), { events: w.topics.attemptEvents, dlq: w.topics.commandsDlq }, `${w.o.id}-${tag}-watch`);
}
