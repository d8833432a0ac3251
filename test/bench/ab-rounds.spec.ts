import type { EndToEndResult } from '../../bench/phases/end-to-end.phase';
import { ISSUE_23_BASE, parseArgs } from '../../bench/bench.config';
import { abChecks, abRound, derive, medianOf, type AbComparison, type AbRound } from '../../bench/report/report';
import { abSchedule, runAbRounds } from '../../bench/support/ab-rounds';
import type { CodeUnderTest } from '../../bench/support/base-code';

const BASE = '51d545956825672';
const MAIN = '2242e16aaaaaaaa';

const round = (label: AbRound['label'], n: number, saturation: number | null, p99: Record<string, number | null>): AbRound => ({
  label,
  commit: label === 'base' ? BASE : MAIN,
  round: n,
  saturationPerSecond: saturation,
  p99MsAt: p99,
  serviceMsPerCommand: null,
  postgresMsPerCommand: null,
  peakRssMb: null,
});

const comparison = (rounds: AbRound[]): AbComparison => ({
  base: BASE,
  main: MAIN,
  rounds,
  tolerance: { saturation: 0.1, p99: 0.25 },
});

describe('"no worse than now" from A/B rounds in the same run (issue #23)', () => {
  it('judges main\'s median against the base\'s, within the tolerance', () => {
    const ab = comparison([
      round('base', 1, 4000, { '500': 10, '1000': 40, '2000': 80 }),
      round('main', 1, 3700, { '500': 99, '1000': 50, '2000': 200 }),
      round('base', 2, 3000, { '500': 10, '1000': 100, '2000': 60 }),
      round('main', 2, 3500, { '500': 99, '1000': 60, '2000': 70 }),
      round('base', 3, 5000, { '500': 10, '1000': 60, '2000': 70 }),
      round('main', 3, 3500, { '500': 99, '1000': 75, '2000': 80 }),
    ]);
    const checks = abChecks(ab);
    // saturation: 3,500 against 4,000 (≥ 3,600 needed); p99 at 1,000/s: 60 against 60; at 2,000/s: 80 against 70 (≤ 87.5)
    expect(checks.map((c) => c.pass)).toEqual([false, true, true]);
    expect(checks[0].measured).toBe('3,500/s against 4,000/s: 0.88 × (main 3,700 · 3,500 · 3,500; base 4,000 · 3,000 · 5,000)');
    // 500/s is reported, not judged (the target names 1,000 and 2,000/s)
    expect(checks.some((c) => c.target.includes('500/s'))).toBe(false);
  });

  it('misses a p99 beyond the tolerance, and leaves a side without figures unjudged', () => {
    const ab = comparison([
      round('base', 1, 4000, { '1000': 40 }),
      round('main', 1, 4000, { '1000': 50.1 }),
    ]);
    expect(abChecks(ab).map((c) => c.pass)).toEqual([true, false]);
    const failedBase = comparison([
      { ...round('base', 1, null, {}), error: 'the base crashed' },
      round('main', 1, 4000, { '1000': 20 }),
    ]);
    expect(abChecks(failedBase).map((c) => c.pass)).toEqual([null, null]);
    expect(abChecks(failedBase)[0].measured).toBe('— (base failed)');
  });

  it('misses when main fails or loses commands, and leaves a failed base run out of its median', () => {
    const result = (p99Ms: number, missing: number) =>
      ({
        learners: 2000,
        saturation: { perSecond: 5000, cpuBudget: { msPerMessage: { service: 0.1, postgres: 0.05 } } },
        latency: [{ offeredPerSecond: 1000, missing, latency: { p99Ms } }],
        servicePeakRssMb: 280,
      }) as unknown as EndToEndResult;
    expect(abRound('main', MAIN, 1, result(30, 2))).toMatchObject({ p99MsAt: { '1000': null }, missingAt: { '1000': 2 } });
    expect(abRound('base', BASE, 1, { error: 'boom' })).toMatchObject({ saturationPerSecond: null, error: 'boom' });

    // main lost 2 commands at 1,000/s in one of its rounds: a MISS there, whatever its other rounds say
    const lossy = comparison([
      abRound('base', BASE, 1, result(30, 0)),
      abRound('main', MAIN, 1, result(10, 0)),
      abRound('main', MAIN, 2, result(10, 2)),
    ]);
    const [, at1000] = abChecks(lossy);
    expect(at1000.pass).toBe(false);
    expect(at1000.measured).toContain('main without a p99 in round 2');
    expect(at1000.measured).toContain('2 missing');

    // a main run without a saturation figure is as good as failed
    const noFigure = comparison([abRound('base', BASE, 1, result(30, 0)), round('main', 1, null, { '1000': 20 })]);
    expect(abChecks(noFigure)[0]).toMatchObject({ pass: false, measured: expect.stringContaining('main round 1 failed: no saturation figure') });

    // a main run that failed is a MISS of saturation
    const crashed = comparison([abRound('base', BASE, 1, result(30, 0)), abRound('main', MAIN, 1, { error: 'service exited' })]);
    expect(abChecks(crashed)[0]).toMatchObject({ pass: false, measured: expect.stringContaining('main round 1 failed: service exited') });

    // a base run that failed is left out of the base's median: judged on the base's other run
    const baseCrashed = comparison([
      abRound('base', BASE, 1, { error: 'base exited' }),
      abRound('main', MAIN, 1, result(31, 0)),
      abRound('base', BASE, 2, result(30, 0)),
    ]);
    expect(abChecks(baseCrashed).map((c) => c.pass)).toEqual([true, true]);
    expect(abChecks(baseCrashed)[1].measured).toContain('base failed · 30.0');

    const ab = comparison([abRound('base', BASE, 1, result(30, 0)), abRound('main', MAIN, 1, result(31, 0))]);
    const targets = derive({ phases: { endToEnd: result(31, 0) } }, { comparison: ab, baseline: null }).targets;
    const noWorse = targets.filter((t) => t.target.includes('no worse'));
    expect(noWorse.map((t) => t.pass)).toEqual([true, true]);
    expect(noWorse[0].target).toContain('2242e16 against 51d5459');
  });

  it('medians of odd and even counts, ignoring what is not a number', () => {
    expect(medianOf([3, 1, 2])).toBe(2);
    expect(medianOf([4, 1, null, 2, 3])).toBe(2.5);
    expect(medianOf([null, undefined, Number.NaN])).toBeNull();
  });
});

