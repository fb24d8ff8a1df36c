/**
 * OAuth2 client credentials (RFC 6749 §4.4) for http connections: the access token is fetched from
 * `token_url`, cached per worker process per connection, refreshed shortly before it expires
 * (`expires_in`) and once more when the API answers 401 (http.ts then repeats the request once).
 *
 *   api:
 *     type: http
 *     base_url: https://api.example.com/v2
 *     auth:
 *       type: oauth2_client_credentials
 *       token_url: https://auth.example.com/oauth/token
 *       client_id: ferry
 *       client_secret: ${env:API_CLIENT_SECRET}
 *       scope: read:orders
 *       audience: https://api.example.com      # Auth0-style; sent only when given
 *       params: { resource: orders }           # further form fields of the token request
 *
 * Failure semantics: 400/401/403 from the token endpoint → AUTH (not retried; the message names the
 * token_url, masked, and quotes the endpoint's answer with the client secret masked), 408/429/5xx
 * and network errors → TRANSIENT (the activity retries). The token and the client secret are
 * registered as secrets, so they are masked in every message and log. A token request is not one
 * of the API's requests (it does not count against a request budget). Concurrent pages of one
 * process share one token request.
 */
import { z } from 'zod';
import { AuthError, TransientError, type ErrorContext } from '../errors.js';
import { maskSecrets, registerSecret } from '../pipeline/interpolate.js';
import { maskUrl, secret } from '../pipeline/secrets.js';

/** undici, loaded on the first request: `ferry run` validates pipelines with HTTP sources without it. */
const undici = () => import('undici');

export const oauth2Schema = z.strictObject({
  type: z.literal('oauth2_client_credentials'),
  token_url: z.string().describe('the token endpoint, e.g. https://auth.example.com/oauth/token'),
  client_id: z.string().describe('the client id'),
  client_secret: secret('the client secret'),
  scope: z.string().optional().describe('space-separated scopes to request'),
  audience: z.string().optional().describe('the audience to request (Auth0 and similar)'),
  params: z.record(z.string(), z.string()).default({}).describe('further form fields of the token request'),
  client_auth: z.enum(['body', 'basic']).default('body').describe('send client_id/client_secret as form fields (body) or as HTTP Basic auth (basic)'),
});
export type OAuth2Auth = z.infer<typeof oauth2Schema>;

type Token = { value: string; expiresAt: number };

/** Refresh this long before expiry (or at half the lifetime of a short-lived token). */
const REFRESH_MARGIN_MS = 60_000;
const DEFAULT_LIFETIME_S = 3600;

const cache = new Map<string, Promise<Token>>();
let tokenRequests = 0;

const cacheKey = (auth: OAuth2Auth): string => JSON.stringify([auth.token_url, auth.client_id, auth.client_secret, auth.scope, auth.audience, auth.params, auth.client_auth]);

/** The cached token, fetched or refreshed when it is missing or about to expire. `stale`: a token the API refused. */
export async function oauth2Token(auth: OAuth2Auth, options: { timeoutMs: number; signal?: AbortSignal; stale?: string; now?: () => number }): Promise<string> {
  const now = options.now ?? Date.now;
  const key = cacheKey(auth);
  const cached = cache.get(key);
  if (cached) {
    const token = await cached.catch(() => undefined);
    if (token && token.value !== options.stale && now() < token.expiresAt) return token.value;
    if (cache.get(key) !== cached) return oauth2Token(auth, options); // another page refreshed it meanwhile
  }
  const pending = fetchToken(auth, options.timeoutMs, options.signal, now);
  cache.set(key, pending);
  try {
    return (await pending).value;
  } catch (err) {
    if (cache.get(key) === pending) cache.delete(key);
    throw err;
  }
}

/** Tokens fetched by this process so far (for tests and metrics). */
export const oauth2TokenRequests = (): number => tokenRequests;

/** Forgets every cached token (tests). */
export function clearOAuth2Tokens(): void {
  cache.clear();
}

async function fetchToken(auth: OAuth2Auth, timeoutMs: number, signal: AbortSignal | undefined, now: () => number): Promise<Token> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (auth.client_auth === 'body') {
    form.set('client_id', auth.client_id);
    form.set('client_secret', auth.client_secret);
  }
  if (auth.scope) form.set('scope', auth.scope);
  if (auth.audience) form.set('audience', auth.audience);
  for (const [k, v] of Object.entries(auth.params)) form.set(k, v);
  const context: ErrorContext = { endpoint: `POST ${maskUrl(auth.token_url.replace(/[?#].*$/, ''))}`, field: 'auth.token_url' };
  const mask = (text: string) => maskSecrets(maskUrl(text), [auth.client_secret]);
  const basic = auth.client_auth === 'basic' ? { authorization: `Basic ${Buffer.from(`${encodeURIComponent(auth.client_id)}:${encodeURIComponent(auth.client_secret)}`).toString('base64')}` } : {};
  const started = now();
  tokenRequests++;
  let status: number;
  let text: string;
  try {
    const res = await (await undici()).request(auth.token_url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...basic },
      body: form.toString(),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal,
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (err) {
    throw new TransientError(`token request failed: ${mask((err as Error).message)}`, context, { cause: err });
  }
  const said = text.replace(/\s+/g, ' ').trim();
  const detail = said ? `: ${mask(said.length > 300 ? `${said.slice(0, 300)}…` : said)}` : '';
  if (status === 408 || status === 429 || status >= 500) throw new TransientError(`token endpoint answered HTTP ${status}${detail}`, context);
  if (status >= 300) throw new AuthError(`token endpoint refused the client credentials: HTTP ${status}${detail} (check client_id, client_secret and scope)`, context);
  let body: { access_token?: unknown; expires_in?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new AuthError(`token endpoint answered HTTP ${status} without JSON${detail}`, context);
  }
  if (typeof body.access_token !== 'string' || !body.access_token) throw new AuthError('token endpoint answered without an access_token', context);
  registerSecret(body.access_token);
  const lifetimeMs = (Number.isFinite(Number(body.expires_in)) && Number(body.expires_in) > 0 ? Number(body.expires_in) : DEFAULT_LIFETIME_S) * 1000;
  return { value: body.access_token, expiresAt: started + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2) };
}
