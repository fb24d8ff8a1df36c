/**
 * Named connections (config/connections.yaml). Secrets stay as `${env:…}` references until an
 * activity resolves them with `resolveConnection`, so they never reach workflow history.
 *
 *   warehouse:
 *     type: postgres
 *     host: ${env:PGHOST:-127.0.0.1}
 *     password: ${env:PGPASSWORD:-}
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { resolveEnv } from '../pipeline/interpolate.js';
import { durationSchema } from '../pipeline/duration.js';

/** A number, or a string that becomes one once its `${env:…}` references are resolved. */
const intLike = z.union([z.number().int(), z.string()]);

export const postgresConnectionSchema = z.strictObject({
  type: z.literal('postgres'),
  host: z.string().default('127.0.0.1'),
  port: intLike.default(5432),
  database: z.string(),
  user: z.string().default('postgres'),
  password: z.string().optional(),
  ssl: z.boolean().default(false),
});

export const s3ConnectionSchema = z.strictObject({
  type: z.literal('s3'),
  endpoint: z.string().optional().describe('omit for AWS; e.g. http://127.0.0.1:9000 for MinIO'),
  region: z.string().default('us-east-1'),
  access_key_id: z.string().optional(),
  secret_access_key: z.string().optional(),
  force_path_style: z.boolean().default(true),
});

const authSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('bearer'), token: z.string() }),
  z.strictObject({ type: z.literal('header'), name: z.string(), value: z.string() }),
  z.strictObject({ type: z.literal('basic'), username: z.string(), password: z.string() }),
]);

export const httpConnectionSchema = z.strictObject({
  type: z.literal('http'),
  base_url: z.string(),
  headers: z.record(z.string(), z.string()).default({}),
  auth: authSchema.optional(),
  timeout: durationSchema.default('30s'),
});

export const connectionSchema = z.discriminatedUnion('type', [postgresConnectionSchema, s3ConnectionSchema, httpConnectionSchema]);
export const connectionsFileSchema = z.record(z.string(), connectionSchema);

export type ConnectionSpec = z.infer<typeof connectionSchema>;
export type PostgresConnection = z.infer<typeof postgresConnectionSchema>;
export type S3Connection = z.infer<typeof s3ConnectionSchema>;
export type HttpConnection = z.infer<typeof httpConnectionSchema>;
export type HttpAuth = z.infer<typeof authSchema>;

type ByType = { postgres: PostgresConnection; s3: S3Connection; http: HttpConnection };

/** Resolves `${env:…}` in a connection on the worker and checks it is of the expected kind. */
export function resolveConnection<K extends keyof ByType>(
  connections: Record<string, ConnectionSpec>,
  name: string,
  kind: K,
  env: NodeJS.ProcessEnv = process.env,
): ByType[K] {
  const spec = connections[name];
  if (!spec) throw new ConfigError(`unknown connection '${name}'; defined: ${Object.keys(connections).join(', ') || 'none'}`, { connection: name });
  if (spec.type !== kind) throw new ConfigError(`connection '${name}' is of type ${spec.type}, expected ${kind}`, { connection: name });
  const resolved = resolveEnv(spec, env, `connections.${name}`) as ByType[K];
  if (resolved.type === 'postgres') {
    const port = Number(resolved.port);
    if (!Number.isInteger(port)) throw new ConfigError(`port must be an integer, got '${resolved.port}'`, { connection: name, field: 'port' });
    return { ...resolved, port } as ByType[K];
  }
  return resolved;
}
