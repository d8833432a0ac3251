import { RETIRED_EMAIL, RETIRED_USERNAME } from '../../../../libs/domain/src';

/** One statement of a learner's scrub: `$1` is the userId; with `placeholders`, `$2`/`$3` the placeholder username/email. */
export interface LearnerScrub {
  sql: string;
  placeholders?: true;
}

/**
 * What a learner's retirement does to the attempt-service's tables (SPEC §8.3), one statement per
 * table, run in the retirement's transaction after the rest of its batch is written (so a row the
 * same batch wrote for that learner is scrubbed too).
 *
 * A new table that holds a learner's identity or free text is ONE LINE here, e.g. for allowances
 * `{ sql: 'UPDATE attempts.allowance SET … WHERE user_id = $1', placeholders: true }`, plus its rows
 * in the state test/attempt-service/retirement.int-spec.ts builds (whose dump is grepped).
 */
export const LEARNER_SCRUBS: readonly LearnerScrub[] = [
  // identity -> placeholders
  { sql: `UPDATE attempts.attempt SET username = $2, email = $3 WHERE user_id = $1`, placeholders: true },
  { sql: `UPDATE attempts.attempt_history SET username = $2, email = $3 WHERE user_id = $1`, placeholders: true },
  // free text cleared
  {
    sql: `UPDATE attempts.attempt_transition SET reason = NULL
           WHERE reason IS NOT NULL AND attempt_id IN (SELECT id FROM attempts.attempt WHERE user_id = $1
                                                       UNION ALL SELECT attempt_id FROM attempts.attempt_history WHERE user_id = $1)`,
  },
  // a review policy exception may describe a disability: its text goes (the allowance itself stays)
  { sql: `UPDATE attempts.allowance SET value = '' WHERE user_id = $1 AND key = 'review_policy_exception'` },
  { sql: `UPDATE attempts.allowance_history SET value = NULL WHERE user_id = $1 AND key = 'review_policy_exception'` },
  // reviews of the learner's attempts (live or archived): the reviewer's comments, the provider's raw
  // data and the recording's URL go; the review's ids and statuses stay
  { sql: `UPDATE attempts.review SET comments = NULL, raw_data = NULL, video_url_encrypted = NULL WHERE user_id = $1` },
  { sql: `UPDATE attempts.review_history SET comments = NULL, raw_data = NULL, video_url_encrypted = NULL WHERE user_id = $1` },
  // The outbox rows keyed by the learner (events, and dead letters that arrived with the userId as
  // key): the unpublished ones are flagged first (the relay deletes them once published), then the
  // published ones (parked rows and stored dead letters included) are deleted. In this order a row the
  // relay publishes meanwhile is caught by one statement or the other.
  {
    sql: `UPDATE attempts.outbox_pending p SET scrub = true
            FROM attempts.outbox_message m WHERE m.id = p.id AND m.key = $1`,
  },
  {
    sql: `DELETE FROM attempts.outbox_message m
           WHERE m.key = $1 AND NOT EXISTS (SELECT 1 FROM attempts.outbox_pending p WHERE p.id = m.id)`,
  },
  // kept for good: later user data of this learner is stored as the placeholders
  { sql: `INSERT INTO attempts.retired_learner (user_id) VALUES ($1) ON CONFLICT DO NOTHING` },
];

/** The parameters of a scrub statement for one learner. */
export const scrubParams = (s: LearnerScrub, userId: string): string[] => (s.placeholders ? [userId, RETIRED_USERNAME, RETIRED_EMAIL] : [userId]);
