/**
 * References to the logical run (RunContext in src/run.ts) in a source, sink or step, so a run
 * reads and writes ITS OWN day's data. They survive loading untouched (`ferry validate` only checks
 * their names) and are resolved by the activity when the run happens — never in workflow code, so a
 * schedule deployed today still runs tomorrow's run for tomorrow.
 *
 *   ${run.date}         2024-01-05              the run's calendar day (in the schedule's timezone, else UTC)
 *   ${run.date_nodash}  20240105
 *   ${run.year} ${run.month} ${run.day}   2024  01  05   (of run.date)
 *   ${run.time}         2024-01-05T00:00:00Z    the run's instant, UTC, whole seconds (no milliseconds)
 *   ${run.id}           retail-2024-01-05T00:00:00Z   the workflow id (the logical run's key)
 *   ${run.timezone}     UTC                     ${run.trigger}  cli | schedule | client | retry
 *
 * `${run.…}` works in every string field of a source, sink or step. In the fields that name a place
 * (`path`, `key`, `prefix` of a source or sink) the brace forms work too, safe in file names and S3
 * keys: `{run_date}` (2024-01-05), `{run_time}` (20240105T000000Z), `{run_id}`, and `{date}`, the
 * older name of `{run_date}`.
 *
 * Values are spliced as text, SQL included (`WHERE day = '${run.date}'`): every value is one Ferry
 * controls — dates and times are digits by construction, and a run id is refused unless it is made
 * of letters, digits and `- _ . : + @ /` — so none can close a quote. File paths are confined to
 * FERRY_FILE_ROOTS and S3 keys checked for `..` AFTER resolution, by the adapters.
 *
 *   resolveRunRefs(source, run, { what: 'source', places: true })
 *   runRefIssues(rawSpecSection)  // for ferry validate: unknown names, with where they are
 */
import { ConfigError, type ErrorContext } from '../errors.js';
import type { RunContext } from '../run.js';
import { isDay } from '../run-date.js';

export const RUN_REF_NAMES = ['date', 'date_nodash', 'year', 'month', 'day', 'time', 'id', 'timezone', 'trigger'] as const;
export type RunRefName = (typeof RUN_REF_NAMES)[number];
export const RUN_BRACE_NAMES = ['run_date', 'run_time', 'run_id', 'date'] as const;
export type RunBraceName = (typeof RUN_BRACE_NAMES)[number];

/** The fields of a source or sink that name a place, where the brace forms are resolved too. */
export const PLACE_FIELDS = ['path', 'key', 'prefix'] as const;

const RUN_REF = /\$\{run\.([^}]*)\}/g;
/** `{run_…}` and `{date}`, but not the inside of a `${…}`. */
const BRACE_REF = /(?<!\$)\{(run_[A-Za-z0-9_]*|date)\}/g;
const SAFE_ID = /^[A-Za-z0-9_.:+@/-]+$/;

export const RUN_REFS_LIST = RUN_REF_NAMES.map((n) => `\${run.${n}}`).join(', ');
export const RUN_BRACES_LIST = RUN_BRACE_NAMES.map((n) => `{${n}}`).join(', ');

type Path = (string | number)[];

/** Whether the field at `path` (inside one source or sink) names a place. */
const isPlace = (path: Path): boolean => path.length === 1 && (PLACE_FIELDS as readonly string[]).includes(String(path[0]));

/** The `${run.…}` values of a run (see the table above). */
export function runValues(run: RunContext): Record<RunRefName, string> {
  const where: ErrorContext = { field: 'run' };
  if (!isDay(run.date)) throw new ConfigError(`the run's date ${JSON.stringify(run.date)} is not a YYYY-MM-DD day`, where);
  const t = Date.parse(run.time);
  if (Number.isNaN(t)) throw new ConfigError(`the run's time ${JSON.stringify(run.time)} is not an ISO instant`, where);
  const [year, month, day] = run.date.split('-') as [string, string, string];
  return {
    date: run.date,
    date_nodash: run.date.replaceAll('-', ''),
    year,
    month,
    day,
    time: new Date(t).toISOString().replace(/\.\d+Z$/, 'Z'),
    id: run.key,
    timezone: run.timezone,
    trigger: run.trigger,
  };
}

/** The brace values of a run: `{run_time}` has no `-` or `:`, so it fits any file name. */
export function braceValues(run: RunContext): Record<RunBraceName, string> {
  const v = runValues(run);
  return { run_date: v.date, run_time: v.time.replace(/[-:]/g, ''), run_id: v.id, date: v.date };
}

export type RunRefIssue = { path: Path; message: string };

const BRACE_INSTEAD: Record<string, string> = { run_date: '${run.date}', run_time: '${run.time}', run_id: '${run.id}' };

const unknownRef = (ref: string) => `unknown run reference ${ref}: expected one of ${RUN_REFS_LIST}`;
const unknownBrace = (ref: string) => `unknown run reference ${ref}: expected one of ${RUN_BRACES_LIST} (or ${RUN_REFS_LIST})`;

