/**
 * `${param:NAME}` and `${param:NAME:-default}` in a pipeline, resolved before validation from
 * `--param NAME=value` or the pipeline's `params:` defaults. Unlike a first-error resolver, this one
 * collects every missing parameter and leaves the reference in place, so validation goes on and
 * reports schema and graph problems in the same pass. A field that is exactly one reference is
 * remembered, so a number or boolean field can take a parameter (`batch_size: ${param:size}`).
 *
 *   const { value, missing, whole } = resolveParamRefs(raw, { day: '2024-01-05' });
 */
const PARAM_REF = /\$\{param:([A-Za-z_][A-Za-z0-9_.-]*)(?::-([^}]*))?\}/g;
const WHOLE_REF = new RegExp(`^${PARAM_REF.source}$`);

export type Path = (string | number)[];
export type MissingParam = { path: Path; name: string };

export type ResolvedParams = {
  value: unknown;
  missing: MissingParam[];
  /** Fields that were exactly one reference: path key → the reference as written. */
  whole: Map<string, string>;
};

export const pathKey = (path: Path): string => path.map(String).join('\u0000');

export function resolveParamRefs(value: unknown, params: Record<string, string>): ResolvedParams {
  const missing: MissingParam[] = [];
  const whole = new Map<string, string>();
  const walk = (v: unknown, path: Path): unknown => {
    if (typeof v === 'string') {
      if (WHOLE_REF.test(v)) whole.set(pathKey(path), v);
      return v.replace(PARAM_REF, (all, name: string, fallback: string | undefined) => {
        const resolved = params[name] ?? fallback;
        if (resolved !== undefined) return resolved;
        missing.push({ path, name });
        return all;
      });
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    return v;
  };
  return { value: walk(value, []), missing, whole };
}

/** The value a whole-reference field takes where the schema expects a number or a boolean. */
export function coerceParam(text: string, expected: 'number' | 'boolean'): number | boolean | undefined {
  const t = text.trim();
  if (expected === 'boolean') return t === 'true' ? true : t === 'false' ? false : undefined;
  return /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : undefined;
}

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g;

/** Every `${env:…}` in a value, with where it is (pipeline files must not have any). */
export function envRefsIn(value: unknown, path: Path = []): { path: Path; ref: string }[] {
  if (typeof value === 'string') return [...value.matchAll(ENV_REF)].map((m) => ({ path, ref: m[0] }));
  if (Array.isArray(value)) return value.flatMap((x, i) => envRefsIn(x, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, x]) => envRefsIn(x, [...path, k]));
  return [];
}
