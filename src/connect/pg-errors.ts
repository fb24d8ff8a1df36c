/**
 * The one classifier for PostgreSQL errors: by SQLSTATE for server errors, by the socket error code
 * for the driver's own, into Ferry's failure types. Everything that leaves a PostgreSQL adapter
 * passes through `pgError`, so a source and a sink fail the same way for the same cause.
 *
 *   classifyPg({ code: '40P01' })              // 'TRANSIENT' (deadlock: the retry will win)
 *   throw pgError(err, { connection: 'warehouse' }, 'sink db, table retail.sales');
 */
import { FerryError, type ErrorContext } from '../errors.js';
import type { FailureType } from '../failures.js';

/** SQLSTATE (exact code, or its two-letter class) → failure type. Exact codes win over classes. */
const BY_SQLSTATE: [RegExp, FailureType][] = [
  [/^25006$/, 'CONFIG'], // read-only transaction: the source query writes
  [/^57P0[123]$/, 'TRANSIENT'], // admin shutdown, crash shutdown, cannot connect now (starting up)
  [/^57014$/, 'TRANSIENT'], // query cancelled (statement_timeout, or a cancel request)
  [/^55P03$/, 'TRANSIENT'], // lock not available (lock_timeout)
  [/^40(001|P01)$/, 'TRANSIENT'], // serialization failure, deadlock
  [/^08/, 'TRANSIENT'], // connection exception
  [/^53/, 'RESOURCE'], // insufficient resources: disk full, out of memory, too many connections
  [/^28/, 'AUTH'], // invalid authorization: wrong password, no pg_hba entry
  [/^(3D000|3F000|42P01)$/, 'NOT_FOUND'], // database, schema, table does not exist
  [/^42/, 'CONFIG'], // syntax, undefined column, insufficient privilege: the SQL or the grants must change
  [/^0A/, 'CONFIG'], // feature not supported
  [/^54/, 'CONFIG'], // program limit exceeded (too many columns, statement too complex)
  [/^2[23]/, 'DATA'], // data exception, integrity constraint violation
];

/** Driver and socket failures: the server or the network went away, a retry reconnects. */
const TRANSIENT_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ECONNABORTED']);
const TRANSIENT_DRIVER_MESSAGES = [
  /Connection terminated/i, // "Connection terminated unexpectedly", "Connection terminated due to connection timeout"
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error and is not queryable/i,
  /Client was closed and is not queryable/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

type PgLikeError = {
  code?: string;
  message?: string;
  errors?: unknown[];
  detail?: string;
  where?: string;
  constraint?: string;
  column?: string;
};

/** The failure type of a PostgreSQL or driver error; UNKNOWN when nothing here recognises it. */
export function classifyPg(err: unknown): FailureType {
  if (err instanceof FerryError) return err.code;
  const e = (err ?? {}) as PgLikeError;
  const code = typeof e.code === 'string' ? e.code : '';
  // Socket codes first: EPIPE has the shape of a SQLSTATE.
  if (TRANSIENT_SOCKET_CODES.has(code)) return 'TRANSIENT';
  if (/^[0-9A-Z]{5}$/.test(code)) {
    for (const [pattern, type] of BY_SQLSTATE) if (pattern.test(code)) return type;
    return 'UNKNOWN';
  }
  // Node reports a refused connection to every address of a host as one AggregateError.
  if (Array.isArray(e.errors) && e.errors.length && e.errors.every((inner) => classifyPg(inner) === 'TRANSIENT')) return 'TRANSIENT';
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (TRANSIENT_DRIVER_MESSAGES.some((re) => re.test(message))) return 'TRANSIENT';
  return 'UNKNOWN';
}

/**
 * Where PostgreSQL located the problem: COPY names the line (the row of the dataset: the CSV has no
 * header) and the column; constraint violations name the constraint and, in `detail`, the key.
 */
export function pgLocation(err: unknown): { line?: number; field?: string } {
  const e = (err ?? {}) as PgLikeError;
  const copy = /\bCOPY [^,]+, line (\d+)(?:, column ([^:]+))?/.exec(e.where ?? '');
  const field = copy?.[2] ?? e.column;
  return { ...(copy ? { line: Number(copy[1]) } : {}), ...(field ? { field } : {}) };
}

/**
 * A FerryError for any error met while talking to PostgreSQL. `where` (e.g. `sink db, table
 * retail.sales`) prefixes the message; the COPY line and column, the constraint and the key that
 * PostgreSQL reported are kept in the message and the context.
 */
export function pgError(err: unknown, context: ErrorContext, where?: string): FerryError {
  if (err instanceof FerryError) return err;
  const e = (err ?? {}) as PgLikeError;
  const located = pgLocation(err);
  const parts = [`PostgreSQL: ${e.message || (Array.isArray(e.errors) ? e.errors.map((x) => (x as Error).message).join('; ') : String(err))}`];
  if (located.line !== undefined) parts.push(`at row ${located.line} of the data${located.field ? `, column ${located.field}` : ''}`);
  if (e.constraint) parts.push(`constraint ${e.constraint}`);
  // "Key (id)=(7) already exists." names the offending key; other details may hold whole rows.
  if (e.detail && /^Key \(/.test(e.detail)) parts.push(e.detail.replace(/\.$/, ''));
  const message = `${where ? `${where}: ` : ''}${parts.join('; ')}`;
  return new FerryError(classifyPg(err), message, { ...context, ...located }, { cause: err });
}

/** True for the catalog races of concurrent CREATE … IF NOT EXISTS (unique violation on a pg_ index, or duplicate object). */
export function isCatalogRace(err: unknown): boolean {
  const e = (err ?? {}) as PgLikeError;
  if (e.code === '42P06' || e.code === '42P07' || e.code === '42710') return true;
  return e.code === '23505' && /^pg_/.test(e.constraint ?? '');
}
