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
import { z } from 'zod';
import { httpJson, atPath } from '../../src/connect/http.js';
import { paginateSchema, firstPage, nextPage, type PageRequest } from '../../src/connect/paginators.js';
import { DataError } from '../../src/errors.js';
import { columnTypesSchema } from '../../src/table/formats.js';
import type { Row } from '../../src/table/engine.js';
import type { SourceAdapter } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('http'),
  connection: z.string(),
  path: z.string().default('/'),
  query: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
  records: z.string().optional().describe('dotted path to the array of records; omit when the body is the array'),
  paginate: paginateSchema.default({ type: 'none' }),
  max_pages: z.number().int().positive().default(10_000),
  columns: columnTypesSchema,
});

export type HttpSourceSpec = z.infer<typeof schema>;

export const httpSource = {
  schema,
  connectionKind: 'http',
  async read(spec, ctx) {
    const conn = ctx.connection(spec.connection, 'http');
    let request: PageRequest | null = firstPage(spec.paginate, { path: spec.path, query: spec.query });
    let page = 0;
    let rows = 0;
    async function* pages(): AsyncGenerator<Row[]> {
      while (request && page < spec.max_pages) {
        page += 1;
        const res = await httpJson(conn, { method: 'GET', path: request.path, query: request.query, context: { page } });
        const records = atPath(res.body, spec.records);
        if (!Array.isArray(records)) {
          throw new DataError(`expected an array of records at '${spec.records ?? '(the body)'}', found ${records === undefined ? 'nothing' : typeof records}`, { endpoint: `GET ${res.url}`, page, field: spec.records });
        }
        const objects = records.filter((r): r is Row => r !== null && typeof r === 'object' && !Array.isArray(r));
        if (objects.length !== records.length) throw new DataError('records must be JSON objects', { endpoint: `GET ${res.url}`, page, field: spec.records });
        rows += objects.length;
        ctx.progress({ page, rows });
        yield objects;
        request = nextPage(spec.paginate, request, { body: res.body, records, headers: res.headers });
      }
    }
    const columns = spec.columns ? Object.entries(spec.columns).map(([name, type]) => ({ name, type })) : undefined;
    await ctx.table.loadRecords(ctx.dataset, pages(), columns);
    return { detail: `GET ${spec.path} (${page} page${page === 1 ? '' : 's'})` };
  },
} satisfies SourceAdapter<HttpSourceSpec>;
