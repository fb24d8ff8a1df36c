/**
 * `${env:NAME}` and `${env:NAME:-default}` references keep secrets out of workflow inputs and
 * history: the CLI passes them through untouched, and only activities resolve them, on the worker.
 * `${param:NAME}` references are not secret; the CLI resolves them before a run starts.
 *
 *   resolveEnv({ token: '${env:API_TOKEN}' }, process.env)  // → { token: 's3cr3t' }
 */
import { ConfigError } from '../errors.js';

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const PARAM_REF = /\$\{param:([A-Za-z_][A-Za-z0-9_.-]*)(?::-([^}]*))?\}/g;

/** Secret values resolved from the environment; error messages and logs are masked against them. */
const resolvedSecrets = new Set<string>();

/**
 * Fields whose values are secrets, besides everything under `headers` and `auth` (an S3 access key
 * id or a host name is not a secret, and masking such short common words would garble messages).
 */
const SECRET_FIELD = /(token|password|secret|secret_access_key|value)$/i;

export function hasEnvRef(value: string): boolean {
  return new RegExp(ENV_REF.source).test(value);
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

/** Deep-resolves env references; `where` names the config location for the error message. */
export function resolveEnv<T>(value: T, env: NodeJS.ProcessEnv = process.env, where = 'config'): T {
  return walkStrings(value, (s, path) =>
    s.replace(ENV_REF, (_all, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') {
        if (v.length >= 4 && (SECRET_FIELD.test(path.at(-1) ?? '') || path.includes('headers') || path.includes('auth'))) resolvedSecrets.add(v);
        return v;
      }
      if (fallback !== undefined) return fallback;
      throw new ConfigError(`environment variable ${name} is not set on the worker (referenced by \${env:${name}})`, { field: [where, ...path].join('.') });
    }),
  ) as T;
}

export function resolveParams<T>(value: T, params: Record<string, string>): T {
  return walkStrings(value, (s, path) =>
    s.replace(PARAM_REF, (_all, name: string, fallback: string | undefined) => {
      const v = params[name] ?? fallback;
      if (v === undefined) throw new ConfigError(`parameter ${name} has no value: pass --param ${name}=… or declare a default under params:`, { field: path.join('.') });
      return v;
    }),
  ) as T;
}

/** Replaces every secret resolved in this process with `***`. */
export function maskSecrets(text: string): string {
  let out = text;
  for (const secret of resolvedSecrets) out = out.split(secret).join('***');
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
