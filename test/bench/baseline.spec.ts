import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EndToEndResult } from '../../bench/phases/end-to-end.phase';
import { baselineChecks, readBaseline, type EndToEndBaseline } from '../../bench/report/report';

const machine = { cpuModel: 'AMD EPYC', cores: 2 };
const base: EndToEndBaseline = {
  commit: 'abc1234',
  measuredAt: '2026-12-04T23:00:00Z',
  ...machine,
  learners: 2000,
  saturationPerSecond: 4000,
  p99MsAt: { '1000': 80 },
  tolerance: { saturation: 0.1, p99: 0.25 },
};

/** The parts of (c)'s result the checks read. */
const endToEnd = (perSecond: number, p99Ms: number, missing = 0, learners = 2000) =>
  ({
    learners,
    saturation: { perSecond },
    latency: [{ offeredPerSecond: 1000, missing, latency: { p99Ms } }],
  }) as unknown as EndToEndResult;

describe('the 2,000-learner baseline (issue #23: no worse than before)', () => {
  it('passes within the tolerance and misses beyond it, for saturation and p99 each', () => {
    expect(baselineChecks(endToEnd(3600, 100), base, machine).map((c) => c.pass)).toEqual([true, true]);
    expect(baselineChecks(endToEnd(3599, 100.1), base, machine).map((c) => c.pass)).toEqual([false, false]);
    expect(baselineChecks(endToEnd(5000, 50, 3), base, machine)[1].pass).toBe(false);
  });

  it('does not judge on another kind of machine, or without a baseline or a measurement', () => {
    const other = baselineChecks(endToEnd(5000, 10), base, { cpuModel: 'Intel Xeon', cores: 2 });
    expect(other.map((c) => c.pass)).toEqual([null, null]);
    expect(other[0].measured).toContain('not comparable');
    expect(baselineChecks(endToEnd(5000, 10), null, machine)).toEqual([expect.objectContaining({ pass: null, measured: expect.stringContaining('no baseline') })]);
    expect(baselineChecks(undefined, base, machine).map((c) => c.pass)).toEqual([null, null]);
    const smoke = baselineChecks(endToEnd(5000, 10, 0, 200), base, machine);
    expect(smoke.map((c) => c.pass)).toEqual([null, null]);
    expect(smoke[0].measured).toContain('baseline of 2,000 learners: not comparable');
  });

  it('reads the committed file and refuses a malformed one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baseline-'));
    expect(readBaseline(join(dir, 'missing.json'))).toBeNull();
    writeFileSync(join(dir, 'ok.json'), JSON.stringify(base));
    expect(readBaseline(join(dir, 'ok.json'))).toEqual(base);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...base, p99MsAt: { fast: 1 } }));
    expect(() => readBaseline(join(dir, 'bad.json'))).toThrow(/not a baseline/);
  });
});
