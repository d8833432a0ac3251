/**
 * Group commit: slices handed in by the partitions an instance consumes concurrently are applied
 * together, in one transaction, instead of one transaction each. kafkajs hands the slices of one
 * fetch to `eachBatch` at about the same moment and fetches again only when all of them are done, so
 * this costs no latency, and it divides the per-transaction work (statements, WAL flush, the outbox
 * relay's round trips) by the number of partitions.
 *
 * One group is in flight at a time; what arrives meanwhile forms the next group. Each caller gets
 * the outcomes of its own inputs, in order. A failure fails every caller of the group; each one
 * retries its own slice (the use case is idempotent, so that is safe).
 */
export class GroupCommit<I, O> {
  private readonly waiting: { inputs: I[]; resolve: (out: O[]) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  private running = false;

  /**
   * @param apply applies inputs in one transaction, returning one outcome per input, in order
   * @param maxInputs a group takes slices while they fit in this many inputs (always at least one slice)
   */
  constructor(
    private readonly apply: (inputs: I[]) => Promise<O[]>,
    private readonly maxInputs: number,
  ) {}

  submit(inputs: I[]): Promise<O[]> {
    return new Promise<O[]>((resolve, reject) => {
      this.waiting.push({ inputs, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    // Let the other partitions' handlers of the same fetch submit before the group closes.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.running || this.waiting.length === 0) return;
    this.running = true;
    const group: typeof this.waiting = [];
    let size = 0;
    while (this.waiting.length > 0 && (group.length === 0 || size + this.waiting[0].inputs.length <= this.maxInputs)) {
      const next = this.waiting.shift() as (typeof this.waiting)[number];
      group.push(next);
      size += next.inputs.length;
    }
    try {
      const out = await this.apply(group.flatMap((g) => g.inputs));
      if (out.length !== size) throw new Error(`expected ${size} outcomes, got ${out.length}`);
      let at = 0;
      for (const g of group) {
        g.resolve(out.slice(at, at + g.inputs.length));
        at += g.inputs.length;
      }
    } catch (e) {
      for (const g of group) g.reject(e);
    } finally {
      this.running = false;
      if (this.waiting.length > 0) this.schedule();
    }
  }
}
