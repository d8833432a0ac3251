/*
 * Learner retirement (SPEC §8.3): what replaces a retired learner's identity wherever it was stored.
 * The placeholders are fixed, so rows of different retired learners are indistinguishable, and the
 * address is in the reserved `.invalid` domain, so nothing is ever sent to it.
 */

export const RETIRED_USERNAME = 'retired_user';
export const RETIRED_EMAIL = 'retired@invalid';

export interface LearnerIdentity {
  username: string;
  email: string;
}

/** The identity stored for a learner: the placeholders once the learner is retired. */
export function storedIdentity(user: LearnerIdentity, retired: boolean): LearnerIdentity {
  return retired ? { username: RETIRED_USERNAME, email: RETIRED_EMAIL } : user;
}

/** Whether an address is the retirement placeholder: never emailed. */
export const isRetiredAddress = (email: string): boolean => email === RETIRED_EMAIL;
