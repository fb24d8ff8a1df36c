/**
 * Ferry's error family. Every error a user can cause carries a stable `code` and the context that
 * locates it (file, line, column, dataset, endpoint, field). At the activity boundary they become
 * Temporal failures (`toActivityFailure`); at the CLI boundary they are printed without a stack.
 *
 *   throw new DataError('malformed CSV row', { dataset: 'sales', file: 's3://demo/sales.csv', line: 7 });
 */

export type ErrorContext = {
  dataset?: string;
  stage?: string;
  file?: string;
  line?: number;
  column?: number;
  field?: string;
  endpoint?: string;
  page?: number;
  connection?: string;
};

import { NON_RETRYABLE_TYPES, type FailureType } from './failures.js';

export { NON_RETRYABLE_TYPES };

/**
 * CONFIG: the pipeline or connection config is wrong (fix the YAML) · DATA: the input data is
 * malformed (fix it or quarantine it) · AUTH: credentials rejected · NOT_FOUND: a file, object,
 * table or endpoint does not exist · TRANSIENT: an outage worth retrying (network, 5xx, 429) ·
 * RESOURCE: out of memory or disk, retried · UNKNOWN: unclassified, retried a few times only.
 */
export type ErrorCode = FailureType;

export class FerryError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;
  /** Retry hint in milliseconds (e.g. from an HTTP Retry-After header). */
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = `Ferry${code.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _s, ch: string) => ch.toUpperCase())}Error`;
    this.code = code;
    this.context = { ...context }; // a copy: withContext adds to it
    this.retryAfterMs = options.retryAfterMs;
  }

  get retryable(): boolean {
    return !(NON_RETRYABLE_TYPES as readonly string[]).includes(this.code);
  }

  /** "dataset sales, file s3://demo/sales.csv, line 7: malformed CSV row" */
  describe(): string {
    return `${formatContext(this.context)}${this.message}`;
  }
}

export class ConfigError extends FerryError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('CONFIG', message, context, options);
  }
}

export class DataError extends FerryError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('DATA', message, context, options);
  }
}

export class AuthError extends FerryError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('AUTH', message, context, options);
  }
}

export class NotFoundError extends FerryError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, context, options);
  }
}

export class TransientError extends FerryError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown; retryAfterMs?: number }) {
    super('TRANSIENT', message, context, options);
  }
}

export function formatContext(ctx: ErrorContext): string {
  const parts: string[] = [];
  if (ctx.stage) parts.push(`stage ${ctx.stage}`);
  if (ctx.dataset) parts.push(`dataset ${ctx.dataset}`);
  if (ctx.connection) parts.push(`connection ${ctx.connection}`);
  if (ctx.endpoint) parts.push(ctx.endpoint);
  if (ctx.page !== undefined) parts.push(`page ${ctx.page}`);
  if (ctx.file) {
    let where = ctx.file;
    if (ctx.line !== undefined) where += `:${ctx.line}`;
    if (ctx.column !== undefined) where += `:${ctx.column}`;
    parts.push(where);
  } else if (ctx.line !== undefined) {
    parts.push(`line ${ctx.line}`);
  }
  if (ctx.field) parts.push(`field ${ctx.field}`);
  return parts.length ? `${parts.join(', ')}: ` : '';
}

export class ResourceError extends FerryError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('RESOURCE', message, context, options);
  }
}

/** Nothing recognised it: retried a few times only (UNKNOWN_ATTEMPTS in failures.ts). */
export class UnknownError extends FerryError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('UNKNOWN', message, context, options);
  }
}

/**
 * Generic Node and undici error codes, classified here once for every engine: network trouble is an
 * outage worth riding out, a full disk or memory is a lack of resources. Engine-specific classifiers
 * (HTTP status, SQLSTATE, S3 codes, DuckDB) run in the adapters before an error reaches this.
 */
const NODE_CODES: Record<string, 'TRANSIENT' | 'RESOURCE'> = {
  ECONNREFUSED: 'TRANSIENT',
  ECONNRESET: 'TRANSIENT',
  ETIMEDOUT: 'TRANSIENT',
  EPIPE: 'TRANSIENT',
  EAI_AGAIN: 'TRANSIENT',
  EHOSTUNREACH: 'TRANSIENT',
  ENETUNREACH: 'TRANSIENT',
  ENOSPC: 'RESOURCE',
  ENOMEM: 'RESOURCE',
};

/** The code of a generic Node/undici error, looked up along its `cause` chain; undefined if none applies. */
export function nodeErrorCode(err: unknown): 'TRANSIENT' | 'RESOURCE' | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (!code) continue;
    if (NODE_CODES[code]) return NODE_CODES[code];
    // undici's socket, connect and timeout errors (UND_ERR_SOCKET, UND_ERR_CONNECT_TIMEOUT, …).
    if (/^UND_ERR_(SOCKET|CONNECT_TIMEOUT|HEADERS_TIMEOUT|BODY_TIMEOUT|CLOSED)$/.test(code)) return 'TRANSIENT';
  }
  return undefined;
}

/**
 * Adds context to a FerryError as it leaves an adapter (Kedro's load wrapper): the same error, its
 * own context winning over the outer one. A generic Node network error becomes TRANSIENT, a full
 * disk or memory RESOURCE; anything else UNKNOWN (a few attempts, never the whole outage budget).
 */
export function withContext(err: unknown, context: ErrorContext): FerryError {
  if (err instanceof FerryError) {
    Object.assign(err.context, { ...context, ...err.context });
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  const code = nodeErrorCode(err);
  if (code === 'TRANSIENT') return new TransientError(message, context, { cause: err });
  if (code === 'RESOURCE') return new ResourceError(message, context, { cause: err });
  return new UnknownError(message, context, { cause: err });
}
