import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';

/** Test factories for v1 commands as a publisher would write them (plain CloudEvents JSON). */
export function command(type: string, data: Record<string, unknown>, o: { id?: string; source?: string; correlationid?: string } = {}) {
  return {
    specversion: '1.0',
    id: o.id ?? randomUUID(),
    source: o.source ?? 'urn:test:publisher',
    type,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    ...(o.correlationid ? { correlationid: o.correlationid } : {}),
    data,
  };
}

export function uniq(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function registerExam(o: { examId: string; courseId: string; contentId?: string; [k: string]: unknown }) {
  return command('RegisterExam', {
    contentId: `block-${o.examId}`,
    examName: `Exam ${o.examId}`,
    timeLimitMins: 60,
    isProctored: true,
    isPracticeExam: false,
    courseName: 'Demo Course',
    ...o,
  });
}

export function createAttempt(o: { examId: string; userId: string; [k: string]: unknown }) {
  return command('CreateAttempt', {
    user: { username: `name-${o.userId}`, email: `${o.userId}@learners.example.com` },
    takingAsProctored: true,
    ...o,
  });
}

export function updateStatus(o: { toStatus: string; [k: string]: unknown }) {
  return command('UpdateAttemptStatus', o);
}

export function keyOf(c: { type: string; data: Record<string, unknown> }): string {
  return String(c.type === 'RegisterExam' ? c.data.courseId : (c.data.userId ?? c.data.attemptId ?? 'none'));
}

export async function publish(producer: Producer, topic: string, ...commands: ReturnType<typeof command>[]): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    messages: commands.map((c) => ({
      key: keyOf(c),
      value: JSON.stringify(c),
      headers: { 'content-type': 'application/cloudevents+json' },
    })),
  });
}
