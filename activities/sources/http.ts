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
 */
import { join } from 'node:path';
import { z } from 'zod';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { httpJson, atPath } from '../../src/connect/http.js';
import { paginateSchema, firstPage, nextPage, type PageRequest } from '../../src/connect/paginators.js';
import { DataError } from '../../src/errors.js';
import { columnTypesSchema } from '../../src/table/formats.js';
import { writeNdjson, type Row } from '../../src/table/engine.js';
import type { SourceAdapter } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('http'),
  ...adapterCommon,
  connection: z.string().describe('name of a connection in config/connections.yaml'),
  path: z.string().default('/').describe('relative to the connection\'s base_url'),
  query: z.record(z.string(), z.union([z.string(), z.number()])).default({}).describe('query parameters of every request'),
  records: z.string().optional().describe('dotted path to the array of records; omit when the body is the array'),
  paginate: paginateSchema.default({ type: 'none' }).describe('see Paginators'),
  max_pages: z.number().int().positive().default(10_000).describe('safety stop: more pages than this fail the run rather than lose rows'),
  columns: columnTypesSchema,
});

export type HttpSourceSpec = z.infer<typeof schema>;

/** What a retry needs to pick up where the last attempt stopped (heartbeated as `cursor`). */
type HttpResume = { pages: number; rows: number; parts: string[]; next: PageRequest | null };

export const httpSource = {
  schema,
  connectionKind: 'http',
  async read(spec, ctx) {
    const conn = ctx.connection(spec.connection, 'http');
    // Each page is saved to the staging store before it is heartbeated, so a retry on another
    // worker restores the pages it has and continues with the next request.
    const resume = ctx.resume?.cursor as HttpResume | undefined;
    let state: HttpResume = resume ?? { pages: 0, rows: 0, parts: [], next: firstPage(spec.paginate, { path: spec.path, query: spec.query }) };
    const files = await Promise.all(state.parts.map((part) => ctx.checkpoint.restore(part)));
    const resumedAt = state.pages;

    while (state.next && state.pages < spec.max_pages) {
      const page = state.pages + 1;
      const request: PageRequest = state.next;
      const res = await httpJson(conn, { method: 'GET', path: request.path, query: request.query, context: { page }, signal: ctx.signal });
      const records = atPath(res.body, spec.records);
      if (!Array.isArray(records)) {
        throw new DataError(`expected an array of records at '${spec.records ?? '(the body)'}', found ${records === undefined ? 'nothing' : typeof records}`, { endpoint: `GET ${res.url}`, page, field: spec.records });
      }
      const objects = records.filter((r): r is Row => r !== null && typeof r === 'object' && !Array.isArray(r));
      if (objects.length !== records.length) throw new DataError('records must be JSON objects', { endpoint: `GET ${res.url}`, page, field: spec.records });
      const parts = [...state.parts];
      if (objects.length) {
        const part = `page-${String(page).padStart(6, '0')}.ndjson`;
        const file = join(ctx.workdir, part);
        await writeNdjson(file, [objects]);
        await ctx.checkpoint.save(part, file);
        files.push(file);
        parts.push(part);
      }
      state = { pages: page, rows: state.rows + objects.length, parts, next: nextPage(spec.paginate, request, { body: res.body, records, headers: res.headers }) };
      ctx.progress({ page, rows: state.rows, cursor: state });
    }
    if (state.next) {
      // Stopping quietly would deliver a partial dataset as if it were whole.
      throw new DataError(`the API has more than max_pages = ${spec.max_pages} pages; raise max_pages or narrow the query`, { endpoint: `GET ${spec.path}`, page: state.pages, field: 'max_pages' });
    }
    const columns = spec.columns ? Object.entries(spec.columns).map(([name, type]) => ({ name, type })) : undefined;
    await ctx.table.loadNdjson(ctx.dataset, files, columns);
    const pages = `${state.pages} page${state.pages === 1 ? '' : 's'}`;
    return { detail: `GET ${spec.path} (${pages}${resumedAt ? `, resumed after page ${resumedAt}` : ''})` };
  },
} satisfies SourceAdapter<HttpSourceSpec>;
