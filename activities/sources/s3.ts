/**
 * `s3` source: one object (`key`), every object under a `prefix`, or the objects whose keys match a
 * `glob`, read as ONE dataset — CSV, JSON array, NDJSON or Parquet, plain, gzip or zstd.
 *
 *   sources:
 *     sales:
 *       type: s3
 *       connection: lake
 *       bucket: ferry-demo
 *       glob: raw/2024-*\/sales_*.csv.gz     # or key: raw/sales.csv, or prefix: raw/2024-01/
 *       csv: { delimiter: ';', encoding: latin-1, null_values: ['', NA, '\N'] }
 *       filename_column: _source_key       # the key each row came from
 *       fan_out: { batch: 50 }             # 50 objects per activity (true: one each)
 *       incremental: { cursor: key }       # or last_modified: only objects newer than the watermark
 *
 * Listing follows continuation tokens (any number of objects) and reads in key order; no object
 * matched is a NotFoundError naming the bucket and the prefix or glob, unless `allow_empty`.
 *
 * FAILURE SEMANTICS: reading is side-effect free. A retry lists and downloads again from the start
 * (of its part, when fanned out); the downloads live in the activity's work directory, removed after
 * it, and a cancelled activity aborts its transfers. With fan-out the plan is made once, and a part
 * retried reads the same keys (or key range) as before. Errors name the s3:// object and its line,
 * never the worker's local copy (S3 failures: see connect/s3.ts).
 */
import { z } from 'zod';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { incrementalSchema } from '../../src/pipeline/incremental.js';
import { s3Client, badKeyReason } from '../../src/connect/s3.js';
import { describeSelection, globToRegExp, type ObjectSelection } from '../../src/connect/s3-objects.js';
import { ConfigError, NotFoundError } from '../../src/errors.js';
import { ident } from '../../src/table/engine.js';
import { fileFormatSchema, csvReadOptionsSchema, compressionSchema, columnTypesSchema, onErrorSchema, rejectsOf } from '../../src/table/formats.js';
import type { SourceAdapter, SourceContext } from '../adapter.js';
import { objectCursor, partObjects, partsOf, planObjects, watermarkOf, type S3Part } from './s3-plan.js';
import { readObjects } from './s3-read.js';

const keyCheck = { message: 'a key may not contain ".." or "." segments' };

const schema = z.strictObject({
  type: z.literal('s3'),
  ...adapterCommon,
  connection: z.string().describe('name of a connection in config/connections.yaml'),
  bucket: z.string().min(1),
  key: z.string().min(1).refine((k) => !badKeyReason(k), keyCheck).optional().describe('one object; may use {run_date}, {run_time}, {run_id}'),
  prefix: z.string().refine((k) => !badKeyReason(k), keyCheck).optional().describe('every object whose key starts with it (e.g. raw/2024-01/); may use {run_date}…'),
  glob: z.string().min(1).optional().describe('keys matching it, whole: * and ? within one path segment, ** any depth, [a-z], {csv,tsv}; e.g. raw/2024-*/sales_*.csv.gz'),
  allow_empty: z.boolean().optional().describe('no object matched: an empty dataset instead of a not-found error'),
  union_by_name: z.boolean().optional().describe('default false; objects with different columns: a column an object lacks is NULL (default: an error naming both objects and the column)'),
  filename_column: z.string().min(1).optional().describe('add a column of this name holding each row\'s object key, e.g. _source_key'),
  fan_out: z.union([z.literal(true), z.literal(false), z.strictObject({
    batch: z.number().int().positive().default(1).describe('objects per activity'),
  })]).optional().describe('true: one activity per object; { batch: N }: N objects per activity; the parts become one dataset'),
  format: fileFormatSchema.optional().describe('default: from the key\'s extension (.csv, .json, .ndjson/.jsonl, .parquet, before .gz/.zst)'),
  compression: compressionSchema.optional(),
  csv: csvReadOptionsSchema.partial().optional().describe('delimiter, quote, escape, header, null_values, encoding'),
  columns: columnTypesSchema,
  incremental: incrementalSchema.optional().describe('cursor: key (keys after the watermark) or last_modified (objects modified after it), or a column of the rows; see Incremental loads'),
  on_error: onErrorSchema,
}).superRefine((spec, ctx) => {
  const chosen = (['key', 'prefix', 'glob'] as const).filter((f) => spec[f] !== undefined);
  if (chosen.length !== 1) {
    ctx.addIssue({ code: 'custom', path: chosen.length ? [chosen[1]!] : ['key'], message: chosen.length ? `set one of key, prefix, glob (not ${chosen.join(' and ')})` : 'set one of key, prefix, glob' });
  }
  if (spec.glob !== undefined) {
    try {
      globToRegExp(spec.glob);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['glob'], message: (err as Error).message });
    }
  }
  if (spec.fan_out && spec.key !== undefined) ctx.addIssue({ code: 'custom', path: ['fan_out'], message: 'fan_out needs a prefix or a glob (a key is one object)' });
});

