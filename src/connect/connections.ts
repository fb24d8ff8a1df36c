/**
 * Named connections (config/connections.yaml). Secrets are typed with `secret()`: in the file they
 * can only be `${env:…}` references (a literal fails `ferry validate` with its file:line), they stay
 * unresolved in workflow inputs and history, and `resolveConnection` resolves them inside an
 * activity and registers exactly those values for masking.
 *
 *   warehouse:
 *     type: postgres
 *     host: ${env:PGHOST:-127.0.0.1}
 *     password: ${env:PGPASSWORD:-}
 *   api:
 *     type: http
 *     base_url: https://api.example.com/v2
 *     auth: { type: api_key, name: api_key, value: '${env:EXAMPLE_API_KEY}', location: query }
 *   crm:
 *     type: http
 *     base_url: https://crm.example.com/api
 *     auth: { type: oauth2_client_credentials, token_url: https://auth.example.com/token, client_id: ferry, client_secret: '${env:CRM_SECRET}' }
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { hasEnvRef, registerSecret, resolveEnv } from '../pipeline/interpolate.js';
import { secret, secretPaths, secretText } from '../pipeline/secrets.js';
import { durationSchema } from '../pipeline/duration.js';
import { oauth2Schema } from './oauth2.js';

/** A number, or a string that becomes one once its `${env:…}` references are resolved. */
const intLike = z.union([z.number().int(), z.string()]);

export const postgresConnectionSchema = z.strictObject({
  type: z.literal('postgres'),
  host: z.string().default('127.0.0.1'),
  port: intLike.default(5432),
  database: z.string(),
  user: z.string().default('postgres'),
  password: secret('the password').optional(),
  ssl: z.boolean().default(false),
});

/**
 * An S3 connection. Every field may be left out: what is not set comes from the standard AWS
 * variables and the SDK's default chain (see `s3Client` in connect/s3.ts for the precedence).
 */
export const s3ConnectionSchema = z.strictObject({
  type: z.literal('s3'),
  endpoint: z.string().optional().describe('omit for AWS (or set AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL); e.g. http://127.0.0.1:9000 for MinIO'),
  region: z.string().optional().describe('default: AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1'),
  access_key_id: z.string().optional().describe('with secret_access_key: static credentials; omit both for the SDK default chain (AWS_ACCESS_KEY_ID…, AWS_PROFILE, SSO, web identity, ECS/EC2 roles)'),
  secret_access_key: secret('the secret access key').optional(),
  session_token: secret('the session token of temporary credentials').optional(),
  profile: z.string().optional().describe('a profile of ~/.aws/config and ~/.aws/credentials (instead of AWS_PROFILE) for the default chain'),
  force_path_style: z.boolean().optional().describe('bucket in the path (http://host/bucket/key), not in the host name; default: true when an endpoint is set (MinIO and most S3-compatible stores), false for AWS'),
});

const authSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('bearer'), token: secret('sent as Authorization: Bearer <token>') }),
  z.strictObject({ type: z.literal('header'), name: z.string(), value: secret('the header value') }),
  z.strictObject({ type: z.literal('basic'), username: z.string(), password: secret('the password') }),
  z.strictObject({
    type: z.literal('api_key'),
    name: z.string().describe('the header or query parameter name, e.g. X-API-Key or api_key'),
    value: secret('the API key'),
    location: z.enum(['header', 'query']).default('header').describe('send the key as a request header or as a query parameter'),
  }),
  oauth2Schema,
]);

export const httpConnectionSchema = z.strictObject({
  type: z.literal('http'),
  base_url: z.string().describe('e.g. https://api.example.com/v2; every path is relative to it'),
  headers: z.record(z.string(), secretText('a header value')).default({}).describe('sent with every request to the base_url\'s origin, never to another host'),
  auth: authSchema.optional().describe('bearer | basic | header | api_key | oauth2_client_credentials; sent only to the base_url\'s origin (a next_url or redirect to another host gets no credentials)'),
  timeout: durationSchema.default('30s'),
  rate_limit: z.strictObject({
    requests_per_second: z.number().positive().describe('for all workers together (Temporal\'s server-side task-queue rate limit)'),
    concurrency: z.number().int().positive().optional().describe('requests in flight at once, for all workers and runs together (a lease per request, which costs a few Temporal round trips); unset: only requests_per_second applies, with one request at a time per worker'),
  }).optional().describe('requests to this API go through their own task queue, limited for the whole worker fleet'),
});

export const connectionSchema = z.discriminatedUnion('type', [postgresConnectionSchema, s3ConnectionSchema, httpConnectionSchema]);
export const connectionsFileSchema = z.record(z.string(), connectionSchema);

export type ConnectionSpec = z.infer<typeof connectionSchema>;
export type PostgresConnection = z.infer<typeof postgresConnectionSchema>;
export type S3Connection = z.infer<typeof s3ConnectionSchema>;
export type HttpConnection = z.infer<typeof httpConnectionSchema>;
export type HttpAuth = z.infer<typeof authSchema>;

type ByType = { postgres: PostgresConnection; s3: S3Connection; http: HttpConnection };

/**
 * Resolves `${env:…}` in a connection on the worker and checks it is of the expected kind. The
 * values of the fields the schema types as secrets are registered for masking — those and no others.
 */
export function resolveConnection<K extends keyof ByType>(
  connections: Record<string, ConnectionSpec>,
  name: string,
  kind: K,
  env: NodeJS.ProcessEnv = process.env,
): ByType[K] {
  const spec = connections[name];
  if (!spec) throw new ConfigError(`unknown connection '${name}'; defined: ${Object.keys(connections).join(', ') || 'none'}`, { connection: name });
  if (spec.type !== kind) throw new ConfigError(`connection '${name}' is of type ${spec.type}, expected ${kind}`, { connection: name });
  const secrets = new Set(secretPaths(connectionSchema, spec).map((p) => p.path.join('\0')));
  const resolved = resolveEnv(spec, env, `connections.${name}`, (path, value) => {
    if (secrets.has(path.join('\0'))) registerSecret(value);
  }) as ByType[K];
  if (spec.type === 'http' && resolved.type === 'http' && hasEnvRef(spec.base_url)) registerUrlCredentials(resolved.base_url);
  if (resolved.type === 'postgres') {
    const port = Number(resolved.port);
    if (!Number.isInteger(port)) throw new ConfigError(`port must be an integer, got '${resolved.port}'`, { connection: name, field: 'port' });
    return { ...resolved, port } as ByType[K];
  }
  return resolved;
}

/**
 * A base_url that comes from the environment may carry a credential beyond its origin: a webhook's
 * token in its path (https://hooks.example.com/services/T0/B0/XXXX) or a password in its userinfo.
 * Those are masked like secrets; the origin is not, so messages still name the host. (Its query
 * parameters are masked by name, see SECRET_QUERY_PARAMS.)
 */
function registerUrlCredentials(baseUrl: string): void {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return; // not a URL: the request fails with a ConfigError that names base_url (masked)
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (path) registerSecret(path);
  if (url.password) {
    registerSecret(url.password);
    try {
      registerSecret(decodeURIComponent(url.password));
    } catch { /* not percent-encoded text: the raw form is registered */ }
  }
}
