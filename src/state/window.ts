/**
 * The window an incremental source reads, and the watermark its rows would move to. Called by the
 * ingest activity (activities/ingest.ts) around the adapter:
 *
 *   const window = await windowFor(staging, 'shop', 'orders', spec.incremental, run);  // { cursor, start, watermark, type }
 *   const spec2 = resolveWindowRefs(spec, window);        // ${incremental.start} → '2024-01-05T09:00:00.000000Z'
 *   …adapter.read(spec2, ctx)…
 *   const candidate = await applyWindow(table, 'orders', window);   // rows with cursor > start; to = max(cursor)
 *
 * The window: start = watermark − lookback; no watermark yet: `initial`; neither: everything.
 * Ferry filters the rows itself whether or not the source pushed the window down, so a source that
 * ignores `${incremental.start}` still loads each row once. Rows whose cursor is NULL cannot be placed
 * in any window: they fail the run (DATA) rather than be loaded on every run or silently never.
 */
import type { IncrementalSpec, IncrementalWindow } from '../pipeline/incremental.js';
import { INCREMENTAL_REF, incrementalRefIssues } from '../pipeline/incremental-refs.js';
import type { StagingStore } from '../staging/store.js';
import { ident, lit, type TableEngine } from '../table/engine.js';
import type { RunContext, WatermarkCandidate } from '../run.js';
import { ConfigError, DataError } from '../errors.js';
import { readState } from './store.js';
import { compareValues, normalizeValue, subtractLookback, typeOfColumn, type WatermarkType } from './values.js';

/** The window of one source for this run: from the state store's watermark (minus lookback), else `initial`. */
export async function windowFor(staging: StagingStore, pipeline: string, source: string, spec: IncrementalSpec | undefined, _run: RunContext): Promise<IncrementalWindow | undefined> {
  if (!spec) return undefined;
  const context = { dataset: source, field: 'incremental' };
  const stored = (await readState(staging, pipeline, source))?.state;
  if (stored?.value !== undefined && stored.type) {
    if (stored.cursor && stored.cursor !== spec.cursor) {
      throw new ConfigError(`the stored watermark ${stored.value} is of cursor ${stored.cursor}, but the source's cursor is ${spec.cursor}: run ferry state reset ${pipeline} ${source} (or ferry state set) first`, context);
    }
    return { cursor: spec.cursor, type: stored.type, watermark: stored.value, start: subtractLookback(stored.value, stored.type, spec.lookback, context) };
  }
  return { cursor: spec.cursor, ...(spec.initial !== undefined ? { start: String(spec.initial) } : {}) };
}

/** A value as a PostgreSQL string literal (E'' when it has a backslash), whatever standard_conforming_strings is. */
export function sqlLiteral(value: string): string {
  if (value.includes('\0')) throw new ConfigError('a watermark value may not contain a NUL character');
  const quoted = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}

/**
 * `${incremental.start}` and `${incremental.watermark}` in a source spec, resolved for this window:
 * in a postgres `query` as a quoted SQL literal (`updated_at > ${incremental.start}` becomes
 * `updated_at > '2024-01-05T09:00:00.000000Z'`: PostgreSQL casts it to the column's type), in an
 * http `path` URL-encoded, elsewhere (http `query` parameters, postgres `params`) as plain text.
 */
export function resolveWindowRefs<T>(spec: T, window: IncrementalWindow | undefined): T {
  const type = (spec as { type?: string }).type;
  const issues = incrementalRefIssues(spec, { incremental: !!window, initial: !!window?.start || !!window?.watermark });
  if (issues.length) throw new ConfigError(issues[0]!.message, { field: `source.${issues[0]!.path.join('.')}` });
  if (!window) return spec;
  const values: Record<string, string | undefined> = { start: window.start, watermark: window.watermark ?? window.start };
  return walk(spec, [], (s, path) => s.replace(INCREMENTAL_REF, (ref, name: string) => {
    const v = values[name];
    if (v === undefined) throw new ConfigError(`${ref} has no value: the source has no watermark yet and no initial`, { field: `source.${path.join('.')}` });
    if (type === 'postgres' && path.length === 1 && path[0] === 'query') return sqlLiteral(v);
    if (path.length === 1 && path[0] === 'path') return encodeURIComponent(v);
    return v;
  })) as T;
}

function walk(value: unknown, path: (string | number)[], fn: (s: string, path: (string | number)[]) => string): unknown {
  if (typeof value === 'string') return fn(value, path);
  if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i], fn));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k], fn)]));
  return value;
}

