// V8 flags that NODE_OPTIONS refuses (--optimize-for-size, --heap-growing-percent, …), for the
// measured services: BENCH_SERVICE_NODE_OPTIONS="--require <checkout>/bench/support/v8-flags.preload.js"
// with BENCH_V8_FLAGS="--optimize-for-size". Set before the service loads anything, through
// v8.setFlagsFromString; flags V8 only reads at start-up have no effect this way (measure, don't assume).
'use strict';
const flags = (process.env.BENCH_V8_FLAGS ?? '').split(/\s+/).filter(Boolean);
if (flags.length > 0) {
  const v8 = require('node:v8');
  for (const flag of flags) v8.setFlagsFromString(flag);
}
