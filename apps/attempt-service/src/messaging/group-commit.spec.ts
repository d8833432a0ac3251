import { GroupCommit } from './group-commit';

/** An `apply` that records each group and can be held open, standing in for the database transaction. */
function recorder() {
  const groups: number[][] = [];
  let hold: Promise<void> = Promise.resolve();
  let release: () => void = () => undefined;
  return {
    groups,
    holdNext() {
      hold = new Promise<void>((r) => (release = r));
    },
    release: () => release(),
    apply: async (inputs: number[]) => {
      groups.push(inputs);
      await hold;
      return inputs.map((n) => n * 10);
    },
  };
}

describe('GroupCommit: slices of concurrent partitions share one transaction', () => {
  it('applies slices submitted together as one group and gives each caller its own outcomes, in order', async () => {
    const r = recorder();
    const gc = new GroupCommit(r.apply, 1000);
    const [a, b, c] = await Promise.all([gc.submit([1, 2]), gc.submit([3]), gc.submit([4, 5, 6])]);
    expect(r.groups).toEqual([[1, 2, 3, 4, 5, 6]]);
    expect([a, b, c]).toEqual([[10, 20], [30], [40, 50, 60]]);
  });

  it('keeps one group in flight; what arrives meanwhile goes in the next group', async () => {
    const r = recorder();
    const gc = new GroupCommit(r.apply, 1000);
    r.holdNext();
    const first = gc.submit([1]);
    await new Promise((res) => setImmediate(res));
    const second = gc.submit([2]);
    const third = gc.submit([3]);
    await new Promise((res) => setTimeout(res, 20));
    expect(r.groups).toEqual([[1]]);
    r.release();
    expect(await Promise.all([first, second, third])).toEqual([[10], [20], [30]]);
    expect(r.groups).toEqual([[1], [2, 3]]);
  });

  it('closes a group before it would exceed maxInputs, but never leaves a large slice behind', async () => {
    const r = recorder();
    const gc = new GroupCommit(r.apply, 3);
    await Promise.all([gc.submit([1, 2]), gc.submit([3, 4]), gc.submit([5, 6, 7, 8])]);
    expect(r.groups).toEqual([[1, 2], [3, 4], [5, 6, 7, 8]]);
  });

  it('fails every caller of a failed group, and the next group runs normally', async () => {
    let fail = true;
    const gc = new GroupCommit(async (inputs: number[]) => {
      await Promise.resolve();
      if (fail) throw new Error('database down');
      return inputs;
    }, 100);
    const outcomes = await Promise.allSettled([gc.submit([1]), gc.submit([2])]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await gc.submit([3])).toEqual([3]);
  });

  it('refuses an apply that returns the wrong number of outcomes instead of mismatching them', async () => {
    const gc = new GroupCommit(() => Promise.resolve([1]), 100);
    await expect(gc.submit([1, 2])).rejects.toThrow(/expected 2 outcomes, got 1/);
  });
});
