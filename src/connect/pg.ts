/**
 * PostgreSQL pools, one per resolved connection, shared by the activities of a worker.
 *
 *   const pool = pgPool(resolveConnection(connections, 'warehouse', 'postgres'));
 */
import pg from 'pg';
import { AuthError, ConfigError, NotFoundError, TransientError, type ErrorContext, FerryError } from '../errors.js';
import type { PostgresConnection } from './connections.js';

const pools = new Map<string, pg.Pool>();

export function pgPool(conn: PostgresConnection): pg.Pool {
  const key = JSON.stringify(conn);
  let pool = pools.get(key);
  if (!pool) {
    pool = new pg.Pool({
      host: conn.host,
      port: Number(conn.port),
      database: conn.database,
      user: conn.user,
      password: conn.password || undefined,
      ssl: conn.ssl ? { rejectUnauthorized: true } : undefined,
      max: 4,
      idleTimeoutMillis: 10_000,
      connectionTimeoutMillis: 10_000,
    });
    // An idle client that loses its server must not crash the worker; the next query reconnects.
    pool.on('error', () => undefined);
    pools.set(key, pool);
  }
  return pool;
}

export async function closePgPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.allSettled(all.map((p) => p.end()));
}

/** Maps a pg/driver error to Ferry's family: SQL mistakes are config errors, outages are transient. */
export function pgError(err: unknown, context: ErrorContext): FerryError {
  if (err instanceof FerryError) return err;
  const e = err as { code?: string; message?: string; position?: string };
  const message = `PostgreSQL: ${e.message ?? String(err)}`;
  const code = e.code ?? '';
  if (code === '28P01' || code === '28000') return new AuthError(message, context, { cause: err });
  if (code === '3D000' || code === '3F000' || code === '42P01') return new NotFoundError(message, context, { cause: err });
  // Class 42 (syntax, undefined column…), 22 (data exception), 23 (constraint) will not heal on retry.
  if (/^(42|22|23)/.test(code)) return new ConfigError(message, context, { cause: err });
  return new TransientError(message, context, { cause: err });
}
