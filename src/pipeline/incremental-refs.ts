/**
 * `${incremental.start}` and `${incremental.watermark}` in a source, and what `ferry validate`
 * checks about incremental sources (the ingest activity resolves the references: src/state/window.ts).
 *
 *   query: SELECT * FROM shop.orders WHERE updated_at > ${incremental.start}    # postgres: a quoted SQL literal
 *   query: { since: '${incremental.start}' }                                    # http: the plain value
 *
 *   ${incremental.start}       the window's lower bound: watermark − lookback, or `initial` on the first run
 *   ${incremental.watermark}   the watermark itself (no lookback), or `initial` on the first run
 *
 * Checked: a reference in a source without `incremental:`, an unknown name, a reference without
 * `initial:` (the first run would have no value), a reference outside sources; and `lookback` on a
 * source that reaches an append-only sink (postgres `mode: append`, http), which would receive the
 * re-read rows again.
 */
import type { PipelineSpec } from './schema.js';
import { stepOf, outputsOf } from '../table/steps/index.js';

export const INCREMENTAL_REF_NAMES = ['start', 'watermark'] as const;
export const INCREMENTAL_REF = /\$\{incremental\.([^}]*)\}/g;
const ANY_INCREMENTAL = /\$\{incremental\.[^}]*\}/;

type Path = (string | number)[];
export type IncrementalIssue = { path: Path; message: string };

const LIST = INCREMENTAL_REF_NAMES.map((n) => `\${incremental.${n}}`).join(', ');

function strings(value: unknown, path: Path, out: { path: Path; text: string }[] = []): { path: Path; text: string }[] {
  if (typeof value === 'string') out.push({ path, text: value });
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, [...path, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) strings(v, [...path, k], out);
  return out;
}

/**
 * The problems of the incremental references in one source (`path` relative to the source).
 * `incremental`: the source has `incremental:`; `initial`: it has a value on the first run.
 */
export function incrementalRefIssues(source: unknown, has: { incremental: boolean; initial: boolean }, base: Path = []): IncrementalIssue[] {
  const issues: IncrementalIssue[] = [];
  for (const { path, text } of strings(source, base)) {
    if (path[base.length] === 'incremental') continue;
    for (const m of text.matchAll(INCREMENTAL_REF)) {
      if (!(INCREMENTAL_REF_NAMES as readonly string[]).includes(m[1]!)) issues.push({ path, message: `unknown reference ${m[0]}: expected one of ${LIST}` });
      else if (!has.incremental) issues.push({ path, message: `${m[0]} needs incremental: { cursor: … } on this source` });
      else if (!has.initial) issues.push({ path, message: `${m[0]} needs incremental.initial: the first run has no watermark to put here` });
    }
  }
  return issues;
}

/** For `ferry validate`, over the pipeline after `${param:…}` (before the schema: every source is checked). */
export function pipelineIncrementalIssues(resolved: unknown): IncrementalIssue[] {
  if (!resolved || typeof resolved !== 'object' || Array.isArray(resolved)) return [];
  const issues: IncrementalIssue[] = [];
  for (const [section, value] of Object.entries(resolved)) {
    if (section === 'params') continue;
    if (section !== 'sources') {
      for (const { path, text } of strings(value, [section])) {
        const m = ANY_INCREMENTAL.exec(text);
        if (m) issues.push({ path, message: `${m[0]} is resolved only in sources (of an incremental source), not in ${section}` });
      }
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    for (const [name, source] of Object.entries(value)) {
      const inc = source && typeof source === 'object' ? (source as { incremental?: { initial?: unknown } }).incremental : undefined;
      issues.push(...incrementalRefIssues(source, { incremental: !!inc, initial: inc?.initial !== undefined }, ['sources', name]));
    }
  }
  return issues;
}

/** Sinks that add what they receive, so a row read twice lands twice. */
function appendOnly(sink: PipelineSpec['sinks'][string]): boolean {
  return (sink.type === 'postgres' && sink.mode === 'append') || sink.type === 'http';
}

/** `lookback` on a source whose rows reach an append-only sink (over the validated spec). */
export function lookbackIssues(spec: PipelineSpec): IncrementalIssue[] {
  const lineage = new Map<string, Set<string>>(Object.keys(spec.sources).map((s) => [s, new Set([s])]));
  for (const stage of ['standardize', 'preprocess'] as const) {
    for (const step of spec[stage]) {
      const from = new Set(stepOf(step).reads(step).flatMap((d) => [...(lineage.get(d) ?? [])]));
      for (const out of outputsOf(step)) lineage.set(out, new Set([...(lineage.get(out) ?? []), ...from]));
    }
  }
  const issues: IncrementalIssue[] = [];
  for (const [name, source] of Object.entries(spec.sources)) {
    const lookback = 'incremental' in source ? source.incremental?.lookback : undefined;
    if (lookback === undefined || lookback === 0 || /^0+(\.0+)?\s*[a-z]+$/.test(String(lookback))) continue;
    const sinks = Object.entries(spec.sinks).filter(([, sink]) => appendOnly(sink) && lineage.get(sink.input)?.has(name)).map(([s]) => s);
    if (sinks.length) {
      issues.push({
        path: ['sources', name, 'incremental', 'lookback'],
        message: `lookback re-reads rows an earlier run delivered, and sink${sinks.length > 1 ? 's' : ''} ${sinks.join(', ')} would append them again: use mode: upsert (with keys) there, or drop lookback`,
      });
    }
  }
  return issues;
}
