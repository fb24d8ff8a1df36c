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
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { incrementalSchema } from '../../src/pipeline/incremental.js';
import { httpText } from '../../src/connect/http.js';
import { parseJsonText, nodeAt, toPlain, JsonSyntaxError, type JsonNode } from '../../src/connect/json-text.js';
import { recordsToNdjson, loadRecords, mergeStats, checkColumnTypes, NotObjectError, type StatsMap } from '../../src/connect/json-records.js';
import { paginateSchema, firstPage, nextPage, type PageRequest } from '../../src/connect/paginators.js';
import { DataError, FerryError, type ErrorContext } from '../../src/errors.js';
import { columnTypesSchema } from '../../src/table/formats.js';
import { maskUrl } from '../../src/pipeline/secrets.js';
import type { Checkpoint, SourceAdapter } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('http'),
  ...adapterCommon,
  connection: z.string().describe('name of a connection in config/connections.yaml'),
  path: z.string().default('/').describe('relative to the connection\'s base_url'),
  query: z.record(z.string(), z.union([z.string(), z.number()])).default({}).describe('query parameters of every request'),
  records: z.string().optional().describe('dotted path to the array of records; omit when the body is the array'),
  paginate: paginateSchema.default({ type: 'none' }).describe('see Paginators'),
  max_pages: z.number().int().positive().default(10_000).describe('safety stop: more pages than this fail the run rather than lose rows'),
  columns: columnTypesSchema.describe('DuckDB types for the columns named, e.g. amount: DECIMAL(12,2) (exact, from the JSON text); every other field is kept with a detected type'),
  for_each: z.strictObject({
    dataset: z.string().describe('another source of this pipeline; one request (with its pages) per row'),
    params: z.record(z.string(), z.string()).describe('{name} in path or query ← a column of that dataset, e.g. { customer_id: id } for /customers/{customer_id}/orders'),
  }).optional().describe('parent → child requests: take the requests from another dataset\'s values'),
  incremental: incrementalSchema.optional().describe('load only rows newer than the watermark (see Incremental loads)'),
  nested: z.enum(['json', 'flatten']).optional().describe('nested objects and arrays: json (the default) keeps each as one JSON column (jsonb in PostgreSQL, JSON text in CSV/JSON files); flatten turns objects into columns (address.city → address_city), arrays stay JSON'),
});

export type HttpSourceSpec = z.infer<typeof schema>;

/** What a new attempt needs to continue after a page; saved durably beside the page. */
type PageState = { page: number; rows: number; next: PageRequest | null; stats: StatsMap };

const RESTORE_CONCURRENCY = 8;
const pad = (page: number) => String(page).padStart(6, '0');
const dataName = (page: number) => `page-${pad(page)}.ndjson`;
const stateName = (page: number) => `page-${pad(page)}.state.json`;

