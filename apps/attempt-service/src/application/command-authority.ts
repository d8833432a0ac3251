import type { Command } from '../../../../libs/contracts/src';
import type { Status } from '../../../../libs/domain/src';
import { reject, type Rejection } from './commands/command-handler';

/**
 * Where a command arrived (SPEC §8.4). Kafka does not say who wrote a record, so authority follows the
 * topic, which the broker's ACLs let only one kind of party write:
 * - `commands`: the commands topic (the platform, `lms`, and staff tools);
 * - `review:<provider>`: that provider's review topic;
 * - `cli`: the operators' command line (a person with database access, e.g. `set-status`).
 * The channel is part of the idempotency key, so no party can use up another's ids.
 */
export type Channel = 'commands' | 'cli' | `review:${string}`;

export const COMMANDS_CHANNEL: Channel = 'commands';
export const CLI_CHANNEL: Channel = 'cli';
export const reviewChannel = (provider: string): Channel => `review:${provider}`;

/** The provider of a review channel; null for any other channel (absent: the commands topic). */
export function reviewProviderOf(channel: Channel | undefined): string | null {
  return channel?.startsWith('review:') ? channel.slice('review:'.length) : null;
}

/** The `source` a provider's review carries (SPEC §8.1). */
export const providerSource = (provider: string): string => `provider:${provider}`;

/** The statuses only a review decides; from the commands topic they are a legacy path (SPEC §8.4). */
export const REVIEW_OUTCOME_STATUSES: readonly Status[] = ['verified', 'rejected', 'second_review_required', 'not_reviewed'];

export interface AuthoritySettings {
  /** `LEGACY_REVIEW_STATUS_UPDATES` (default true in v2): an UpdateAttemptStatus to a review outcome from the commands topic is accepted. */
  legacyReviewStatusUpdates: boolean;
}

/** What the authority check found: allowed (and whether it used the legacy path), or FORBIDDEN. */
export type Authority = { allowed: true; legacyReviewStatus: boolean } | { allowed: false; rejection: Rejection };

const ALLOWED: Authority = { allowed: true, legacyReviewStatus: false };

/**
 * Whether `command` may come from `channel` (SPEC §8.1, §8.4):
 * - a review topic `review:<p>` accepts only RecordReview, with `source` exactly `provider:<p>` and no
 *   `reviewedBy` (the exam's provider is checked by the handler: PROVIDER_MISMATCH);
 * - the commands topic accepts every other command, and RecordReview only with `reviewedBy` (a staff
 *   second review); an UpdateAttemptStatus to a review outcome only while LEGACY_REVIEW_STATUS_UPDATES
 *   is on (each use reported, so it can be counted);
 * - the command line is staff: anything (`set-status` may set any status).
 */
export function authorize(channel: Channel, command: Command, settings: AuthoritySettings): Authority {
  if (channel === CLI_CHANNEL) return ALLOWED;
  const provider = reviewProviderOf(channel);
  if (provider !== null) {
    if (command.type !== 'RecordReview')
      return { allowed: false, rejection: reject('FORBIDDEN', `${command.type} is not accepted from a review topic`) };
    if (command.source !== providerSource(provider))
      return { allowed: false, rejection: reject('FORBIDDEN', "a review topic accepts only its own provider's source") };
    if (command.data.reviewedBy !== undefined)
      return { allowed: false, rejection: reject('FORBIDDEN', "a provider's review carries no reviewedBy (a staff second review goes to the commands topic)") };
    return ALLOWED;
  }
  if (command.type === 'RecordReview' && command.data.reviewedBy === undefined)
    return { allowed: false, rejection: reject('FORBIDDEN', "a provider's review is accepted only from its review topic") };
  if (command.type === 'UpdateAttemptStatus' && (REVIEW_OUTCOME_STATUSES as readonly string[]).includes(command.data.toStatus)) {
    if (!settings.legacyReviewStatusUpdates)
      return {
        allowed: false,
        rejection: reject('FORBIDDEN', `an UpdateAttemptStatus to ${command.data.toStatus} is a review outcome; it is not accepted from the commands topic`),
      };
    return { allowed: true, legacyReviewStatus: true };
  }
  return ALLOWED;
}
