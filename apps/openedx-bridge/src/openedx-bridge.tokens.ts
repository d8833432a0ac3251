/** Nest injection tokens for the bridge's hand-built dependencies (see OpenEdxBridgeModule.register). */
export const BRIDGE_LOGGER = Symbol('BRIDGE_LOGGER');
export const BRIDGE_CLOSERS = Symbol('BRIDGE_CLOSERS');