export const httpSource = {
  schema,
  connectionKind: 'http',
  async read(spec, ctx) {
    const conn = ctx.connection(spec.connection, 'http');
    await checkColumnTypes(ctx.table, spec.columns);
    const saved = await restore(ctx.checkpoint);
    let state: PageState = saved?.state ?? { page: 0, rows: 0, next: firstPage(spec.paginate, { path: spec.path, query: spec.query }), stats: {} };
    const files = saved?.files ?? [];
    const resumedAt = state.page;

    while (state.next && state.page < spec.max_pages) {
      const page = state.page + 1;
      const request = state.next;
      const res = await httpText(conn, { method: 'GET', path: request.path, query: request.query, context: { page }, signal: ctx.signal });
      const where: ErrorContext = { endpoint: `GET ${res.url}`, page };
      const doc = parseBody(res.text, where);
      const records = nodeAt(doc, spec.records);
      if (records?.kind !== 'array') {
        throw new DataError(`expected an array of records at '${spec.records ?? '(the body)'}', found ${records ? records.kind : 'nothing'}`, { ...where, field: spec.records });
      }
      const pageStats: StatsMap = {};
      let lines: string[];
      try {
        lines = recordsToNdjson(records, spec.nested ?? 'json', pageStats);
      } catch (err) {
        if (err instanceof NotObjectError) throw new DataError(`records must be JSON objects: ${err.message}`, { ...where, field: spec.records });
        throw err;
      }
      if (lines.length) {
        const file = join(ctx.workdir, dataName(page));
        await writeFile(file, `${lines.join('\n')}\n`);
        await ctx.checkpoint.save(dataName(page), file);
        files.push(file);
      }
      const next = nextPage(spec.paginate, request, { valueAt: (path) => toPlain(nodeAt(doc, path)), count: lines.length, headers: res.headers });
      if (next && JSON.stringify(next) === JSON.stringify(request)) {
        // A cursor or next URL that repeats would fetch the same page until max_pages.
        throw new DataError(`the API answered with the same next request again (${spec.paginate.type} does not advance); stopping rather than looping`, { ...where, field: 'paginate' });
      }
      state = { page, rows: state.rows + lines.length, next, stats: mergeStats(state.stats, pageStats) };
      // The page is durable first, then the state that points past it: a kill between the two costs one refetch.
      const stateFile = join(ctx.workdir, stateName(page));
      await writeFile(stateFile, JSON.stringify(state));
      await ctx.checkpoint.save(stateName(page), stateFile);
      ctx.progress({ page, rows: state.rows });
    }
    if (state.next) {
      // Stopping quietly would deliver a partial dataset as if it were whole.
      throw new DataError(`the API has more than max_pages = ${spec.max_pages} pages; raise max_pages or narrow the query`, { endpoint: `GET ${maskUrl(spec.path)}`, page: state.page, field: 'max_pages' });
    }
    try {
      await loadRecords(ctx.table, ctx.dataset, files, state.stats, spec.columns, spec.nested ?? 'json');
    } catch (err) {
      // The engine has already classified DuckDB's error; a value that does not fit is located here.
      if (err instanceof FerryError && !/in file "[^"]*page-\d+\.ndjson"/.test(err.message)) throw err;
      throw loadError(err as Error, maskUrl(spec.path));
    }
    const pages = `${state.page} page${state.page === 1 ? '' : 's'}`;
    return { detail: `GET ${maskUrl(spec.path)} (${pages}${resumedAt ? `, resumed after page ${resumedAt}` : ''})` };
  },
} satisfies SourceAdapter<HttpSourceSpec>;

/** DuckDB names its NDJSON file and line: say the page and record instead (and no machine path). */
function loadError(err: Error, path: string): DataError {
  const m = /in file "[^"]*page-(\d+)\.ndjson", in line (\d+): ([^\n]*)/.exec(err.message);
  if (m) return new DataError(`record ${Number(m[2])}: ${m[3]} (a value that does not fit its column type)`, { endpoint: `GET ${path}`, page: Number(m[1]), field: 'columns' }, { cause: err });
  return new DataError(`records do not fit their column types: ${err.message.split('\n')[0]!.replace(/"\/[^"]*"/g, '"…"')}`, { endpoint: `GET ${path}`, field: 'columns' }, { cause: err });
}

function parseBody(text: string, where: ErrorContext): JsonNode {
  try {
    return parseJsonText(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    throw new DataError(`response is not valid JSON (${err.message}); starts with: ${JSON.stringify(text.slice(0, 80))}`, where);
  }
}

/** The last page whose state was saved, and the local files of the pages up to it (restored 8 at a time). */
async function restore(checkpoint: Checkpoint): Promise<{ state: PageState; files: string[] } | undefined> {
  const names = await checkpoint.list();
  const pageOf = (name: string, suffix: string) => (name.startsWith('page-') && name.endsWith(suffix) ? Number(name.slice(5, -suffix.length)) : NaN);
  const last = Math.max(0, ...names.map((n) => pageOf(n, '.state.json')).filter(Number.isInteger));
  if (!last) return undefined;
  const state = JSON.parse(await readFile(await checkpoint.restore(stateName(last)), 'utf8')) as PageState;
  // A page saved after the last state belongs to a fetch that did not finish: it is fetched again.
  const pages = names.map((n) => pageOf(n, '.ndjson')).filter((p) => Number.isInteger(p) && p <= last).sort((a, b) => a - b);
  const files = await mapLimit(pages, RESTORE_CONCURRENCY, (p) => checkpoint.restore(dataName(p)));
  return { state, files };
}

/** `fn` over `items` with at most `limit` calls in flight; results in the order of `items`. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < items.length) {
      const i = nextIndex++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
