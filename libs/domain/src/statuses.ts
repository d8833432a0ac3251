/**
 * The 14 attempt statuses (SPEC §2: the status set of upstream 0.12.2) and what each one means.
 *
 * Every per-status fact lives in one `Record<Status, …>` table, so adding a status to `STATUSES` is a
 * compile error until the table says how it behaves.
 */
export const STATUSES = [
  'eligible',
  'created',
  'download_software_clicked',
  'ready_to_start',
  'started',
  'ready_to_submit',
  'declined',
  'timed_out',
  'submitted',
  'second_review_required',
  'verified',
  'rejected',
  'not_reviewed',
  'error',
] as const;

export type Status = (typeof STATUSES)[number];

/** What a learner is shown for a status (the original's `status_alias_mapping`). */
export type StatusAlias = 'pending' | 'satisfactory' | 'unsatisfactory' | '';

/** The credit requirement status written for a credit-updating status (seed era, SPEC §2 rule 5). */
export type CreditStatus = 'satisfied' | 'submitted' | 'failed';

/** Namespace of the credit requirement; its name is the exam's contentId. */
export const CREDIT_NAMESPACE = 'proctored_exam';

/** `CASCADE_STATUSES` when neither the provider nor the defaults set it. */
export const DEFAULT_CASCADE_STATUSES: readonly Status[] = Object.freeze(['rejected', 'declined'] as const);

interface StatusTraits {
  /** completed (true) or incomplete (false); every status is exactly one of the two. */
  readonly completed: boolean;
  /** credit requirement status written on a change to this status; null: no credit update. */
  readonly credit: CreditStatus | null;
  /** a change to this status sends the learner the status email (subject to the attempt's flags). */
  readonly email: boolean;
  readonly alias: StatusAlias;
}

const TRAITS: Readonly<Record<Status, StatusTraits>> = {
  eligible: { completed: false, credit: null, email: false, alias: '' },
  created: { completed: false, credit: null, email: false, alias: '' },
  download_software_clicked: { completed: false, credit: null, email: false, alias: '' },
  ready_to_start: { completed: false, credit: null, email: false, alias: '' },
  started: { completed: false, credit: null, email: false, alias: '' },
  ready_to_submit: { completed: false, credit: null, email: false, alias: '' },
  declined: { completed: true, credit: 'failed', email: false, alias: '' },
  timed_out: { completed: true, credit: null, email: false, alias: '' },
  submitted: { completed: true, credit: 'submitted', email: true, alias: 'pending' },
  second_review_required: { completed: true, credit: null, email: false, alias: '' },
  verified: { completed: true, credit: 'satisfied', email: true, alias: 'satisfactory' },
  rejected: { completed: true, credit: 'failed', email: true, alias: 'unsatisfactory' },
  not_reviewed: { completed: true, credit: 'failed', email: false, alias: '' },
  error: { completed: true, credit: 'failed', email: false, alias: '' },
};

const STATUS_SET: ReadonlySet<string> = new Set<string>(STATUSES);

/** Exact, case-sensitive membership of the 14 statuses (SPEC §2 rule 1). */
export function isStatus(s: unknown): s is Status {
  return typeof s === 'string' && STATUS_SET.has(s);
}

/**
 * Traits of a status, or undefined for a value that is not one at run time (a row written by something
 * else, a cast). The predicates below then answer false, as the original's list checks did.
 */
function traitsOf(s: Status): StatusTraits | undefined {
  return isStatus(s) ? TRAITS[s] : undefined;
}

export function isCompleted(s: Status): boolean {
  return traitsOf(s)?.completed === true;
}

export function isIncomplete(s: Status): boolean {
  return traitsOf(s)?.completed === false;
}

export function updatesCredit(s: Status): boolean {
  return creditStatusFor(s) !== null;
}

export function needsStatusEmail(s: Status): boolean {
  return traitsOf(s)?.email === true;
}

export function statusAlias(s: Status): StatusAlias {
  return traitsOf(s)?.alias ?? '';
}

/** `satisfied` (verified), `submitted` (submitted), `failed` (other credit-updating); null otherwise. */
export function creditStatusFor(s: Status): CreditStatus | null {
  return traitsOf(s)?.credit ?? null;
}

/** The incomplete statuses, in `STATUSES` order. */
export const INCOMPLETE_STATUSES: readonly Status[] = Object.freeze(
  STATUSES.filter((s) => !TRAITS[s].completed),
);

/** The completed statuses, in `STATUSES` order. */
export const COMPLETED_STATUSES: readonly Status[] = Object.freeze(
  STATUSES.filter((s) => TRAITS[s].completed),
);
