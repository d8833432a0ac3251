/** Nest injection tokens for the notifier's hand-built dependencies (see NotifierModule.register). */
export const NOTIFIER_CONFIG = Symbol('NOTIFIER_CONFIG');
export const NOTIFIER_LOGGER = Symbol('NOTIFIER_LOGGER');
export const NOTIFIER_CLOSERS = Symbol('NOTIFIER_CLOSERS');
/** The attempt events consumer (the KafkaBatchTransport the app runs), for readiness. */
export const NOTIFIER_CONSUMER = Symbol('NOTIFIER_CONSUMER');
