/**
 * The HTTP client shared by the http source and sink: base URL and auth from a named connection,
 * redirects, and one classifier from HTTP status to Ferry error (`classifyStatus`).
 *
 *   const res = await httpText(conn, { method: 'GET', path: '/customers', query: { page: 2 } });
 *   await httpText(conn, { method: 'POST', path: '/ingest', bodyText: '[{"id":9007199254740993}]' });
 *
 * Failure semantics: 401/403 → AUTH, 404 → NOT_FOUND, 408/429/5xx and network errors → TRANSIENT
 * (honouring Retry-After), any other 4xx → DATA with the response body; an invalid base_url, a
 * redirect loop or a redirect that would turn a POST into a GET → CONFIG. Nothing here retries:
 * the activity's retry policy does. Cancellation aborts the request in flight (`signal`).
 *
 * OAuth2 client credentials (oauth2.ts): the cached token is sent as a bearer token; a 401 gets one
 * new token and one more try of the same request (a second 401 is AUTH).
 *
 * Security: credentials (auth, connection headers, an api_key query parameter) are sent only to
 * the base_url's origin — a next_url or redirect to another host gets none. Every URL put in a
 * message goes through `maskUrl`, and response bodies in messages are masked against the
 * connection's own secrets and every registered one.
 */
import { AuthError, DataError, NotFoundError, TransientError, ConfigError, type ErrorContext, type FerryError } from '../errors.js';
import { parseDuration } from '../pipeline/duration.js';
import { maskSecrets } from '../pipeline/interpolate.js';
import { maskUrl, secretValues } from '../pipeline/secrets.js';
import { httpConnectionSchema, type HttpConnection } from './connections.js';
import { oauth2Token } from './oauth2.js';

/** undici, loaded on the first request: `ferry run` validates pipelines with HTTP sources without it. */
const undici = () => import('undici');

export type HttpCall = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  path: string;
  query?: Record<string, string | number | undefined>;
  /** A value sent as JSON (JSON.stringify); use `bodyText` for text that must keep every digit. */
  body?: unknown;
  bodyText?: string;
  headers?: Record<string, string>;
  context?: ErrorContext;
  /** Aborts the request when the activity is cancelled. */
  signal?: AbortSignal;
};

/** `url` is masked (safe for messages); `endpoint` is the `METHOD origin/path` text of error contexts. */
export type HttpTextResult = { status: number; headers: Record<string, string>; text: string; url: string; endpoint: string };
export type HttpResult = Omit<HttpTextResult, 'text'> & { body: unknown };

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * `path` joined to base_url's path; `/` (the sink's default) is base_url exactly as written, so a
 * webhook URL gets no trailing slash. base_url's own query string (a webhook's `?sig=…`) is kept on
 * every request made from it, ahead of the path's and the call's parameters; an absolute `path` (a
 * next_url) is taken as it is.
 */
