import { Worker } from 'node:worker_threads';

/**
 * A worker thread running one of the suite's own .ts modules (the paced publisher, the threaded SendGrid
 * stub). A .ts file cannot be a worker's entry point, so the worker registers ts-node first, then loads
 * `filename`, which starts itself when it sees its `workerData`. Its heap is capped: these threads keep
 * a few MB, and one that grows is a bug to see, not to swap for.
 */
export function startTsWorker(filename: string, workerData: unknown): Worker {
  return new Worker(`require('ts-node/register/transpile-only'); require(${JSON.stringify(filename)});`, {
    eval: true,
    execArgv: [],
    workerData,
    resourceLimits: { maxOldGenerationSizeMb: 512 },
  });
}
