/**
 * Rate-limited connections: an http connection with `rate_limit:` gets its own activity task queue,
 * `<main queue>.http.<connection>`. Every `ferry worker` polls that queue for each rate-limited
 * connection it loads, with Temporal's server-side dispatch limit (maxTaskQueueActivitiesPerSecond
 * = requests_per_second) and at most `concurrency` activities at a time; the workflow runs one
 * request per activity there (workflows/paged.ts), so the rate holds for the whole fleet.
 * Pure functions with type-only imports: the workflow and the worker share them.
 *
 *   api:
 *     type: http
 *     base_url: https://api.example.com/v2
 *     rate_limit: { requests_per_second: 5, concurrency: 2 }
 *
 *   rateLimitQueue('ferry', 'api') // 'ferry.http.api'
 */
import type { ConnectionSpec } from './connect/connections.js';
import { parseDuration } from './pipeline/duration-ms.js';

/** `fleet`: `concurrency` was set, so it holds for the whole fleet (a lease per request); unset, each worker runs one at a time. */
export type RateLimit = { requests_per_second: number; concurrency: number; fleet: boolean };

/** The task queue of a rate-limited connection, beside the main queue the workflow runs on. */
export const rateLimitQueue = (mainQueue: string, connection: string): string => `${mainQueue}.http.${connection}`;

/** The connection's `rate_limit`, if it is an http connection that has one. */
export function rateLimitOfConnection(spec: ConnectionSpec | undefined): RateLimit | undefined {
  if (spec?.type !== 'http' || !spec.rate_limit) return undefined;
  const { requests_per_second, concurrency } = spec.rate_limit;
  return { requests_per_second, concurrency: concurrency ?? 1, fleet: concurrency !== undefined };
}

/** The rate-limited connections among `connections`, by name (sorted, so workers start in one order). */
export function rateLimitedConnections(connections: Record<string, ConnectionSpec>): { connection: string; limit: RateLimit }[] {
  return Object.keys(connections).sort().flatMap((connection) => {
    const limit = rateLimitOfConnection(connections[connection]);
    return limit ? [{ connection, limit }] : [];
  });
}

/**
 * The fleet-wide lease of a rate-limited connection (workflows/connection-limit.ts): one entity
 * workflow per (main queue, connection) grants at most `concurrency` leases; a run holds one for
 * each call it makes through the connection.
 *
 *   limitWorkflowId('ferry', 'api') // 'ferry-limit-ferry-api'
 */
export const limitWorkflowId = (mainQueue: string, connection: string): string => `ferry-limit-${mainQueue}-${connection}`;

/** The entity workflow's type and its signals, by name (the activity that starts it cannot import workflow code). */
export const LIMIT_WORKFLOW = 'connectionLimit';
export const ACQUIRE_SIGNAL = 'ferryLeaseAcquire';
export const RELEASE_SIGNAL = 'ferryLeaseRelease';
export const GRANTED_SIGNAL = 'ferryLeaseGranted';

/** A run asks for a lease (and gives back the one it held, if `releasing`). */
export type LeaseRequest = {
  /** Unique per call: `<workflow id>/<first run id>/<n>`. */
  lease: string;
  /** The workflow id the grant is signalled to, and whose liveness keeps the lease. */
  holder: string;
  /** The connection's `concurrency` as this run's plan says (the latest request's value holds). */
  concurrency: number;
  /** After this long the holder is asked whether it still runs (its heartbeat_timeout). */
  checkMs: number;
  releasing?: string;
};

/** Input of the activity that starts the entity workflow with the first request (signal-with-start). */
export type StartLimitInput = { workflowId: string; taskQueue: string; connection: string; request: LeaseRequest };

/** A config duration (`20s`, `500ms`, `2h`) in milliseconds, for workflow code; 20 s if unreadable. */
export function durationMs(text: string): number {
  try {
    return parseDuration(text);
  } catch {
    return 20_000;
  }
}
