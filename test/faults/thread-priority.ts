import { readdirSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * The soak's suite, out of the way of the services it measures. On this 2-core machine the suite's main
 * thread (reference model, outcome and latency consumers, sampler, its own garbage collector) takes a
 * third of a core next to the attempt-service, the notifier, the broker and PostgreSQL; in production
 * the load and the oracle are on other machines. Linux nice values are per thread (setpriority on a task
 * id), so the suite lowers its own threads and leaves alone the two that stand in for the outside world
 * on a schedule: the SendGrid stub's and the paced publisher's.
 */

/** This thread's Linux task id (`/proc/thread-self` → `<pid>/task/<tid>`); null where there is no such link. */
export function ownTaskId(): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/**
 * Sets every thread of this process but `keep` to `nice` (threads started later by a lowered one inherit
 * it). Returns what undoes it: back to nice 0, which only a privileged process may do (the suite runs as
 * root here); elsewhere the threads stay lowered and `restore` says so. Returns a no-op off Linux.
 */
export function lowerOwnThreads(nice: number, keep: readonly (number | null)[]): { lowered: number; restore: () => string | null } {
  let tasks: number[];
  try {
    tasks = readdirSync('/proc/self/task').map(Number);
  } catch {
    return { lowered: 0, restore: () => null };
  }
  const lowered: number[] = [];
  for (const tid of tasks) {
    if (keep.includes(tid)) continue;
    try {
      setPriority(tid, nice);
      lowered.push(tid);
    } catch {
      // the thread ended meanwhile
    }
  }
  return {
    lowered: lowered.length,
    restore: () => {
      let refused = 0;
      for (const tid of lowered) {
        try {
          setPriority(tid, 0);
        } catch {
          refused++; // ended, or not privileged to raise a priority again
        }
      }
      return refused ? `${refused} of the suite's threads stay at nice ${nice} (raising a priority needs root)` : null;
    },
  };
}
