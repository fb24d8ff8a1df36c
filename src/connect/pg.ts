/**
 * PostgreSQL pools, one per resolved connection, shared by the activities of a worker, and
 * `withPgClient`: the only way an adapter holds a connection.
 *
 *   const rows = await withPgClient(conn, { context: { connection: 'warehouse' }, signal }, async (client) =>
 *     (await client.query('SELECT 1 AS one')).rows);
 *
 * Nothing a connection does can crash the worker: a pg Client emits 'error' when its socket dies,
 * and an 'error' event without a listener kills the process. The pool listens while a client is
 * idle; `withPgClient` listens while it is held, and turns the failure into a classified FerryError
 * (a dropped connection is TRANSIENT, retried). A failed client is destroyed, never reused.
 */
import net from 'node:net';
import pg from 'pg';
import type { FerryError, ErrorContext } from '../errors.js';
import type { PostgresConnection } from './connections.js';
import { pgError } from './pg-errors.js';

export { pgError, classifyPg } from './pg-errors.js';

const pools = new Map<string, pg.Pool>();

/** Options shared by pools and the one-off connections that send cancel requests. */
function clientConfig(conn: PostgresConnection): pg.ClientConfig {
  return {
    host: conn.host,
    port: Number(conn.port),
    database: conn.database,
    user: conn.user,
    password: conn.password || undefined,
    ssl: conn.ssl ? { rejectUnauthorized: true } : undefined,
    // A peer that vanished without a FIN (a cut cable, a killed VM) is noticed by TCP keepalive.
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
  };
}

/**
 * The server's side of keepalive, per session (any role may set it): a worker whose network vanished
 * mid-load (no FIN: a partition, a frozen VM) leaves a backend waiting for the rest of the COPY,
 * holding the (run, sink) claim that every retry waits for. With the server's default (2 h idle
 * before the first probe) the run would wait that long; with these, about a minute.
 */
export const SERVER_KEEPALIVE = 'SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3';

export function pgPool(conn: PostgresConnection): pg.Pool {
  const key = JSON.stringify(conn);
  let pool = pools.get(key);
  if (!pool) {
    pool = new pg.Pool({ ...clientConfig(conn), max: 4, idleTimeoutMillis: 10_000 });
    // An idle client that loses its server must not crash the worker; the pool drops it.
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

export type PgClientOptions = {
  /** Context for errors: connection, dataset. */
  context: ErrorContext;
  /** Prefix of error messages, e.g. `sink db, table retail.sales`. */
  where?: string;
  /** Cancels the running statement on abort (a cancel request, as psql's Ctrl-C sends); `fn` then rejects with the signal's reason. */
  signal?: AbortSignal;
};

/** Every client ever lent out keeps a no-op listener: an 'error' after its holder let go is harmless. */
const guarded = new WeakSet<pg.PoolClient>();
const ignore = () => undefined;

/**
 * Lends a pooled client to `fn`. Any error — from a statement, the socket, or `fn` itself — leaves
 * as a FerryError classified by SQLSTATE (see pg-errors.ts); the client is then destroyed, so an
 * open transaction dies with its connection and nothing half-done is reused.
 */
export async function withPgClient<T>(conn: PostgresConnection, options: PgClientOptions, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const { context, where, signal } = options;
  signal?.throwIfAborted();
  const client = await pgPool(conn).connect().catch((err: unknown) => {
    throw pgError(err, context, where);
  });
  if (!guarded.has(client)) {
    client.on('error', ignore);
    guarded.add(client);
    // Once per new session, awaited (a query queued behind another is deprecated in pg); a failure
    // here is left for the adapter's first statement to meet.
    await client.query(SERVER_KEEPALIVE).catch(() => undefined);
  }
  let socketError: unknown;
  const onError = (err: unknown) => {
    socketError ??= err;
  };
  client.on('error', onError);
  const onAbort = () => cancelBackend(conn, client);
  signal?.addEventListener('abort', onAbort, { once: true });
  let failed: FerryError | undefined;
  try {
    return await fn(client);
  } catch (err) {
    // The socket's own error says more than the "not queryable" of the statement that met it.
    failed = pgError(socketError && !isPgServerError(err) ? socketError : err, context, where);
    // Cancelled: the reason (Temporal's CancelledFailure) is the answer, not the 57014 it caused.
    if (signal?.aborted) throw signal.reason;
    throw failed;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    client.off('error', onError);
    client.release(failed ?? (socketError as Error | undefined));
  }
}

const isPgServerError = (err: unknown): boolean => err instanceof pg.DatabaseError;

/**
 * Asks the server to cancel the client's running statement: PostgreSQL's CancelRequest (16 bytes:
 * length, code 80877102, backend pid, secret key) on a fresh socket, as psql's Ctrl-C does; no
 * login and no privilege needed. Best effort: the statement then fails with 57014.
 */
function cancelBackend(conn: PostgresConnection, client: pg.PoolClient): void {
  const { processID, secretKey } = client as unknown as { processID?: number; secretKey?: number };
  if (!processID || secretKey === undefined) return;
  const request = Buffer.alloc(16);
  request.writeInt32BE(16, 0);
  request.writeInt32BE(80877102, 4);
  request.writeInt32BE(processID, 8);
  request.writeInt32BE(secretKey, 12);
  const socket = conn.host.startsWith('/') ? net.connect(`${conn.host}/.s.PGSQL.${conn.port}`) : net.connect(Number(conn.port), conn.host);
  socket.on('error', ignore);
  socket.on('connect', () => socket.end(request));
  socket.setTimeout(10_000, () => socket.destroy());
}