/**
 * The run references with unknown names in one source or sink (`places: true`) or one step.
 * `${run.…}` is checked in every string; `{run_…}` in the place fields, where it is resolved, and
 * in a source's or sink's other fields, where it would be sent as written (`{date}` is left alone
 * there: it may be meant literally).
 */
export function runRefIssues(value: unknown, places: boolean, path: Path = []): RunRefIssue[] {
  const out: RunRefIssue[] = [];
  walk(value, path, (s, p) => {
    for (const m of s.matchAll(RUN_REF)) if (!(RUN_REF_NAMES as readonly string[]).includes(m[1]!)) out.push({ path: p, message: unknownRef(m[0]) });
    if (places && isPlace(p.slice(path.length))) {
      for (const m of s.matchAll(BRACE_REF)) if (!(RUN_BRACE_NAMES as readonly string[]).includes(m[1]!)) out.push({ path: p, message: unknownBrace(m[0]) });
    } else if (places) {
      // {run_date} in a query parameter or SQL would be sent as written: say what works there.
      for (const m of s.matchAll(BRACE_REF)) {
        const instead = BRACE_INSTEAD[m[1]!];
        if (instead) out.push({ path: p, message: `${m[0]} is resolved only in ${PLACE_FIELDS.join(', ')}; here write ${instead}` });
      }
    }
    return s;
  });
  return out;
}

/** Every `${run.…}` in a value, with where it is (for the sections where they are never resolved). */
export function runRefsIn(value: unknown, path: Path = []): { path: Path; ref: string }[] {
  const out: { path: Path; ref: string }[] = [];
  walk(value, path, (s, p) => {
    for (const m of s.matchAll(RUN_REF)) out.push({ path: p, ref: m[0] });
    return s;
  });
  return out;
}

const RESOLVED_IN = ['sources', 'sinks', 'standardize', 'preprocess'];

/**
 * For `ferry validate`, over the whole pipeline (after `${param:…}`, whose values may carry run
 * references): unknown names in sources, sinks and steps, and references in the other sections,
 * where nothing would resolve them (`params:` defaults are fine: they land in the fields that use them).
 */
export function pipelineRunRefIssues(spec: unknown): RunRefIssue[] {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return [];
  return Object.entries(spec).flatMap(([section, v]): RunRefIssue[] => {
    if (section === 'params') return [];
    if (!RESOLVED_IN.includes(section)) {
      return runRefsIn(v, [section]).map(({ path, ref }) => ({ path, message: `${ref} is resolved only in sources, sinks and steps, not in ${section}` }));
    }
    const places = section === 'sources' || section === 'sinks';
    const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : v && typeof v === 'object' ? Object.entries(v) : [];
    return entries.flatMap(([k, x]) => runRefIssues(x, places, [section, k]));
  });
}

/**
 * A source, sink or step list with the run's values in place of its references. `what` prefixes
 * field paths in errors (`source.query`); `places`: resolve the brace forms in the place fields.
 * Without a run (an input scheduled before runs had one) a slice with references is refused.
 */
export function resolveRunRefs<T>(value: T, run: RunContext | undefined, options: { what: string; places: boolean; context?: ErrorContext }): T {
  const issues = runRefIssues(value, options.places);
  const field = (p: Path) => [options.what, ...p].join('.');
  if (issues.length) throw new ConfigError(issues[0]!.message, { ...options.context, field: field(issues[0]!.path) });
  let values: Record<RunRefName, string> | undefined;
  let braces: Record<RunBraceName, string> | undefined;
  const need = (p: Path, ref: string) => {
    if (!run) throw new ConfigError(`${ref} cannot be resolved: this activity input carries no run (it was scheduled by an older Ferry)`, { ...options.context, field: field(p) });
    values ??= runValues(run);
    braces ??= braceValues(run);
    return { values, braces };
  };
  const checkedId = (p: Path, ref: string, id: string) => {
    if (!SAFE_ID.test(id)) {
      throw new ConfigError(`${ref}: the run id ${JSON.stringify(id)} is not spliced into a pipeline field: only letters, digits and - _ . : + @ / are (choose another --id)`, { ...options.context, field: field(p) });
    }
    return id;
  };
  return walk(value, [], (s, p) => {
    let out = s.replace(RUN_REF, (ref, name: RunRefName) => {
      const v = need(p, ref).values[name];
      return name === 'id' ? checkedId(p, ref, v) : v;
    });
    if (options.places && isPlace(p)) {
      out = out.replace(BRACE_REF, (ref, name: RunBraceName) => {
        const v = need(p, ref).braces[name];
        return name === 'run_id' ? checkedId(p, ref, v) : v;
      });
    }
    return out;
  }) as T;
}

function walk(value: unknown, path: Path, fn: (s: string, path: Path) => string): unknown {
  if (typeof value === 'string') return fn(value, path);
  if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i], fn));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k], fn)]));
  return value;
}
