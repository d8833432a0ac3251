/** Injection tokens for the values main.ts builds before Nest boots. */
export const LOGGER = Symbol('LOGGER');
export const CONFIG = Symbol('CONFIG');
export const PG_POOL = Symbol('PG_POOL');
