/**
 * Paginators for the http source, told apart by `type` (dlt's paginator map is the model; option
 * names follow dlt's rest_api and Airbyte's declarative paginators). Each one starts a request,
 * then reads a response and says what the next request is, or that there is none. A request is
 * small JSON: the http source saves it durably with each page, so a new attempt continues with the
 * request after the last saved page.
 *
 *   paginate: { type: page_number, param: page, size_param: per_page, size: 100, total_pages_path: meta.pages }
 *   paginate: { type: offset, limit: 100, total_path: meta.total }
 *   paginate: { type: cursor, cursor_path: meta.next_cursor, param: cursor, has_more_path: meta.has_more }
 *   paginate: { type: header_cursor, header: X-Next-Cursor, param: cursor }
 *   paginate: { type: header_link }                     # Link: <…?page=2>; rel="next" (RFC 8288)
 *   paginate: { type: next_url, next_path: links.next }
 *   paginate: { type: single_page }                     # or none
 *
 * Stop rules are explicit and checked in this order after every page: `max_pages` (a deliberate
 * limit: stops quietly), `has_more_path` (false ends), `stop_on_empty_page`, `stop_on_short_page`
 * (fewer records than the page size: off unless asked, a short page is common mid-stream), the
 * paginator's own total (`total_pages_path`, `total_path`), and finally the paginator's own end (no
 * cursor, no next link). A relative next URL (body or Link header) is resolved against the URL of the
 * request that returned it.
 */
import { z } from 'zod';

export type PageRequest = { path: string; query: Record<string, string | number | undefined> };
/**
 * `valueAt`: a value of the response body at a dotted path (numbers beyond 2^53 as their text);
 * `count`: records on the page; `page`: its number (1 = the first page of this request sequence);
 * `url`: the URL that was requested (unmasked: for resolving relative links, never for messages).
 */
export type PageResponse = { valueAt(path: string): unknown; count: number; headers: Record<string, string>; page?: number; url?: string };

type Paginator<S> = {
  first(spec: S, base: PageRequest): PageRequest;
  next(spec: S, current: PageRequest, res: PageResponse): PageRequest | null;
  /** What moves from page to page, for loop-guard messages (e.g. `cursor "c1"`). */
  describe(spec: S, request: PageRequest): string;
};

const stopRules = (emptyDefault: boolean) => ({
  stop_on_empty_page: z.boolean().default(emptyDefault).describe('a page without records is the last one'),
  has_more_path: z.string().optional().describe('dotted path to a has-more flag in the body (e.g. meta.has_more); false (or "false", 0) ends pagination'),
  max_pages: z.number().int().positive().optional().describe('a deliberate limit: stop quietly after this many pages (e.g. a sample); the source\'s own max_pages is the safety stop that fails'),
});

const shortPage = {
  stop_on_short_page: z.boolean().default(false).describe('a page with fewer records than the page size is the last one (off by default: many APIs return short pages mid-stream)'),
};

const noneSchema = z.strictObject({ type: z.literal('none').describe('one request, no pagination') });
const singlePageSchema = z.strictObject({ type: z.literal('single_page').describe('one request, no pagination (same as none)') });
const pageNumberSchema = z.strictObject({
  type: z.literal('page_number'),
  param: z.string().default('page').describe('query parameter of the page number'),
  start: z.number().int().default(1).describe('number of the first page (0 or 1)'),
  size_param: z.string().optional().describe('query parameter of the page size, e.g. per_page'),
  size: z.number().int().positive().optional().describe('records per page (sent as size_param; needed by stop_on_short_page)'),
  total_pages_path: z.string().optional().describe('dotted path to the number of pages in the body (e.g. meta.total_pages)'),
  ...stopRules(true),
  ...shortPage,
});
const offsetSchema = z.strictObject({
  type: z.literal('offset'),
  offset_param: z.string().default('offset').describe('query parameter of the offset'),
  limit_param: z.string().default('limit').describe('query parameter of the page size'),
  limit: z.number().int().positive().default(100).describe('records per page'),
  start: z.number().int().nonnegative().default(0).describe('offset of the first page'),
  total_path: z.string().optional().describe('dotted path to the total number of records in the body (e.g. meta.total): stops once offset + records reach it'),
  ...stopRules(true),
  ...shortPage,
});
const cursorSchema = z.strictObject({
  type: z.literal('cursor'),
  cursor_path: z.string().describe('dotted path to the next cursor in the body; missing, null or "" ends pagination'),
  param: z.string().default('cursor').describe('query parameter the cursor is sent in'),
  ...stopRules(false),
});
const headerCursorSchema = z.strictObject({
  type: z.literal('header_cursor'),
  header: z.string().describe('response header holding the next cursor, e.g. X-Next-Cursor; missing or empty ends pagination'),
  param: z.string().default('cursor').describe('query parameter the cursor is sent in'),
  ...stopRules(false),
});
const headerLinkSchema = z.strictObject({
  type: z.literal('header_link'),
  rel: z.string().default('next').describe('the relation to follow in the Link header (RFC 8288); no such link ends pagination'),
  header: z.string().default('link').describe('the response header holding the links'),
  ...stopRules(false),
});
const nextUrlSchema = z.strictObject({
  type: z.literal('next_url'),
  next_path: z.string().describe('dotted path to the next page\'s URL in the body (absolute or relative to the request); missing, null or "" ends pagination'),
  ...stopRules(false),
});

