/**
 * Paginators for the http source, told apart by `type` (dlt's paginator map is the model). Each
 * one starts a request, then reads a response and says what the next request is, or that there is
 * none. A request is small JSON: the http source saves it durably with each page, so a new attempt
 * continues with the request after the last saved page.
 *
 *   paginate: { type: page_number, param: page, size_param: per_page, size: 100 }
 *   paginate: { type: cursor, cursor_path: meta.next_cursor, param: cursor }
 *   paginate: { type: next_url, next_path: links.next }
 */
import { z } from 'zod';

export type PageRequest = { path: string; query: Record<string, string | number | undefined> };
/** `valueAt`: a value of the response body at a dotted path (numbers beyond 2^53 as their text); `count`: records on the page. */
export type PageResponse = { valueAt(path: string): unknown; count: number; headers: Record<string, string> };

type Paginator<S> = {
  first(spec: S, base: PageRequest): PageRequest;
  next(spec: S, current: PageRequest, res: PageResponse): PageRequest | null;
};

const noneSchema = z.strictObject({ type: z.literal('none') });
const pageNumberSchema = z.strictObject({
  type: z.literal('page_number'),
  param: z.string().default('page'),
  start: z.number().int().default(1),
  size_param: z.string().optional(),
  size: z.number().int().positive().optional(),
  total_pages_path: z.string().optional().describe('where the response says how many pages there are'),
});
const offsetSchema = z.strictObject({
  type: z.literal('offset'),
  offset_param: z.string().default('offset'),
  limit_param: z.string().default('limit'),
  limit: z.number().int().positive().default(100),
});
const cursorSchema = z.strictObject({ type: z.literal('cursor'), cursor_path: z.string(), param: z.string().default('cursor') });
const nextUrlSchema = z.strictObject({ type: z.literal('next_url'), next_path: z.string() });

export const paginateSchema = z.discriminatedUnion('type', [noneSchema, pageNumberSchema, offsetSchema, cursorSchema, nextUrlSchema]);
export type PaginateSpec = z.infer<typeof paginateSchema>;
type Spec<T extends PaginateSpec['type']> = Extract<PaginateSpec, { type: T }>;

const none: Paginator<Spec<'none'>> = {
  first: (_s, base) => base,
  next: () => null,
};

const pageNumber: Paginator<Spec<'page_number'>> = {
  first: (s, base) => ({ ...base, query: { ...base.query, [s.param]: s.start, ...(s.size_param && s.size ? { [s.size_param]: s.size } : {}) } }),
  next(s, cur, res) {
    const page = Number(cur.query[s.param]);
    if (s.total_pages_path) {
      const total = Number(res.valueAt(s.total_pages_path));
      if (Number.isFinite(total) && page - s.start + 1 >= total) return null;
    }
    // A short or empty page is the last one.
    if (res.count === 0 || (s.size && res.count < s.size)) return null;
    return { ...cur, query: { ...cur.query, [s.param]: page + 1 } };
  },
};

const offset: Paginator<Spec<'offset'>> = {
  first: (s, base) => ({ ...base, query: { ...base.query, [s.offset_param]: 0, [s.limit_param]: s.limit } }),
  next(s, cur, res) {
    if (res.count < s.limit) return null;
    return { ...cur, query: { ...cur.query, [s.offset_param]: Number(cur.query[s.offset_param]) + res.count } };
  },
};

const cursor: Paginator<Spec<'cursor'>> = {
  first: (_s, base) => base,
  next(s, cur, res) {
    const value = res.valueAt(s.cursor_path);
    if (value === undefined || value === null || value === '') return null;
    return { ...cur, query: { ...cur.query, [s.param]: String(value) } };
  },
};

const nextUrl: Paginator<Spec<'next_url'>> = {
  first: (_s, base) => base,
  next(s, _cur, res) {
    const value = res.valueAt(s.next_path);
    return typeof value === 'string' && value ? { path: value, query: {} } : null;
  },
};

/** The registry: a paginator is found by its `type`. */
export const PAGINATORS: { [T in PaginateSpec['type']]: Paginator<Spec<T>> } = { none, page_number: pageNumber, offset, cursor, next_url: nextUrl };

export function firstPage(spec: PaginateSpec, base: PageRequest): PageRequest {
  return (PAGINATORS[spec.type] as Paginator<PaginateSpec>).first(spec, base);
}

export function nextPage(spec: PaginateSpec, current: PageRequest, res: PageResponse): PageRequest | null {
  return (PAGINATORS[spec.type] as Paginator<PaginateSpec>).next(spec, current, res);
}
