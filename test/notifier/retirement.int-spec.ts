import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { RETIRED_EMAIL } from '../../libs/domain/src';
import { FileSender } from '../../apps/notifier/src/email/file.sender';
import { createTestLedger, statusChanged, TestPipeline, type TestLedger } from './notifier.fixture';

/** The notifier's side of learner retirement (SPEC §8.3), on a real ledger and the file sender. */
describe('notifier: LearnerRetired', () => {
  let db: TestLedger;
  let dir: string;
  let sender: FileSender;
  let p: TestPipeline;

  beforeAll(async () => {
    db = await createTestLedger();
    dir = mkdtempSync(join(tmpdir(), 'notifier-retire-'));
    sender = new FileSender({ outboxDir: dir });
    p = new TestPipeline(db, { sender });
  });

  afterAll(async () => {
    await p?.stopAll();
    await db?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const learnerRetired = (userId: string) =>
    JSON.stringify({
      specversion: '1.0',
      id: randomUUID(),
      source: 'urn:proctoring:attempt-service',
      type: 'LearnerRetired',
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      causationid: randomUUID(),
      correlationid: randomUUID(),
      sequence: '9',
      data: { userId },
    });

  it('cancels a claim in flight: its late outcome is not recorded, and the row reads cancelled so its file is forgotten', async () => {
    const e = statusChanged();
    const userId = e.data.userId;
    await p.consume(e);
    const [claim] = await db.ledger.claimDue(10, 'worker-1', 60_000);
    expect(claim.eventId).toBe(e.id);
    // the learner is retired while the worker is sending
    const summary = await p.consumeRaw([learnerRetired(userId)]);
    expect(summary.retired).toBe(1);
    expect(await db.ledger.find(e.id)).toMatchObject({ status: 'cancelled', leaseOwner: null });
    // the send finishes: the file is written, but the outcome does not apply...
    await sender.send({ eventId: claim.eventId, from: claim.from, to: claim.to, subject: claim.subject, html: claim.html, text: claim.text });
    expect(existsSync(sender.pathFor(e.id))).toBe(true);
    expect(await db.ledger.completeMany([{ eventId: e.id, attempts: claim.attempts, requeues: claim.requeues, status: 'sent', providerMessageId: null, statusCode: null }])).toEqual([]);
    expect(await db.ledger.find(e.id)).toMatchObject({ status: 'cancelled' });
    // ...and what the driver kept is deleted once the row is found cancelled (DeliveryWorker.forgetCancelledSends)
    expect(await db.ledger.cancelledAmong([e.id])).toEqual([e.id]);
    await sender.forget([e.id]);
    expect(existsSync(sender.pathFor(e.id))).toBe(false);
  });

  it('the worker forgets a send that lands after the retirement', async () => {
    const e = statusChanged();
    await p.consume(e);
    const worker = p.startWorker();
    // retire right away: whether the worker sent it first or not, nothing of it is left afterwards
    await p.consumeRaw([learnerRetired(e.data.userId)]);
    await worker.stop();
    const row = await db.ledger.find(e.id);
    expect(['sent', 'cancelled']).toContain(row?.status);
    expect(existsSync(sender.pathFor(e.id))).toBe(false);
  });

  it('never records an email to a retired learner again, whatever the event says; retiring twice is harmless', async () => {
    const first = statusChanged();
    const userId = first.data.userId;
    await p.consumeRaw([learnerRetired(userId)]);
    await p.consumeRaw([learnerRetired(userId)]);
    // a later event with the real address (another publisher, or one published before the retirement reached it)
    const later = { ...first, id: randomUUID() };
    const summary = await p.consume(later);
    expect(summary.recorded).toBe(0);
    expect(await db.ledger.find(later.id)).toBeNull();
    // an event carrying the placeholder address is not an email to record either
    const placeholder = statusChanged({ email: RETIRED_EMAIL });
    expect((await p.consume(placeholder)).recorded).toBe(0);
    expect(await db.ledger.isRetired(userId)).toBe(true);
  });

  it('requeue never moves a cancelled row', async () => {
    const e = statusChanged();
    await p.consume(e);
    await db.dataSource.query(`UPDATE "${db.schema}".email_delivery SET status = 'failed' WHERE event_id = $1`, [e.id]);
    await p.consumeRaw([learnerRetired(e.data.userId)]);
    expect(await db.ledger.requeue({ kind: 'event', eventId: e.id })).toEqual([]);
    expect(await db.ledger.find(e.id)).toMatchObject({ status: 'cancelled' });
  });
});
