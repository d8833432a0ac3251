import type { OutboxRecord } from '../persistence/outbox-message.row';

export type { OutboxRecord };

/**
 * Outbox rows this process committed and its relay has not published yet, kept so that the relay
 * does not read their values back from PostgreSQL. It changes nothing about what is published or in
 * which order: the relay still takes the ids of unpublished rows from the table, in id order, and
 * reads any row not found here (written by another instance, or committed before this relay led).
 * Only the relay's leader accepts rows; losing leadership drops them all. It is bounded in bytes: while
 * the relay cannot publish (a broker outage) the backlog stays in the table, not in memory.
 */
export class OutboxHandoff {
  private readonly rows = new Map<string, OutboxRecord>();
  private accepting = false;
  private bytes = 0;

  /** `maxBytes`: values held at most (default 8 MiB, about two groups of status events at saturation). */
  constructor(private readonly maxBytes = 8 * 1024 * 1024) {}

  get size(): number {
    return this.rows.size;
  }

  get heldBytes(): number {
    return this.bytes;
  }

  /** Called by the relay when it becomes (true) or stops being (false) the leader. */
  setAccepting(on: boolean): void {
    this.accepting = on;
    if (!on) this.clear();
  }

  /** Rows of a committed transaction: all of them, or none when they would not fit (or this process does not lead). */
  offer(rows: readonly OutboxRecord[]): void {
    if (!this.accepting) return;
    let n = 0;
    for (const r of rows) n += r.value.length;
    if (this.bytes + n > this.maxBytes) return;
    for (const r of rows) this.hold(r);
  }

  get(id: string): OutboxRecord | undefined {
    return this.rows.get(id);
  }

  forget(ids: readonly string[]): void {
    for (const id of ids) this.drop(id);
  }

  private hold(r: OutboxRecord): void {
    this.drop(r.id);
    this.rows.set(r.id, r);
    this.bytes += r.value.length;
  }

  private drop(id: string): void {
    const r = this.rows.get(id);
    if (!r) return;
    this.rows.delete(id);
    this.bytes -= r.value.length;
  }

  /**
   * `id` is the lowest unpublished id in the table, so every held row below it is published (a row is
   * offered only once committed). Rows are held roughly in id order: this stops at the first one at
   * or above `id`.
   */
  forgetBelow(id: string): void {
    for (const held of this.rows.keys()) {
      if (compareIds(held, id) >= 0) return;
      this.drop(held);
    }
  }

  /** Nothing is pending in the table: whatever is still held was published elsewhere or never will be. */
  clear(): void {
    this.rows.clear();
    this.bytes = 0;
  }
}

/** Orders bigint ids given as decimal text. */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
