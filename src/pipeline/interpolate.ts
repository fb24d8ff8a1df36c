/**
 * `${env:NAME}` and `${env:NAME:-default}` references keep secrets out of workflow inputs and
 * history: the CLI passes them through untouched, and only activities resolve them, on the worker.
 * `${param:NAME}` references are not secret; the CLI resolves them before a run starts.
 *
 *   resolveEnv({ token: '${env:API_TOKEN}' }, process.env)  // → { token: 's3cr3t' }
 *
 * Which resolved values are secrets is not decided here (by a field's name) but by the schema:
 * fields typed with `secret()` (src/pipeline/secrets.ts) are registered for masking by
 * `resolveConnection`, through the `onResolved` hook below.
 */
import { ConfigError } from '../errors.js';

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const ONE_ENV_REF = new RegExp(`^${ENV_REF.source}$`);

/** Secret values resolved in this process; messages and logs are masked against them. */
const registered = new Set<string>();

/**
 * Shorter values are not masked: replacing every `abc` in a message would garble it, and a
 * credential that short protects nothing anyway.
 */
const MIN_SECRET_LENGTH = 4;

export function registerSecret(value: string): void {
  if (value.length >= MIN_SECRET_LENGTH) registered.add(value);
}

export function hasEnvRef(value: string): boolean {
  return new RegExp(ENV_REF.source).test(value);
}

/** True when the whole value is one `${env:NAME}` (or `${env:NAME:-default}`) reference. */
export function isOneEnvRef(value: string): boolean {
  return ONE_ENV_REF.test(value);
}

export function envRefNames(value: unknown): string[] {
  const names: string[] = [];
  walkStrings(value, (s) => {
    for (const m of s.matchAll(ENV_REF)) names.push(m[1]!);
    return s;
  });
  return names;
}

/** Variables referenced without a `:-default` that are not set in `env` (the workers will need them). */
export function missingEnvRefs(value: unknown, env: NodeJS.ProcessEnv = process.env): string[] {
  const missing = new Set<string>();
  walkStrings(value, (s) => {
    for (const m of s.matchAll(ENV_REF)) if (m[2] === undefined && !env[m[1]!]) missing.add(m[1]!);
    return s;
  });
  return [...missing];
}

/** Called with the key path and the value of every reference resolved (from the environment or its default). */
export type OnResolved = (path: string[], value: string) => void;

/** Deep-resolves env references; `where` names the config location for the error message. */
export function resolveEnv<T>(value: T, env: NodeJS.ProcessEnv = process.env, where = 'config', onResolved?: OnResolved): T {
  return walkStrings(value, (s, path) =>
    s.replace(ENV_REF, (_all, name: string, fallback: string | undefined) => {
      const v = env[name];
      const resolved = v !== undefined && v !== '' ? v : fallback;
      if (resolved === undefined) {
        throw new ConfigError(`environment variable ${name} is not set on the worker (referenced by \${env:${name}})`, { field: [where, ...path].join('.') });
      }
      onResolved?.(path, resolved);
      return resolved;
    }),
  ) as T;
}

/** Replaces every registered secret (and any `extra` value, e.g. one connection's own) with `***`, longest first. */
export function maskSecrets(text: string, extra: Iterable<string> = []): string {
  const secrets = [...registered, ...[...extra].filter((s) => s.length >= MIN_SECRET_LENGTH)].sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

function walkStrings(value: unknown, fn: (s: string, path: string[]) => string, path: string[] = []): unknown {
  if (typeof value === 'string') return fn(value, path);
  if (Array.isArray(value)) return value.map((v, i) => walkStrings(v, fn, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walkStrings(v, fn, [...path, k])]));
  }
  return value;
}
