/**
 * Expected outcomes are values (STYLE habit 3): a rule that refuses something returns an error
 * value instead of throwing. Only faults throw, and nothing in this library throws on bad input.
 */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });
