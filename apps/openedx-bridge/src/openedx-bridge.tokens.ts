/** Nest injection tokens for the bridge's hand-built dependencies (see OpenEdxBridgeModule.register). */
export const BRIDGE_LOGGER = Symbol('BRIDGE_LOGGER');
export const BRIDGE_CLOSERS = Symbol('BRIDGE_CLOSERS');

/** Something to release last, after the consumer has stopped. */
export type Closer = { name: string; close: () => Promise<void> };
