/**
 * The fan-out activities, for any source whose adapter has `parts()` (postgres `partition:`, s3
 * `fan_out:`):
 * - planParts asks the adapter for its parts (or null: read the source whole);
 * - combineParts makes the staged parts one dataset again: a DatasetRef with `parts` (the files as
 *   they were staged, nothing copied) and the greatest candidate watermark of the parts.
 *
 *   const { parts } = await planParts(slice);                      // [{ name: 'p1-of-8', … }, …]
 *   const outs = parts.map((part) => ingest({ ...slice, part }));  // the workflow, bounded
 *   const out = await combineParts({ …, parts: outs });            // one IngestOutput
 *
 * Failure semantics: planParts reads only (a retry plans again, from the data as it is then);
 * combineParts is a pure function of its input unless the parts disagree on a column's type
 * (e.g. a numeric's scale, taken from its values), when it rewrites them as one Parquet file at a
 * deterministic key: a retry overwrites it. Empty parts are dropped (all empty: the first is kept,
 * so the dataset still has its columns).
 */
import { createHash } from 'node:crypto';
import type { PlanPartsInput, PlanPartsOutput, CombinePartsInput, IngestOutput, DatasetRef } from '../src/run.js';
import type { StagingStore } from '../src/staging/store.js';
import { partsOf } from '../src/staging/store.js';
import { stageDataset } from '../src/staging/stage.js';
import { maxCandidate } from '../src/state/window.js';
import { ident } from '../src/table/engine.js';
import { DataError } from '../src/errors.js';
import { withActivityContext, type Reporter } from './boundary.js';
import { sourceContext } from './ingest.js';

export function planPartsActivity(staging: StagingStore, report?: Reporter) {
  return async function planParts(input: PlanPartsInput): Promise<PlanPartsOutput> {
    const context = { stage: 'ingest', dataset: input.dataset };
    return withActivityContext(`plan parts of ${input.dataset}`, context, async (scope) => {
      const { spec, adapter, ctx } = await sourceContext(staging, input, scope);
      const parts = adapter.parts ? await adapter.parts(spec, ctx) : undefined;
      return { parts: parts ?? null, ...(ctx.window ? { window: ctx.window } : {}) };
    }, {
      report,
      summarize: (out) => (out.parts ? `${out.parts.length} parts` : 'read whole'),
      stallTimeout: input.stallTimeout,
      pipeline: input.pipeline,
    });
  };
}

export function combinePartsActivity(staging: StagingStore, report?: Reporter) {
  return async function combineParts(input: CombinePartsInput): Promise<IngestOutput> {
    const context = { stage: 'ingest', dataset: input.dataset };
    return withActivityContext(`combine parts of ${input.dataset}`, context, async (scope) => {
      const at = { pipeline: input.pipeline, workflowId: scope.workflowId, stage: 'ingest', workdir: scope.workdir };
      const combine = async (refs: DatasetRef[]): Promise<DatasetRef> => {
        const files = nonEmpty(refs);
        if (sameColumns(files)) return joinRefs(files);
        refuseTextWidening(files);
        // Parts typed apart by their values (a numeric's scale, an array's depth): one file, unified by DuckDB.
        const name = files[0]!.dataset;
        const paths: string[] = [];
        for (const ref of files) paths.push(...(await staging.readDataset(ref, scope.workdir)));
        await scope.table.loadParquet(`${name}__parts`, paths);
        await scope.table.run(`CREATE OR REPLACE TABLE ${ident(name)} AS SELECT * FROM read_parquet([${paths.map((p) => `'${p.replace(/'/g, "''")}'`).join(', ')}], union_by_name = true)`);
        return stageDataset(staging, scope.table, name, at);
      };
      const ref = await combine(input.parts.map((p) => p.ref));
      // Extra datasets (rejects, child tables) are combined by name, like the main one.
      const extras = new Map<string, DatasetRef[]>();
      for (const p of input.parts) for (const e of p.extra ?? []) extras.set(e.dataset, [...(extras.get(e.dataset) ?? []), e]);
      const extra: DatasetRef[] = [];
      for (const refs of extras.values()) extra.push(await combine(refs));
      const window = input.parts.reduce<IngestOutput['window']>((w, p) => maxCandidate(w, p.window), undefined);
      const details = [...new Set(input.parts.map((p) => p.detail.replace(/ \[[^\]]*\]$/, '')))];
      return {
        ref,
        detail: `${input.parts.length} parts: ${details.slice(0, 2).join('; ')}${details.length > 2 ? ' …' : ''}`,
        ...(extra.length ? { extra } : {}),
        ...(window ? { window } : {}),
      };
    }, {
      report,
      summarize: (out) => `${out.ref.rows} rows in ${partsOf(out.ref).length} files from ${out.detail}`,
      pipeline: input.pipeline,
    });
  };
}

/** The parts that hold rows (all empty: the first, which still has the columns). */
function nonEmpty(refs: DatasetRef[]): DatasetRef[] {
  const full = refs.filter((r) => r.rows > 0);
  return full.length ? full : refs.slice(0, 1);
}

const columnsKey = (ref: DatasetRef) => JSON.stringify(ref.columns);
const sameColumns = (refs: DatasetRef[]) => refs.every((r) => columnsKey(r) === columnsKey(refs[0]!));

/** One ref over the files of several (refs that are multi-part already are flattened). */
export function joinRefs(refs: DatasetRef[]): DatasetRef {
  const first = refs[0]!;
  if (refs.length === 1) return first;
  const parts = refs.flatMap(partsOf);
  const uris = parts.map((p) => p.uri);
  return {
    dataset: first.dataset,
    stage: first.stage,
    uri: commonPrefix(uris),
    rows: parts.reduce((n, p) => n + p.rows, 0),
    bytes: parts.reduce((n, p) => n + p.bytes, 0),
    columns: first.columns,
    sha256: createHash('sha256').update(parts.map((p) => p.sha256).join('\n')).digest('hex'),
    parts,
  };
}

function commonPrefix(values: string[]): string {
  let prefix = values[0] ?? '';
  for (const v of values) while (!v.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

/**
 * A column that is text in one part and typed in another would become text whose values are
 * DuckDB's rendering of the typed ones (`1e3` → `1000.0`), not the source's: refused, naming the
 * column and the parts, instead of changing values on the way.
 */
export function refuseTextWidening(refs: DatasetRef[]): void {
  const types = new Map<string, Map<string, string>>();
  for (const ref of refs) {
    for (const c of ref.columns) {
      const seen = types.get(c.name) ?? new Map<string, string>();
      if (!seen.has(c.type)) seen.set(c.type, ref.uri.split('/').pop() ?? ref.uri);
      types.set(c.name, seen);
    }
  }
  for (const [name, seen] of types) {
    if (seen.size > 1 && seen.has('VARCHAR')) {
      const where = [...seen].map(([type, part]) => `${type} in ${part}`).join(', ');
      throw new DataError(`column ${name} is ${where}: combining the parts would turn the typed values into text other than the source's; declare its type for every part, e.g. columns: { ${name}: VARCHAR }`, { dataset: refs[0]!.dataset, field: 'columns' });
    }
  }
}