export const paginateSchema = z.discriminatedUnion('type', [noneSchema, singlePageSchema, pageNumberSchema, offsetSchema, cursorSchema, headerCursorSchema, headerLinkSchema, nextUrlSchema])
  .superRefine((spec, ctx) => {
    if ((spec.type === 'page_number' || spec.type === 'offset') && !spec.stop_on_empty_page && !spec.stop_on_short_page && !spec.has_more_path && !spec.max_pages
      && !(spec.type === 'page_number' ? spec.total_pages_path : spec.total_path)) {
      ctx.addIssue({ code: 'custom', path: ['stop_on_empty_page'], message: `${spec.type} needs a stop rule: stop_on_empty_page, stop_on_short_page, ${spec.type === 'page_number' ? 'total_pages_path' : 'total_path'}, has_more_path or max_pages` });
    }
    if (spec.type === 'page_number' && spec.stop_on_short_page && !spec.size) {
      ctx.addIssue({ code: 'custom', path: ['size'], message: 'stop_on_short_page needs size (the records per page)' });
    }
  });
export type PaginateSpec = z.infer<typeof paginateSchema>;
type Spec<T extends PaginateSpec['type']> = Extract<PaginateSpec, { type: T }>;

const single: Paginator<Spec<'none'> | Spec<'single_page'>> = {
  first: (_s, base) => base,
  next: () => null,
  describe: () => 'the request',
};

