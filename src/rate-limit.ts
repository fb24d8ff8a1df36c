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

export type RateLimit = { requests_per_second: number; concurrency: number };

/** The task queue of a rate-limited connection, beside the main queue the workflow runs on. */
export const rateLimitQueue = (mainQueue: string, connection: string): string => `${mainQueue}.http.${connection}`;

/** The connection's `rate_limit`, if it is an http connection that has one. */
export function rateLimitOfConnection(spec: ConnectionSpec | undefined): RateLimit | undefined {
  return spec?.type === 'http' && spec.rate_limit ? { requests_per_second: spec.rate_limit.requests_per_second, concurrency: spec.rate_limit.concurrency ?? 1 } : undefined;
}

/** The rate-limited connections among `connections`, by name (sorted, so workers start in one order). */
export function rateLimitedConnections(connections: Record<string, ConnectionSpec>): { connection: string; limit: RateLimit }[] {
  return Object.keys(connections).sort().flatMap((connection) => {
    const limit = rateLimitOfConnection(connections[connection]);
    return limit ? [{ connection, limit }] : [];
  });
}
