/**
 * The HTTP client shared by the http source and sink: base URL and auth from a named connection,
 * JSON in and out, and HTTP statuses mapped to Ferry errors (401/403 → AuthError, 404 → NotFound,
 * 429/5xx → TransientError honouring Retry-After).
 *
 *   const res = await httpJson(conn, { method: 'GET', path: '/customers', query: { page: 2 } });
 */
import { request } from 'undici';
import { AuthError, DataError, NotFoundError, TransientError, ConfigError, type ErrorContext } from '../errors.js';
import { parseDuration } from '../pipeline/duration.js';
import type { HttpConnection } from './connections.js';

export type HttpCall = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  context?: ErrorContext;
  /** Aborts the request when the activity is cancelled. */
  signal?: AbortSignal;
};

export type HttpResult = { status: number; headers: Record<string, string>; body: unknown; url: string };

export function buildUrl(conn: HttpConnection, path: string, query: HttpCall['query'] = {}): URL {
  const url = /^https?:\/\//.test(path) ? new URL(path) : new URL(path.replace(/^\//, ''), conn.base_url.endsWith('/') ? conn.base_url : `${conn.base_url}/`);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url;
}

function authHeaders(conn: HttpConnection): Record<string, string> {
  const auth = conn.auth;
  if (!auth) return {};
  if (auth.type === 'bearer') return { authorization: `Bearer ${auth.token}` };
  if (auth.type === 'basic') return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
  return { [auth.name.toLowerCase()]: auth.value };
}

/** Endpoint text for messages: method and URL without the query string's values. */
const describeEndpoint = (method: string, url: URL): string => `${method} ${url.origin}${url.pathname}`;

export async function httpJson(conn: HttpConnection, call: HttpCall): Promise<HttpResult> {
  const url = buildUrl(conn, call.path, call.query);
  const endpoint = describeEndpoint(call.method, url);
  const context = { endpoint, ...call.context };
  const timeout = parseDuration(conn.timeout);
  let res;
  try {
    res = await request(url, {
      method: call.method,
      headers: {
        accept: 'application/json',
        ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...conn.headers,
        ...authHeaders(conn),
        ...call.headers,
      },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      headersTimeout: timeout,
      bodyTimeout: timeout,
      signal: call.signal,
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_INVALID_URL') throw new ConfigError(`invalid URL ${url.href}`, context, { cause: err });
    throw new TransientError(`request failed: ${(err as Error).message}`, context, { cause: err });
  }
  const text = await res.body.text();
  const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]));
  const status = res.statusCode;
  if (status >= 400) throw statusError(status, headers, text, context);
  let body: unknown = null;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new DataError(`response is not valid JSON (${(err as Error).message}); starts with: ${JSON.stringify(text.slice(0, 80))}`, context);
    }
  }
  return { status, headers, body, url: url.href };
}

function statusError(status: number, headers: Record<string, string>, text: string, context: ErrorContext) {
  const detail = text ? `: ${text.slice(0, 200).replace(/\s+/g, ' ')}` : '';
  if (status === 401 || status === 403) {
    return new AuthError(`HTTP ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}${detail} (check the credentials of the connection)`, context);
  }
  if (status === 404) return new NotFoundError(`HTTP 404 Not Found${detail}`, context);
  if (status === 408 || status === 429 || status >= 500) {
    return new TransientError(`HTTP ${status}${detail}`, context, { retryAfterMs: retryAfterMs(headers['retry-after']) });
  }
  return new DataError(`HTTP ${status}${detail}`, context);
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Reads a value at a dotted path such as `data.items` (an empty path is the value itself). */
export function atPath(value: unknown, path: string | undefined): unknown {
  if (!path) return value;
  let cur: unknown = value;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
