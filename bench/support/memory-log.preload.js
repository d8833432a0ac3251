// What a service's resident memory is made of, once a second: preloaded into a service by
// BENCH_SERVICE_NODE_OPTIONS="--require <checkout>/bench/support/memory-log.preload.js" with
// BENCH_MEMORY_LOG_DIR set; one JSON line per second to <dir>/<pid>.jsonl (MB, and GC time so far by kind).
// Plain JavaScript on purpose: a TypeScript loader would add its own tens of MB to the RSS it reports.
'use strict';
const dir = process.env.BENCH_MEMORY_LOG_DIR;
if (dir) {
  const fs = require('node:fs');
  const path = require('node:path');
  const v8 = require('node:v8');
  const { PerformanceObserver, constants } = require('node:perf_hooks');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${process.pid}.jsonl`);
  const gc = { scavengeMs: 0, scavenges: 0, markCompactMs: 0, markCompacts: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = e.detail ? e.detail.kind : undefined;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        gc.scavenges++;
        gc.scavengeMs += e.duration;
      } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        gc.markCompacts++;
        gc.markCompactMs += e.duration;
      }
    }
  }).observe({ entryTypes: ['gc'] });
  const mb = (n) => Math.round((n / 1048576) * 10) / 10;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    const spaces = {};
    for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = mb(s.space_size);
    const line = {
      t: Date.now(),
      rss: mb(m.rss),
      heapTotal: mb(m.heapTotal),
      heapUsed: mb(m.heapUsed),
      external: mb(m.external),
      arrayBuffers: mb(m.arrayBuffers),
      spaces,
      gc: { ...gc, scavengeMs: Math.round(gc.scavengeMs), markCompactMs: Math.round(gc.markCompactMs) },
    };
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  }, 1000);
  timer.unref();
}
