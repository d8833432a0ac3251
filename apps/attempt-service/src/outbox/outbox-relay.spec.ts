import { chunkByBytes, recordBytes } from './outbox-relay';

const row = (bytes: number, key: string | null = 'u1') => ({ key, value: Buffer.alloc(bytes, 0x61), headers: { 'content-type': 'x' } });

describe('chunkByBytes: one produce request stays under the broker limit', () => {
  it('keeps small rows together, in order', () => {
    const rows = [row(100), row(200), row(300)];
    expect(chunkByBytes(rows, 10_000)).toEqual([rows]);
  });

  it('starts a new chunk before the budget would be exceeded, and never reorders', () => {
    const rows = Array.from({ length: 20 }, (_, i) => row(100_000 + i));
    const chunks = chunkByBytes(rows, 900_000);
    expect(chunks.flat()).toEqual(rows);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) expect(c.reduce((n, r) => n + recordBytes(r), 0)).toBeLessThanOrEqual(900_000);
  });

  it('sends a row larger than the budget alone rather than never', () => {
    const rows = [row(10), row(2_000_000), row(10)];
    expect(chunkByBytes(rows, 900_000).map((c) => c.length)).toEqual([1, 1, 1]);
  });

  it('counts keys and headers, not only values', () => {
    const big = { key: 'k'.repeat(5000), value: Buffer.alloc(1), headers: { h: 'v'.repeat(5000) } };
    expect(recordBytes(big)).toBeGreaterThan(10_000);
  });

  it('has nothing to send for no rows', () => {
    expect(chunkByBytes([], 1000)).toEqual([]);
  });
});
