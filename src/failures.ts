/**
 * Failure types: the one list that both workflow code (retry policies) and activity code (the
 * error family in errors.ts) import. Pure constants, so the workflow bundle may import it.
 *
 *   retry: { nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] }
 */

/** Retrying cannot help: the config, the data or the credentials must change first. */
export const NON_RETRYABLE_TYPES = ['CONFIG', 'DATA', 'AUTH', 'NOT_FOUND'] as const;

/** Worth retrying: an outage (network, 5xx, 429, a server that is down) or a lack of resources (memory, disk). */
export const RETRYABLE_TYPES = ['TRANSIENT', 'RESOURCE'] as const;

/** Not recognised by any classifier: retried a few times only (UNKNOWN_ATTEMPTS), never for the whole outage budget. */
export const UNKNOWN_TYPE = 'UNKNOWN' as const;
export const UNKNOWN_ATTEMPTS = 3;

export type FailureType = (typeof NON_RETRYABLE_TYPES)[number] | (typeof RETRYABLE_TYPES)[number] | typeof UNKNOWN_TYPE;
