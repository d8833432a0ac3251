/** Nest injection tokens for the bridge's hand-built dependencies (see OpenEdxBridgeModule.register). */
export const BRIDGE_LOGGER = Symbol('BRIDGE_LOGGER');
export const BRIDGE_CLOSERS = Symbol('BRIDGE_CLOSERS');
export const BRIDGE_READINESS = Symbol('BRIDGE_READINESS');

/** Something to release last, after the consumer has stopped. */
export type Closer = { name: string; close: () => Promise<void> };

/** What /health/ready reports: the database answers and the consumer is a member of its group. */
export type ReadinessCheck = () => Promise<{ database: 'up' | 'down'; consumer: string }>;
