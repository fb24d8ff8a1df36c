/**
 * `http` source: JSON records from a REST endpoint, page after page.
 *
 *   sources:
 *     customers:
 *       type: http
 *       connection: demo_api          # base_url and auth (bearer token from ${env:DEMO_API_TOKEN})
 *       path: /customers
 *       records: data                 # where the records are in each response
 *       paginate: { type: page_number, size_param: per_page, size: 50 }
 *       columns: { balance: 'DECIMAL(12,2)' }   # types these; every other field is kept too
 *       nested: json                  # or flatten: address.city → address_city
 *
 * Values are exact: records never pass through JS numbers (see src/connect/json-records.ts), so
 * 9007199254740993 and 0.12345678901234567890123 arrive with every digit.
 *
 * Failure semantics: every page is saved to the activity's checkpoint together with the state to
 * continue (the next request, pages and rows so far), before it is reported as progress. A new
 * attempt — after a retry, a crash or a SIGKILL — lists the checkpoint, restores the saved pages and
 * continues with the request after the last one: at most one page is fetched twice. Heartbeats carry
 * only counters. Cancellation aborts the request in flight.
 */
import { z } from 'zod';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { incrementalSchema } from '../../src/pipeline/incremental.js';
import { loadRecords, checkColumnTypes } from '../../src/connect/json-records.js';
import { paginateSchema } from '../../src/connect/paginators.js';
import { DataError, FerryError } from '../../src/errors.js';
import { columnTypesSchema } from '../../src/table/formats.js';
import { datasetName } from '../../src/table/steps/step.js';
import { maskUrl } from '../../src/pipeline/secrets.js';
import type { SourceAdapter } from '../adapter.js';
import { readParents } from './http-for-each.js';
import { runPages } from './http-pages.js';

export { mapLimit } from './http-pages.js';

const schema = z.strictObject({
  type: z.literal('http'),
  ...adapterCommon,
  connection: z.string().describe('name of a connection in config/connections.yaml'),
  path: z.string().default('/').describe('relative to the connection\'s base_url; with for_each, {name} is replaced by the parent row\'s value (URL-encoded)'),
  query: z.record(z.string(), z.union([z.string(), z.number()])).default({}).describe('query parameters of every request; with for_each, {name} in a value is replaced too'),
  records: z.string().optional().describe('dotted path to the array of records; omit when the body is the array'),
  paginate: paginateSchema.default({ type: 'none' }).describe('see Paginators'),
  max_pages: z.number().int().positive().default(10_000).describe('safety stop (per parent row with for_each): more pages than this fail the run rather than lose rows'),
  columns: columnTypesSchema.describe('DuckDB types for the columns named, e.g. amount: DECIMAL(12,2) (exact, from the JSON text); every other field is kept with a detected type'),
  for_each: z.strictObject({
    dataset: z.string().describe('another source of this pipeline; one request (with its pages) per distinct row'),
    params: z.record(z.string(), z.string()).describe('{name} in path or query ← a column of that dataset, e.g. { customer_id: id } for /customers/{customer_id}/orders; each becomes a column _<dataset>_<column> of the rows'),
    include: z.array(z.string()).optional().describe('more columns of the parent row copied into every row, as _<dataset>_<column>'),
  }).optional().describe('parent → child requests: take the requests from another dataset\'s values'),
  incremental: incrementalSchema.optional().describe('load only rows newer than the watermark (see Incremental loads)'),
  nested: z.enum(['json', 'flatten']).optional().describe('nested objects and arrays: json (the default) keeps each as one JSON column (jsonb in PostgreSQL, JSON text in CSV/JSON files); flatten turns objects into columns (address.city → address_city), arrays stay JSON'),
  children: z.array(datasetName).optional().describe('array fields split into child datasets: children: [items] on source orders makes orders__items, one row per element with _orders_<key> and _index (0-based); the field leaves the parent rows'),
  key: z.string().optional().describe('the records\' key field, copied into child rows as _<dataset>_<key> (needed by children)'),
}).superRefine((spec, ctx) => {
  if (spec.children?.length && !spec.key) ctx.addIssue({ code: 'custom', path: ['key'], message: 'children need key: the field of each record that identifies it (e.g. key: id), copied into the child rows' });
});

export type HttpSourceSpec = z.infer<typeof schema>;

/** The child datasets of a source (`children:`): `<dataset>__<field>`. */
export const childDatasets = (dataset: string, children: string[] = []): string[] => children.map((c) => `${dataset}__${c}`);

export const httpSource = {
  schema,
  connectionKind: 'http',
  async read(spec, ctx) {
    const conn = ctx.connection(spec.connection, 'http');
    await checkColumnTypes(ctx.table, spec.columns);
    const parents = await readParents(ctx.table, spec.for_each);
    const children = (spec.children ?? []).map((field) => ({ field, key: spec.key!, keyColumn: `_${ctx.dataset}_${spec.key!}` }));
    const loop = await runPages({ ...spec, children }, conn, ctx, parents);
    const { state, resumedAt } = loop;
    const pages = `${state.step} page${state.step === 1 ? '' : 's'}`;
    const over = spec.for_each ? ` for ${parents.rows.length} row${parents.rows.length === 1 ? '' : 's'} of ${spec.for_each.dataset}` : '';
    if (loop.pending) {
      return { pending: true, detail: `GET ${maskUrl(spec.path)}${over}: ${loop.requests} request${loop.requests === 1 ? '' : 's'} this call, ${pages} saved` };
    }
    const declared = { ...Object.fromEntries(parents.columns.map((c) => [c.name, c.type])), ...spec.columns };
    const nested = spec.nested ?? 'json';
    const extra = childDatasets(ctx.dataset, spec.children);
    try {
      await loadRecords(ctx.table, ctx.dataset, loop.files, state.stats, declared, nested);
      for (const [c, name] of extra.entries()) await loadRecords(ctx.table, name, loop.childFiles[c]!, state.childStats[c] ?? {}, {}, nested);
    } catch (err) {
      // The engine has already classified DuckDB's error; a value that does not fit is located here.
      if (err instanceof FerryError && !/in file "[^"]*page-\d+\.ndjson"/.test(err.message)) throw err;
      throw loadError(err as Error, maskUrl(spec.path));
    }
    return { detail: `GET ${maskUrl(spec.path)}${over} (${pages}${resumedAt ? `, resumed after page ${resumedAt}` : ''})`, ...(extra.length ? { extra } : {}) };
  },
} satisfies SourceAdapter<HttpSourceSpec>;

/** DuckDB names its NDJSON file and line: say the page and record instead (and no machine path). */
function loadError(err: Error, path: string): DataError {
  const m = /in file "[^"]*page-(\d+)\.ndjson", in line (\d+): ([^\n]*)/.exec(err.message);
  if (m) return new DataError(`record ${Number(m[2])}: ${m[3]} (a value that does not fit its column type)`, { endpoint: `GET ${path}`, page: Number(m[1]), field: 'columns' }, { cause: err });
  return new DataError(`records do not fit their column types: ${err.message.split('\n')[0]!.replace(/"\/[^"]*"/g, '"…"')}`, { endpoint: `GET ${path}`, field: 'columns' }, { cause: err });
}

