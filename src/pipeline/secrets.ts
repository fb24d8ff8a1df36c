/**
 * Secrets are typed in the schemas, not guessed from field names. `secret()` marks a field whose
 * whole value is a credential: in YAML it must be one `${env:NAME}` reference (a literal fails
 * validation with its file:line), and once resolved on the worker its value is registered for
 * masking. `secretText()` marks free text that may embed secrets (HTTP header values): literals
 * are allowed, and the values its `${env:…}` references resolve to are masked.
 *
 *   auth: z.strictObject({ type: z.literal('bearer'), token: secret('the bearer token') })
 *   secretPaths(connectionSchema, spec)   // → [['auth', 'token']]
 *   maskUrl('https://u:pw@api.example/x?api_key=k&page=2')  // → 'https://u:***@api.example/x?api_key=***&page=2'
 */
import { z } from 'zod';
import { isOneEnvRef, maskSecrets } from './interpolate.js';
import { envRefsIn, pathKey, type Path } from './params.js';

type SecretKind = 'whole' | 'embedded';
const secretRegistry = z.registry<{ kind: SecretKind }>();

/** A credential: only ever a `${env:NAME}` reference in a config file. */
export function secret(description: string) {
  const schema = z.string()
    .refine(isOneEnvRef, { message: 'must be a ${env:NAME} reference: secrets never live in config files (set NAME in the worker\'s environment)' })
    .describe(`${description} (secret: a \${env:NAME} reference)`);
  secretRegistry.add(schema, { kind: 'whole' });
  return schema;
}

/** Free text that may embed `${env:…}` secrets (e.g. `Bearer ${env:TOKEN}`); what they resolve to is masked. */
export function secretText(description: string) {
  const schema = z.string().describe(`${description} (\${env:NAME} references in it are treated as secrets)`);
  secretRegistry.add(schema, { kind: 'embedded' });
  return schema;
}

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  innerType?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  in?: z.ZodType;
  values?: unknown[];
};
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

export type SecretPath = { path: string[]; kind: SecretKind };

/** The key paths of `value` that its schema types as secrets. */
export function secretPaths(schema: z.ZodType, value: unknown, path: string[] = []): SecretPath[] {
  const marked = secretRegistry.get(schema);
  if (marked) return typeof value === 'string' ? [{ path, kind: marked.kind }] : [];
  const def = defOf(schema);
  switch (def.type) {
    case 'optional': case 'default': case 'nullable': case 'readonly': case 'prefault': case 'catch':
      return secretPaths(def.innerType!, value, path);
    case 'pipe':
      return secretPaths(def.in!, value, path);
    case 'object': {
      if (!isRecord(value)) return [];
      return Object.entries(def.shape!).flatMap(([key, field]) => (key in value ? secretPaths(field, value[key], [...path, key]) : []));
    }
    case 'record':
      return isRecord(value) ? Object.keys(value).flatMap((key) => secretPaths(def.valueType!, value[key], [...path, key])) : [];
    case 'array':
      return Array.isArray(value) ? value.flatMap((v, i) => secretPaths(def.element!, v, [...path, String(i)])) : [];
    case 'union': {
      const option = def.options!.find((o) => literalsMatch(o, value));
      return option ? secretPaths(option, value, path) : [];
    }
    default:
      return [];
  }
}

/**
 * The `${env:…}` references of `value` outside the fields its schema types `secret()`: a pipeline
 * file may hold a reference only where a secret belongs (the pii step's keys), nowhere else.
 */
export function envRefsOutsideSecrets(schema: z.ZodType, value: unknown): { path: Path; ref: string }[] {
  const allowed = new Set(secretPaths(schema, value).filter((p) => p.kind === 'whole').map((p) => pathKey(p.path)));
  return envRefsIn(value).filter(({ path }) => !allowed.has(pathKey(path)));
}

/** The string values at the fields typed `secret()` (not `secretText()`), e.g. to mask one connection's own credentials. */
export function secretValues(schema: z.ZodType, value: unknown): string[] {
  return secretPaths(schema, value).filter((p) => p.kind === 'whole').map((p) => valueAt(value, p.path)).filter((v): v is string => typeof v === 'string' && v.length > 0);
}

/** A union option is chosen by its literal fields (the `type` discriminator), so resolved values need not re-validate. */
function literalsMatch(option: z.ZodType, value: unknown): boolean {
  let def = defOf(option);
  while (def.innerType) def = defOf(def.innerType);
  if (def.type !== 'object' || !isRecord(value)) return false;
  const literals = Object.entries(def.shape!).filter(([, f]) => defOf(f).type === 'literal');
  return literals.every(([key, f]) => defOf(f).values!.includes(value[key]));
}

function valueAt(value: unknown, path: string[]): unknown {
  let cur = value;
  for (const key of path) cur = isRecord(cur) || Array.isArray(cur) ? (cur as Record<string, unknown>)[key] : undefined;
  return cur;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Query parameters that carry credentials in the wild; their values never appear in a message. */
export const SECRET_QUERY_PARAMS = ['api_key', 'apikey', 'api-key', 'key', 'token', 'access_token', 'refresh_token', 'id_token', 'auth', 'sig', 'signature', 'password', 'passwd', 'secret', 'client_secret', 'x-amz-signature', 'x-amz-credential', 'x-amz-security-token'];

/**
 * A URL as it may appear in a message: the password of its userinfo and the values of credential
 * query parameters (`SECRET_QUERY_PARAMS` plus `params`, e.g. a connection's api_key name) become
 * `***`, and registered secrets are masked too. Works on text that is not a valid URL.
 */
export function maskUrl(url: string | URL, params: string[] = []): string {
  const names = new Set([...SECRET_QUERY_PARAMS, ...params.map((p) => p.toLowerCase())]);
  const text = String(url)
    .replace(/([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s]*)@/gi, (_all, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return `${scheme}${colon < 0 ? '***' : `${userinfo.slice(0, colon)}:***`}@`;
    })
    // A value ends where a URL cannot go on (a quote or bracket: a URL quoted in an API's JSON error).
    .replace(/([?&;])([^=&#;?\s"'<>]+)=([^&#;\s"'<>]*)/g, (all, sep: string, name: string, _value: string) => {
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch { /* keep it as written */ }
      return names.has(decoded.toLowerCase()) ? `${sep}${name}=***` : all;
    });
  return maskSecrets(text);
}
