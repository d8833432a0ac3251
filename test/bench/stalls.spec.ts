import { mkdtempSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { p99PerSecond, parseTraceGc, StallWatch, summarizePauses } from '../../bench/support/stalls';

describe("a latency step's stalls (bench, issue #23)", () => {
  it("reads the collections of a real node's --trace-gc output, scavenges apart from mark-compacts", () => {
    // A child that allocates enough for scavenges, then forces one full collection.
    const out = execFileSync(process.execPath, ['--trace-gc', '--expose-gc', '-e', 'let a=[];for(let i=0;i<3e5;i++)a.push({i});gc()'], { encoding: 'utf8' });
    const gcs = parseTraceGc(`{"level":30,"msg":"a pino line"}\n${out}`);
    expect(gcs.filter((g) => g.kind === 'scavenge').length).toBeGreaterThan(0);
    expect(gcs.filter((g) => g.kind === 'mark-compact')).toHaveLength(1);
    for (const g of gcs) {
      expect(g.pauseMs).toBeGreaterThanOrEqual(0);
      expect(g.atMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('reads the pause, not the time since the isolate started, whatever the kind', () => {
    expect(parseTraceGc('[1:0x2]  5 ms: Minor Mark-Compact 3.9 (4.0) -> 3.6 (5.0) MB, 1.50 / 0.00 ms  (average mu = 1.000)')).toEqual([{ atMs: 5, kind: 'scavenge', pauseMs: 1.5 }]);
    expect(parseTraceGc('[1:0x2]  9 ms: Mark-Compact (reduce) 3.9 (4.0) -> 3.6 (5.0) MB, pooled: 0.5 MB, 12.00 / 0.00 ms  (average mu = 1.000)')).toEqual([{ atMs: 9, kind: 'mark-compact', pauseMs: 12 }]);
    const [g] = parseTraceGc('[8016:0x3d1bbe50]      337 ms: Mark-Compact 60.5 (77.4) -> 43.0 (77.7) MB, 95.89 / 0.00 ms  (average mu = 1.000) testing;');
    expect(g).toEqual({ atMs: 337, kind: 'mark-compact', pauseMs: 95.89 });
  });

  it('sums and maxes pauses', () => {
    expect(summarizePauses([1.25, 30, 4])).toEqual({ count: 3, totalMs: 35.3, maxMs: 30 });
    expect(summarizePauses([])).toEqual({ count: 0, totalMs: 0, maxMs: 0 });
  });

  it("takes each second's p99 by when the command was sent", () => {
    const samples = [
      ...Array.from({ length: 100 }, (_, i) => ({ sentS: 0.5, ms: i + 1 })),
      { sentS: 2.1, ms: 7 },
    ];
    const p = p99PerSecond(samples);
    expect(p[0]).toBe(99);
    expect(p[1]).toBeNaN();
    expect(p[2]).toBe(7);
  });

  it("counts only the service's log lines written during the step, and the checkpoints between its two readings", () => {
    const log = join(mkdtempSync(join(tmpdir(), 'stalls-')), 'svc.log');
    writeFileSync(log, '[1:0x1]  100 ms: Mark-Compact 60.5 (77.4) -> 43.0 (77.7) MB, 50.00 / 0.00 ms  before the step;\n');
    const ck = { started: 4, buffersWritten: 100, writeMs: 10, syncMs: 1 };
    const watch = StallWatch.start(1_000, { logFile: log, spawnedAt: 0 }, ck);
    appendFileSync(log, '[1:0x1]  2500 ms: Mark-Compact 60.5 (77.4) -> 43.0 (77.7) MB, 40.00 / 0.00 ms  in the step;\n');
    appendFileSync(log, '[1:0x1]  2600 ms: Scavenge 3.9 (4.0) -> 3.6 (5.0) MB, 2.00 / 0.00 ms  in the step;\n');
    const st = watch.stop({ started: 5, buffersWritten: 350, writeMs: 2010, syncMs: 31 }, []);
    expect(st.serviceGc).toEqual({ scavenge: { count: 1, totalMs: 2, maxMs: 2 }, markCompact: { count: 1, totalMs: 40, maxMs: 40 } });
    expect(st.checkpoints).toEqual({ started: 1, buffersWritten: 250, writeMs: 2000, syncMs: 30 });
    expect(st.pauses.filter((p) => p.what.startsWith('service'))).toEqual([{ atS: 1.5, ms: 40, what: 'service mark-compact' }]);
  });
});