/** A number in a body (a JSON number, or its text); undefined when it is none. */
function numberAt(res: PageResponse, path: string): number | undefined {
  const value = res.valueAt(path);
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

const pageNumber: Paginator<Spec<'page_number'>> = {
  first: (s, base) => ({ ...base, query: { ...base.query, [s.param]: s.start, ...(s.size_param && s.size ? { [s.size_param]: s.size } : {}) } }),
  next(s, cur, res) {
    const page = Number(cur.query[s.param]);
    const total = s.total_pages_path ? numberAt(res, s.total_pages_path) : undefined;
    if (total !== undefined && page - s.start + 1 >= total) return null;
    return { ...cur, query: { ...cur.query, [s.param]: page + 1 } };
  },
  describe: (s, req) => `${s.param}=${req.query[s.param]}`,
};

const offset: Paginator<Spec<'offset'>> = {
  first: (s, base) => ({ ...base, query: { ...base.query, [s.offset_param]: s.start, [s.limit_param]: s.limit } }),
  next(s, cur, res) {
    const at = Number(cur.query[s.offset_param]) + res.count;
    const total = s.total_path ? numberAt(res, s.total_path) : undefined;
    if (total !== undefined && at >= total) return null;
    return { ...cur, query: { ...cur.query, [s.offset_param]: at } };
  },
  describe: (s, req) => `${s.offset_param}=${req.query[s.offset_param]}`,
};

const withCursor = (cur: PageRequest, param: string, value: unknown): PageRequest | null =>
  value === undefined || value === null || value === '' ? null : { ...cur, query: { ...cur.query, [param]: String(value) } };

const cursor: Paginator<Spec<'cursor'>> = {
  first: (_s, base) => base,
  next: (s, cur, res) => withCursor(cur, s.param, res.valueAt(s.cursor_path)),
  describe: (s, req) => `cursor ${JSON.stringify(String(req.query[s.param] ?? ''))}`,
};

const headerCursor: Paginator<Spec<'header_cursor'>> = {
  first: (_s, base) => base,
  next: (s, cur, res) => withCursor(cur, s.param, res.headers[s.header.toLowerCase()]?.trim()),
  describe: (s, req) => `cursor ${JSON.stringify(String(req.query[s.param] ?? ''))} (header ${s.header})`,
};

/** A link resolved against the request's URL; an absolute URL as it is. */
function resolveLink(link: string, res: PageResponse): PageRequest {
  const url = res.url ? new URL(link, res.url).href : link;
  return { path: url, query: {} };
}

const headerLink: Paginator<Spec<'header_link'>> = {
  first: (_s, base) => base,
  next(s, _cur, res) {
    const link = parseLinkHeader(res.headers[s.header.toLowerCase()] ?? '').find((l) => l.rel.includes(s.rel.toLowerCase()));
    return link ? resolveLink(link.target, res) : null;
  },
  describe: (_s, req) => `next URL ${req.path}`,
};

const nextUrl: Paginator<Spec<'next_url'>> = {
  first: (_s, base) => base,
  next(s, _cur, res) {
    const value = res.valueAt(s.next_path);
    return typeof value === 'string' && value ? resolveLink(value, res) : null;
  },
  describe: (_s, req) => `next URL ${req.path}`,
};

/** The registry: a paginator is found by its `type`. */
export const PAGINATORS: { [T in PaginateSpec['type']]: Paginator<Spec<T>> } = {
  none: single, single_page: single, page_number: pageNumber, offset, cursor, header_cursor: headerCursor, header_link: headerLink, next_url: nextUrl,
};

const paginator = (spec: PaginateSpec) => PAGINATORS[spec.type] as Paginator<PaginateSpec>;

export function firstPage(spec: PaginateSpec, base: PageRequest): PageRequest {
  return paginator(spec).first(spec, base);
}

const FALSE = new Set([false, 'false', 'False', 'FALSE', 0, '0', null]);

/** The request after `current`, or null when a stop rule or the paginator says it was the last page. */
export function nextPage(spec: PaginateSpec, current: PageRequest, res: PageResponse): PageRequest | null {
  if (spec.type === 'none' || spec.type === 'single_page') return null;
  if (spec.max_pages && (res.page ?? 0) >= spec.max_pages) return null;
  if (spec.has_more_path && FALSE.has(res.valueAt(spec.has_more_path) as never)) return null;
  if (spec.stop_on_empty_page && res.count === 0) return null;
  if ((spec.type === 'page_number' || spec.type === 'offset') && spec.stop_on_short_page) {
    const size = spec.type === 'offset' ? spec.limit : spec.size!;
    if (res.count < size) return null;
  }
  return paginator(spec).next(spec, current, res);
}

/** What moves from page to page in `request` (for messages; URLs still need masking). */
export function describeRequest(spec: PaginateSpec, request: PageRequest): string {
  return paginator(spec).describe(spec, request);
}

/** One link of a Link header: its target (as written) and its relation types, lower case. */
export type Link = { target: string; rel: string[]; params: Record<string, string> };

/**
 * RFC 8288 Link header: `<uri>; rel="next last"; title="a, b", <uri2>; rel=prev`. Commas inside
 * `<…>` or quotes do not split links; parameter values may be quoted (with \-escapes) or tokens.
 */
export function parseLinkHeader(header: string): Link[] {
  const links: Link[] = [];
  let i = 0;
  const n = header.length;
  const skip = () => {
    while (i < n && /[\s,]/.test(header[i]!)) i++;
  };
  while (i < n) {
    skip();
    if (header[i] !== '<') {
      // Not a link: skip to the next comma outside quotes.
      let quoted = false;
      while (i < n && (quoted || header[i] !== ',')) {
        if (header[i] === '"') quoted = !quoted;
        i++;
      }
      continue;
    }
    const end = header.indexOf('>', i);
    if (end < 0) break;
    const target = header.slice(i + 1, end).trim();
    i = end + 1;
    const params: Record<string, string> = {};
    for (;;) {
      while (i < n && /\s/.test(header[i]!)) i++;
      if (header[i] !== ';') break;
      i++;
      while (i < n && /\s/.test(header[i]!)) i++;
      const name = /^[^=;,\s]+/.exec(header.slice(i))?.[0] ?? '';
      i += name.length;
      while (i < n && /\s/.test(header[i]!)) i++;
      let value = '';
      if (header[i] === '=') {
        i++;
        while (i < n && /\s/.test(header[i]!)) i++;
        if (header[i] === '"') {
          i++;
          while (i < n && header[i] !== '"') {
            if (header[i] === '\\' && i + 1 < n) i++;
            value += header[i++];
          }
          i++;
        } else {
          const token = /^[^;,\s]*/.exec(header.slice(i))![0];
          value = token;
          i += token.length;
        }
      }
      // The first occurrence of a parameter wins (RFC 8288 §3).
      if (name && !(name.toLowerCase() in params)) params[name.toLowerCase()] = value;
    }
    links.push({ target, rel: (params.rel ?? '').toLowerCase().split(/\s+/).filter(Boolean), params });
  }
  return links;
}
