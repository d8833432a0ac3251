import type { Status } from './statuses';

/**
 * A learner's live attempt at one exam (one per exam and user). `version` is 1 at creation and grows
 * by one on every stored change; no-ops do not count.
 */
export interface Attempt {
  id: string;
  attemptCode: string;
  examId: string;
  userId: string;
  status: Status;
  startedAt: Date | null;
  completedAt: Date | null;
  takingAsProctored: boolean;
  isSampleAttempt: boolean;
  externalId: string | null;
  allowedTimeLimitMins: number;
  version: number;
  /**
   * When an allowance last changed `allowedTimeLimitMins` (SPEC §8.2); absent or null when it never
   * did. A limit shortened past its expiry times the attempt out at this time, not before it.
   */
  timeLimitChangedAt?: Date | null;
}