export type S3SourceSpec = z.infer<typeof schema>;

const selectionOf = (spec: S3SourceSpec): ObjectSelection => ({ bucket: spec.bucket, key: spec.key, prefix: spec.prefix, glob: spec.glob });

const batchOf = (spec: S3SourceSpec): number | undefined => (spec.fan_out === true ? 1 : spec.fan_out ? spec.fan_out.batch : undefined);

export const s3Source = {
  schema,
  connectionKind: 's3',
  async parts(spec, ctx) {
    const batch = batchOf(spec);
    if (batch === undefined) return undefined;
    const s3 = s3Client(ctx.connection(spec.connection, 's3'));
    const { objects } = await planObjects(s3, selectionOf(spec), ctx.window, ctx.signal, (listed, page) => ctx.progress({ page, note: `listed ${listed} objects` }));
    // Nothing to fan out over: read whole, which knows what an empty selection means.
    if (objects.length === 0) return undefined;
    return partsOf(objects, batch, ctx.window);
  },
  async read(spec, ctx) {
    const s3 = s3Client(ctx.connection(spec.connection, 's3'));
    const sel = selectionOf(spec);
    const part = ctx.part as S3Part | undefined;
    const plan = part
      ? { objects: await partObjects(s3, sel, part, ctx.window, ctx.signal), all: 1, before: undefined }
      : await planObjects(s3, sel, ctx.window, ctx.signal, (listed, page) => ctx.progress({ page, note: `listed ${listed} objects` }));
    const { objects } = plan;
    const where = part ? `${describeSelection(sel)}, part ${part.name}` : describeSelection(sel);
    if (objects.length === 0) {
      if (plan.all === 0 && !spec.allow_empty && !part) {
        throw new NotFoundError(`no objects match ${describeSelection(sel)}; set allow_empty: true if an empty selection is expected`, { file: `s3://${spec.bucket}/${spec.glob ?? spec.prefix ?? spec.key}` });
      }
      await emptyDataset(s3, spec, ctx, plan.before);
      // An object cursor is not a column of the (empty) rows: say there is no new watermark.
      return { detail: `${where}: no ${plan.all ? 'new ' : ''}objects`, ...(objectCursor(ctx.window) ? { watermark: null } : {}) };
    }
    const { rejects } = await readObjects(s3, spec.bucket, objects, spec, ctx, spec.key === undefined);
    const watermark = watermarkOf(objects, ctx.window, part?.until);
    const what = objects.length === 1 ? `s3://${spec.bucket}/${objects[0]!.key}` : `${objects.length} objects of ${where}`;
    return {
      detail: rejects === undefined ? what : `${what}, ${rejects} rejected`,
      ...(rejects !== undefined ? { extra: [rejectsOf(ctx.dataset)] } : {}),
      ...(watermark !== undefined && objectCursor(ctx.window) ? { watermark } : {}),
    };
  },
} satisfies SourceAdapter<S3SourceSpec>;

/**
 * No object to read (nothing new since the watermark, or `allow_empty`): an empty dataset with the
 * columns the rows would have — those of the newest object before the window, else the declared
 * `columns`, else only the filename column (or `_source_key`).
 */
async function emptyDataset(s3: ReturnType<typeof s3Client>, spec: S3SourceSpec, ctx: SourceContext, before: { key: string } | undefined): Promise<void> {
  const declared = Object.entries(spec.columns ?? {});
  if (before && declared.length === 0) {
    await readObjects(s3, spec.bucket, [before], spec, ctx, spec.key === undefined);
    await ctx.table.run(`DELETE FROM ${ident(ctx.dataset)}`);
    await ctx.table.run(`DROP TABLE IF EXISTS ${ident(rejectsOf(ctx.dataset))}`);
    return;
  }
  const bad = declared.find(([, type]) => !/^[A-Za-z][\w ]*(\([\d, ]+\))?(\[\])?$/.test(type));
  if (bad) throw new ConfigError(`columns: ${JSON.stringify(bad[1])} is not a type name`, { field: `columns.${bad[0]}` });
  const cols = declared.map(([name, type]) => `CAST(NULL AS ${type}) AS ${ident(name)}`);
  if (spec.filename_column || cols.length === 0) cols.push(`CAST(NULL AS VARCHAR) AS ${ident(spec.filename_column ?? '_source_key')}`);
  await ctx.table.run(`CREATE OR REPLACE TABLE ${ident(ctx.dataset)} AS SELECT ${cols.join(', ')} WHERE false`);
}