export function buildUrl(conn: HttpConnection, path: string, query: HttpCall['query'] = {}): URL {
  let url: URL;
  const base = /^https?:\/\//i.test(path) ? undefined : new URL(conn.base_url);
  if (!base) {
    url = new URL(path);
  } else if (path === '' || path === '/') {
    url = base;
    url.hash = '';
  } else {
    const dir = new URL(base);
    dir.search = '';
    dir.hash = '';
    if (!dir.pathname.endsWith('/')) dir.pathname = `${dir.pathname}/`;
    url = new URL(path.replace(/^\//, ''), dir);
    if (base.search) url.search = url.search ? `${base.search}&${url.search.slice(1)}` : base.search;
  }
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url;
}

/** The origin credentials belong to; a ConfigError when base_url is not an http(s) URL. */
export function connectionOrigin(conn: HttpConnection): string {
  let base: URL;
  try {
    base = new URL(conn.base_url);
  } catch (err) {
    throw new ConfigError(`Invalid URL: base_url ${JSON.stringify(maskUrl(conn.base_url))} is not an absolute URL (e.g. https://api.example.com/v2)`, { field: 'base_url' }, { cause: err });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new ConfigError(`base_url must be an http or https URL, got ${JSON.stringify(maskUrl(conn.base_url))}`, { field: 'base_url' });
  }
  return base.origin;
}

/** Headers that carry credentials: sent to the connection's origin only. */
function credentialHeaders(conn: HttpConnection): Record<string, string> {
  const headers = Object.fromEntries(Object.entries(conn.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const auth = conn.auth;
  if (auth?.type === 'bearer') headers.authorization = `Bearer ${auth.token}`;
  if (auth?.type === 'basic') headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  if (auth?.type === 'header' || (auth?.type === 'api_key' && auth.location === 'header')) headers[auth.name.toLowerCase()] = auth.value;
  const base = new URL(conn.base_url);
  if (!auth && (base.username || base.password)) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
  }
  return headers;
}

/** The connection's own secret values and the header values built from them: masked in every message. */
function connectionSecrets(conn: HttpConnection): string[] {
  const auth = credentialHeaders(conn).authorization;
  return [...secretValues(httpConnectionSchema, conn), ...(auth ? [auth.replace(/^\w+ /, '')] : [])];
}

const queryKeyName = (conn: HttpConnection): string[] => (conn.auth?.type === 'api_key' && conn.auth.location === 'query' ? [conn.auth.name] : []);

/** Endpoint text for messages: method and URL without userinfo or query string. */
const describeEndpoint = (method: string, url: URL): string => `${method} ${url.origin}${url.pathname}`;

export async function httpText(conn: HttpConnection, call: HttpCall): Promise<HttpTextResult> {
  const home = connectionOrigin(conn);
  let url: URL;
  try {
    url = buildUrl(conn, call.path, call.query);
  } catch (err) {
    throw new ConfigError(`Invalid URL: path ${JSON.stringify(maskUrl(call.path))} with base_url ${JSON.stringify(maskUrl(conn.base_url))}`, { ...call.context, field: 'path' }, { cause: err });
  }
  const secrets = connectionSecrets(conn);
  const mask = (text: string) => maskSecrets(maskUrl(text, queryKeyName(conn)), secrets);
  const timeout = parseDuration(conn.timeout);
  let method = call.method;
  const bodyText = call.bodyText ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
  const visited: string[] = [];
  const oauth = conn.auth?.type === 'oauth2_client_credentials' ? conn.auth : undefined;
  let token: string | undefined;
  let refreshed = false;
  let stale: string | undefined;

  for (;;) {
    const context: ErrorContext = { endpoint: describeEndpoint(method, url), ...call.context };
    const own = url.origin === home;
    const target = new URL(url);
    target.username = '';
    target.password = '';
    if (own && conn.auth?.type === 'api_key' && conn.auth.location === 'query') target.searchParams.set(conn.auth.name, conn.auth.value);
    if (own && oauth) {
      token = await oauth2Token(oauth, { timeoutMs: timeout, signal: call.signal, ...(stale ? { stale } : {}) });
      stale = undefined;
    }
    let res;
    try {
      res = await (await undici()).request(target, {
        method,
        headers: {
          accept: 'application/json',
          ...(bodyText !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(own ? credentialHeaders(conn) : {}),
          ...(own && token ? { authorization: `Bearer ${token}` } : {}),
          ...call.headers,
        },
        body: bodyText,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: call.signal,
      });
    } catch (err) {
      throw new TransientError(`request failed: ${mask((err as Error).message)}`, context, { cause: err });
    }
    const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]));
    const status = res.statusCode;
    if (status === 401 && own && oauth && !refreshed) {
      // The token may have been revoked or expired early: one new token, one more try.
      await res.body.dump();
      refreshed = true;
      stale = token;
      continue;
    }
    if (REDIRECTS.has(status) && headers.location) {
      await res.body.dump();
      url = followRedirect(url, headers.location, status, method, visited, context, mask);
      if (status === 303) method = 'GET';
      continue;
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw new TransientError(`reading the response failed: ${mask((err as Error).message)}`, context, { cause: err });
    }
    if (status >= 300) throw classifyStatus(status, headers, mask(text), context);
    return { status, headers, text, url: mask(url.href), endpoint: context.endpoint! };
  }
}

function followRedirect(from: URL, location: string, status: number, method: string, visited: string[], context: ErrorContext, mask: (s: string) => string): URL {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch (err) {
    throw new DataError(`HTTP ${status} redirects to an invalid URL ${JSON.stringify(mask(location))}`, context, { cause: err });
  }
  visited.push(from.href);
  const hops = [...visited, next.href].map((h) => mask(h)).join(' → ');
  if (visited.includes(next.href)) throw new ConfigError(`redirect loop: ${hops}`, context);
  if (visited.length > MAX_REDIRECTS) throw new ConfigError(`too many redirects (more than ${MAX_REDIRECTS}): ${hops}`, context);
  if (method !== 'GET' && status !== 307 && status !== 308) {
    // Following would resend the batch as a GET without its body: the data would be lost, not delivered.
    throw new ConfigError(`HTTP ${status} redirects the ${method} to ${mask(next.href)}, which would turn it into a GET; point the connection's base_url or the path at the final URL`, context);
  }
  return next;
}

/**
 * The one HTTP status classifier. `text` is the (already masked) response body, quoted in the
 * message so the user sees what the API said.
 */
export function classifyStatus(status: number, headers: Record<string, string>, text: string, context: ErrorContext): FerryError {
  const body = text.replace(/\s+/g, ' ').trim();
  const detail = body ? `: ${body.length > 300 ? `${body.slice(0, 300)}…` : body}` : '';
  if (status === 401 || status === 403) {
    return new AuthError(`HTTP ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}${detail} (check the credentials of the connection)`, context);
  }
  if (status === 404) return new NotFoundError(`HTTP 404 Not Found${detail}`, context);
  if (status === 408 || status === 429 || status >= 500) {
    return new TransientError(`HTTP ${status}${detail}`, context, { retryAfterMs: retryAfterMs(headers['retry-after']) });
  }
  if (status >= 300 && status < 400) return new DataError(`HTTP ${status} without a Location to follow${detail}`, context);
  return new DataError(`HTTP ${status}${detail}`, context);
}

/** A request whose response is parsed with JSON.parse (for small bodies whose numbers need no exactness). */
export async function httpJson(conn: HttpConnection, call: HttpCall): Promise<HttpResult> {
  const { text, ...res } = await httpText(conn, call);
  let body: unknown = null;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new DataError(`response is not valid JSON (${(err as Error).message}); starts with: ${JSON.stringify(maskSecrets(text.slice(0, 80)))}`, { endpoint: res.endpoint, ...call.context });
    }
  }
  return { ...res, body };
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
