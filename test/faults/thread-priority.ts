import { readdirSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * The soak's suite, out of the way of the services it measures. On this 2-core machine the suite's main
 * thread (reference model, outcome and latency consumers, sampler, its own garbage collector) takes a
 * third of a core next to the attempt-service, the notifier, the broker and PostgreSQL; in production
 * the load and the oracle are on other machines. Linux nice values are per thread (setpriority on a task
 * id), so the suite lowers its own threads and leaves alone the two that stand in for the outside world
 * on a schedule: the SendGrid stub's and the paced publisher's. Those two still share the process-wide
 * helper threads (V8's garbage-collection helpers, libuv's pool), which are lowered with the rest.
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

function ownTasks(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [];
  }
}

/**
 * Sets every thread of this process but `keep` to `nice` or lower priority (a thread already at a higher
 * nice keeps it; threads started later by a lowered one inherit it). Returns what undoes it: every
 * thread still there but `keep` back to its own earlier value (threads started since, to the main
 * thread's), which only a privileged process may do (the suite runs as root here); elsewhere the
 * threads stay lowered and `restore` says so. Off Linux nothing is lowered.
 */
export function lowerOwnThreads(nice: number, keep: readonly (number | null)[]): { lowered: number; restore: () => string | null } {
  const before = new Map<number, number>();
  for (const tid of ownTasks()) {
    if (keep.includes(tid)) continue;
    try {
      const was = getPriority(tid);
      if (was < nice) setPriority(tid, nice);
      before.set(tid, was);
    } catch {
      // the thread ended meanwhile
    }
  }
  const mainWas = before.get(process.pid) ?? 0;
  return {
    lowered: before.size,
    restore: () => {
      let refused = 0;
      for (const tid of ownTasks()) {
        if (keep.includes(tid)) continue;
        const was = before.get(tid) ?? mainWas;
        try {
          if (getPriority(tid) !== was) setPriority(tid, was);
        } catch {
          refused++; // not privileged to raise a priority again (or the thread just ended)
        }
      }
      return refused ? `${refused} of the suite's threads stay at nice ${nice} (raising a priority needs CAP_SYS_NICE)` : null;
    },
  };
}