/** DuckDB text of a cursor value, exactly: UTC microseconds for times, all digits for numbers. */
function formatSql(column: string, type: WatermarkType): string {
  if (type === 'timestamptz') return `strftime(${column}, '%Y-%m-%dT%H:%M:%S.%fZ')`;
  if (type === 'timestamp') return `strftime(CAST(${column} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%f')`;
  if (type === 'date') return `strftime(${column}, '%Y-%m-%d')`;
  return `CAST(${column} AS VARCHAR)`;
}

/**
 * Keeps only the rows of `dataset` inside the window (cursor > start) and returns the candidate
 * watermark: the greatest cursor value left (or `adapterWatermark`, when the cursor is not a column;
 * null: the adapter applied the window itself and found nothing new, so the watermark stays).
 */
export async function applyWindow(table: TableEngine, dataset: string, window: IncrementalWindow, adapterWatermark?: string | null): Promise<WatermarkCandidate> {
  const context = { dataset, field: 'incremental.cursor' };
  const columns = await table.columns(dataset);
  const column = columns.find((c) => c.name === window.cursor);
  if (!column) {
    if (adapterWatermark !== undefined) {
      const type: WatermarkType = window.cursor === 'last_modified' ? 'timestamptz' : 'text';
      return { ...window, type, ...(adapterWatermark !== null ? { to: normalizeValue(adapterWatermark, type, context) } : {}) };
    }
    const names = columns.map((c) => c.name).join(', ');
    throw new ConfigError(`incremental cursor ${window.cursor} is not a column of source ${dataset} (columns: ${names || 'none'})`, context);
  }
  const type = typeOfColumn(column.type);
  if (!type) throw new ConfigError(`incremental cursor ${window.cursor} of source ${dataset} is ${column.type}: expected a timestamp, date, number or text column`, context);
  // Checked here, before any sink sees the rows, not only when the watermark is committed.
  const time = (t: WatermarkType) => t === 'timestamptz' || t === 'timestamp' || t === 'date';
  if (window.type && window.type !== type && !(time(window.type) && time(type))) {
    throw new ConfigError(`the stored watermark of source ${dataset} is a ${window.type} (${window.watermark}) but its cursor ${window.cursor} is a ${type}: move it with ferry state set --type ${type}, or reset it`, context);
  }
  const c = ident(column.name);
  let start: string | undefined;
  if (window.start !== undefined) {
    const probe = await table.rows(`SELECT CAST(TRY_CAST(${lit(window.start)} AS ${column.type}) AS VARCHAR) AS v`);
    if (probe[0]?.v === null || probe[0]?.v === undefined) {
      throw new ConfigError(`the window's start ${JSON.stringify(window.start)} is not a ${column.type} (the type of cursor ${window.cursor}): fix incremental.initial, or ferry state set`, context);
    }
    start = `CAST(${lit(window.start)} AS ${column.type})`;
  }
  const inside = start ? `${c} > ${start}` : 'TRUE';
  const [stats] = await table.rows(
    `SELECT count(*) FILTER (WHERE ${c} IS NULL) AS nulls, count(*) FILTER (WHERE NOT (${inside})) AS outside, `
    + `${formatSql(`max(${c}) FILTER (WHERE ${inside})`, type)} AS top FROM ${ident(dataset)}`,
  );
  const nulls = Number(stats!.nulls);
  if (nulls > 0) throw new DataError(`${nulls} row${nulls === 1 ? '' : 's'} of source ${dataset} have no ${window.cursor} (NULL): an incremental cursor needs a value in every row (filter them out in the source, or pick another cursor)`, context);
  if (Number(stats!.outside) > 0) await table.replace(dataset, `SELECT * FROM ${ident(dataset)} WHERE ${inside}`);
  const to = stats!.top === null || stats!.top === undefined ? undefined : String(stats!.top);
  return { ...window, type, ...(to !== undefined ? { to } : {}) };
}

/** The greater of two candidate watermarks of one source (parts of a fanned-out read). */
export function maxCandidate(a: WatermarkCandidate | undefined, b: WatermarkCandidate | undefined): WatermarkCandidate | undefined {
  if (!a || a.to === undefined) return b && a ? { ...a, ...b } : b ?? a;
  if (!b || b.to === undefined) return a;
  const type = a.type ?? b.type ?? 'text';
  return compareValues(b.to, a.to, type) > 0 ? b : a;
}