describe('the order of the A/B runs', () => {
  const base: CodeUnderTest = { label: 'base', root: '/base', commit: BASE };
  const main: CodeUnderTest = { label: 'main', root: '/main', commit: MAIN };

  it('alternates which side goes first, and makes main\'s first run the table\'s', () => {
    const order = abSchedule(base, main, 3).map((s) => `${s.code.label}${s.round}${s.table ? '*' : ''}`);
    expect(order).toEqual(['base1', 'main1*', 'main2', 'base2', 'base3', 'main3']);
  });

  it('feeds every run into the comparison and returns the table\'s result', async () => {
    const ran: string[] = [];
    const { comparison: ab, table } = await runAbRounds(base, main, 2, { saturation: 0.1, p99: 0.25 }, (slot) => {
      ran.push(`${slot.code.root}#${slot.round}`);
      const perSecond = slot.code === main ? 5000 + slot.round : 4000 + slot.round;
      if (slot.code === base && slot.round === 2) return Promise.resolve({ error: 'the base crashed' });
      return Promise.resolve({ learners: 2000, saturation: { perSecond }, latency: [] } as unknown as EndToEndResult);
    });
    expect(ran).toEqual(['/base#1', '/main#1', '/main#2', '/base#2']);
    expect(table).toMatchObject({ saturation: { perSecond: 5001 } });
    expect(ab.rounds.map((r) => [r.label, r.round, r.saturationPerSecond, r.error ?? null])).toEqual([
      ['base', 1, 4001, null],
      ['main', 1, 5001, null],
      ['main', 2, 5002, null],
      ['base', 2, null, 'the base crashed'],
    ]);
  });
});

describe('bench options: the comparison', () => {
  it('is on for a full run with the default counts, and off for a partial or smoke run unless asked', () => {
    expect(parseArgs([])).toMatchObject({ base: ISSUE_23_BASE, abRounds: 3, out: 'bench/results/latest.json' });
    expect(parseArgs(['--phases=c']).base).toBeNull();
    expect(parseArgs(['--smoke']).base).toBeNull();
    expect(parseArgs(['--phases=c', '--base=abc1234', '--ab-rounds=2'])).toMatchObject({ base: 'abc1234', abRounds: 2, out: 'bench/results/partial.json' });
    expect(parseArgs(['--base=none'])).toMatchObject({ base: null, out: 'bench/results/partial.json' });
  });

  it('refuses a comparison it could not make fairly', () => {
    expect(() => parseArgs(['--phases=a', '--base=abc1234'])).toThrow(/add c to --phases/);
    expect(() => parseArgs(['--cpu-prof', '--base=abc1234'])).toThrow(/--base=none/);
    expect(() => parseArgs(['--base=a;rm -rf'])).toThrow(/must name a commit/);
    expect(() => parseArgs(['--phases=c', '--base=--upload-pack=x'])).toThrow(/must name a commit/);
    expect(parseArgs(['--phases=c', '--base=HEAD~5']).base).toBe('HEAD~5');
    expect(parseArgs(['--phases=c', '--base=main^']).base).toBe('main^');
  });
});
