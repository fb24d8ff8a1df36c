import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { firstPage, nextPage, paginateSchema, parseLinkHeader, PAGINATORS, type PageRequest, type PageResponse, type PaginateSpec } from '../../../src/connect/paginators.js';
import { atPath } from '../../../src/connect/http.js';

const base: PageRequest = { path: '/customers', query: { active: 'true' } };
const res = (records: unknown[], body: unknown = records, headers: Record<string, string> = {}, page = 1, url?: string): PageResponse => ({ valueAt: (path) => atPath(body, path), count: records.length, headers, page, ...(url ? { url } : {}) });
const spec = (raw: unknown): PaginateSpec => paginateSchema.parse(raw);

describe('paginateSchema', () => {
  it('applies defaults', () => {
    assert.deepEqual(spec({ type: 'page_number' }), { type: 'page_number', param: 'page', start: 1, stop_on_empty_page: true, stop_on_short_page: false });
    assert.deepEqual(spec({ type: 'offset' }), { type: 'offset', offset_param: 'offset', limit_param: 'limit', limit: 100, start: 0, stop_on_empty_page: true, stop_on_short_page: false });
    assert.deepEqual(spec({ type: 'cursor', cursor_path: 'meta.next' }), { type: 'cursor', cursor_path: 'meta.next', param: 'cursor', stop_on_empty_page: false });
    assert.deepEqual(spec({ type: 'header_link' }), { type: 'header_link', rel: 'next', header: 'link', stop_on_empty_page: false });
  });

  it('rejects an unknown type and unknown keys', () => {
    assert.equal(paginateSchema.safeParse({ type: 'link_header' }).success, false);
    assert.equal(paginateSchema.safeParse({ type: 'offset', limt: 5 }).success, false);
    assert.equal(paginateSchema.safeParse({ type: 'cursor' }).success, false);
    assert.equal(paginateSchema.safeParse({ type: 'header_cursor' }).success, false);
  });

  it('page_number and offset need a stop rule; stop_on_short_page needs the page size', () => {
    const issues = (raw: unknown) => paginateSchema.safeParse(raw).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(issues({ type: 'page_number', stop_on_empty_page: false }), ['stop_on_empty_page: page_number needs a stop rule: stop_on_empty_page, stop_on_short_page, total_pages_path, has_more_path or max_pages']);
    assert.deepEqual(issues({ type: 'offset', stop_on_empty_page: false }), ['stop_on_empty_page: offset needs a stop rule: stop_on_empty_page, stop_on_short_page, total_path, has_more_path or max_pages']);
    assert.deepEqual(issues({ type: 'page_number', stop_on_short_page: true }), ['size: stop_on_short_page needs size (the records per page)']);
    assert.equal(issues({ type: 'offset', stop_on_empty_page: false, total_path: 'total' }), undefined);
  });

  it('the registry has one paginator per type', () => {
    assert.deepEqual(Object.keys(PAGINATORS).sort(), ['cursor', 'header_cursor', 'header_link', 'next_url', 'none', 'offset', 'page_number', 'single_page']);
  });
});

describe('none', () => {
  it('requests the base once', () => {
    const s = spec({ type: 'none' });
    const first = firstPage(s, base);
    assert.deepEqual(first, { path: '/customers', query: { active: 'true' } });
    assert.equal(nextPage(s, first, res([1, 2, 3])), null);
  });
});

describe('page_number', () => {
  it('a short page does not end pagination by default (common mid-stream); an empty page does', () => {
    const s = spec({ type: 'page_number', size_param: 'per_page', size: 2 });
    const p1 = firstPage(s, base);
    const p2 = nextPage(s, p1, res([1]));
    assert.deepEqual(p2, { path: '/customers', query: { active: 'true', page: 2, per_page: 2 } });
    assert.equal(nextPage(s, p2!, res([])), null);
  });

  it('walks pages until a short page (stop_on_short_page)', () => {
    const s = spec({ type: 'page_number', size_param: 'per_page', size: 2, stop_on_short_page: true });
    const p1 = firstPage(s, base);
    assert.deepEqual(p1, { path: '/customers', query: { active: 'true', page: 1, per_page: 2 } });
    const p2 = nextPage(s, p1, res([{ id: 1 }, { id: 2 }]));
    assert.deepEqual(p2, { path: '/customers', query: { active: 'true', page: 2, per_page: 2 } });
    assert.equal(nextPage(s, p2!, res([{ id: 3 }])), null);
  });

  it('a full last page is followed by one empty page', () => {
    const s = spec({ type: 'page_number', size_param: 'per_page', size: 2, stop_on_short_page: true });
    const p2 = nextPage(s, firstPage(s, base), res([1, 2]))!;
    const p3 = nextPage(s, p2, res([3, 4]));
    assert.deepEqual(p3, { path: '/customers', query: { active: 'true', page: 3, per_page: 2 } });
    assert.equal(nextPage(s, p3!, res([])), null);
  });

  it('without a size, stops only at an empty page', () => {
    const s = spec({ type: 'page_number', param: 'p', start: 0 });
    const p0 = firstPage(s, { path: '/x', query: {} });
    assert.deepEqual(p0, { path: '/x', query: { p: 0 } });
    const p1 = nextPage(s, p0, res([1]));
    assert.deepEqual(p1, { path: '/x', query: { p: 1 } });
    assert.equal(nextPage(s, p1!, res([])), null);
  });

  it('size without size_param is not sent but still detects the short page', () => {
    const s = spec({ type: 'page_number', size: 3, stop_on_short_page: true });
    const p1 = firstPage(s, { path: '/x', query: {} });
    assert.deepEqual(p1, { path: '/x', query: { page: 1 } });
    assert.equal(nextPage(s, p1, res([1, 2])), null);
  });

  it('total_pages_path stops at the last page even when it is full', () => {
    const s = spec({ type: 'page_number', size_param: 'per_page', size: 2, total_pages_path: 'meta.total_pages' });
    const p1 = firstPage(s, base);
    const body = (records: unknown[]) => ({ data: records, meta: { total_pages: 2 } });
    const p2 = nextPage(s, p1, res([1, 2], body([1, 2])));
    assert.deepEqual(p2, { path: '/customers', query: { active: 'true', page: 2, per_page: 2 } });
    assert.equal(nextPage(s, p2!, res([3, 4], body([3, 4]))), null);
  });

  it('total_pages_path counts from start (start: 0)', () => {
    const s = spec({ type: 'page_number', start: 0, total_pages_path: 'total_pages' });
    const p0 = firstPage(s, { path: '/x', query: {} });
    const p1 = nextPage(s, p0, res([1], { total_pages: 2 }));
    assert.deepEqual(p1, { path: '/x', query: { page: 1 } });
    assert.equal(nextPage(s, p1!, res([2], { total_pages: 2 })), null);
  });

  it('total_pages given as a string, or missing, falls back to the page size', () => {
    const s = spec({ type: 'page_number', size: 1, total_pages_path: 'total_pages', stop_on_short_page: true });
    const p1 = firstPage(s, { path: '/x', query: {} });
    assert.equal(nextPage(s, p1, res([1], { total_pages: '1' })), null);
    assert.deepEqual(nextPage(s, p1, res([1], {})), { path: '/x', query: { page: 2 } });
  });
});

describe('offset', () => {
  it('advances by the records received until a short page (stop_on_short_page)', () => {
    const s = spec({ type: 'offset', limit: 3, stop_on_short_page: true });
    const first = firstPage(s, base);
    assert.deepEqual(first, { path: '/customers', query: { active: 'true', offset: 0, limit: 3 } });
    const second = nextPage(s, first, res([1, 2, 3]));
    assert.deepEqual(second, { path: '/customers', query: { active: 'true', offset: 3, limit: 3 } });
    const third = nextPage(s, second!, res([4, 5, 6]));
    assert.deepEqual(third, { path: '/customers', query: { active: 'true', offset: 6, limit: 3 } });
    assert.equal(nextPage(s, third!, res([7])), null);
  });

  it('uses the configured parameter names', () => {
    const s = spec({ type: 'offset', offset_param: 'skip', limit_param: 'take', limit: 2 });
    const first = firstPage(s, { path: '/x', query: {} });
    assert.deepEqual(first, { path: '/x', query: { skip: 0, take: 2 } });
    assert.deepEqual(nextPage(s, first, res([1, 2])), { path: '/x', query: { skip: 2, take: 2 } });
    assert.equal(nextPage(s, first, res([])), null);
  });
});

describe('cursor', () => {
  it('passes the cursor from the body until there is none', () => {
    const s = spec({ type: 'cursor', cursor_path: 'meta.next_cursor' });
    const first = firstPage(s, base);
    assert.deepEqual(first, { path: '/customers', query: { active: 'true' } });
    const second = nextPage(s, first, res([1], { meta: { next_cursor: 'abc' } }));
    assert.deepEqual(second, { path: '/customers', query: { active: 'true', cursor: 'abc' } });
    const third = nextPage(s, second!, res([2], { meta: { next_cursor: 42 } }));
    assert.deepEqual(third, { path: '/customers', query: { active: 'true', cursor: '42' } });
    assert.equal(nextPage(s, third!, res([3], { meta: { next_cursor: null } })), null);
    assert.equal(nextPage(s, third!, res([3], { meta: { next_cursor: '' } })), null);
    assert.equal(nextPage(s, third!, res([3], { meta: {} })), null);
    assert.equal(nextPage(s, third!, res([3], null)), null);
  });

  it('uses the configured parameter name', () => {
    const s = spec({ type: 'cursor', cursor_path: 'next', param: 'after' });
    assert.deepEqual(nextPage(s, { path: '/x', query: {} }, res([1], { next: 'c2' })), { path: '/x', query: { after: 'c2' } });
  });
});

describe('next_url', () => {
  it('resolves a relative next URL against the request URL', () => {
    const s = spec({ type: 'next_url', next_path: 'next' });
    assert.deepEqual(nextPage(s, base, res([1], { next: '/v2/customers?page=2' }, {}, 1, 'https://api.example.com/v2/customers')), { path: 'https://api.example.com/v2/customers?page=2', query: {} });
  });

  it('follows the URL in the body and drops the base query', () => {
    const s = spec({ type: 'next_url', next_path: 'links.next' });
    const first = firstPage(s, base);
    assert.deepEqual(first, { path: '/customers', query: { active: 'true' } });
    const second = nextPage(s, first, res([1], { links: { next: 'http://127.0.0.1:8787/customers?page=2&active=true' } }));
    assert.deepEqual(second, { path: 'http://127.0.0.1:8787/customers?page=2&active=true', query: {} });
    assert.equal(nextPage(s, second!, res([2], { links: { next: null } })), null);
    assert.equal(nextPage(s, second!, res([2], { links: { next: '' } })), null);
    assert.equal(nextPage(s, second!, res([2], { links: {} })), null);
  });
});

describe('offset stop rules', () => {
  it('without stop_on_short_page a short page goes on, by the records received', () => {
    const s = spec({ type: 'offset', limit: 3 });
    const second = nextPage(s, firstPage(s, { path: '/x', query: {} }), res([1, 2]));
    assert.deepEqual(second, { path: '/x', query: { offset: 2, limit: 3 } });
    assert.equal(nextPage(s, second!, res([])), null);
  });

  it('total_path stops once offset + records reach the total, even on a full page', () => {
    const s = spec({ type: 'offset', limit: 2, total_path: 'meta.total' });
    const first = firstPage(s, { path: '/x', query: {} });
    const second = nextPage(s, first, res([1, 2], { meta: { total: 4 } }));
    assert.deepEqual(second, { path: '/x', query: { offset: 2, limit: 2 } });
    assert.equal(nextPage(s, second!, res([3, 4], { meta: { total: 4 } })), null);
    assert.equal(nextPage(s, second!, res([3, 4], { meta: { total: '4' } })), null, 'a total as text');
  });
});

describe('stop rules shared by every paginator', () => {
  const cursorBody = (more: unknown) => ({ next: 'c2', more });
  it('has_more_path: false, "false" or 0 ends; true or missing goes on', () => {
    const s = spec({ type: 'cursor', cursor_path: 'next', has_more_path: 'more' });
    const first = firstPage(s, base);
    for (const more of [false, 'false', 0]) assert.equal(nextPage(s, first, res([1], cursorBody(more))), null, `more = ${JSON.stringify(more)}`);
    for (const more of [true, 'true', undefined]) assert.notEqual(nextPage(s, first, res([1], cursorBody(more))), null, `more = ${JSON.stringify(more)}`);
  });

  it('max_pages ends pagination quietly after that many pages', () => {
    const s = spec({ type: 'page_number', max_pages: 2 });
    const p1 = firstPage(s, base);
    const p2 = nextPage(s, p1, res([1], [1], {}, 1));
    assert.notEqual(p2, null);
    assert.equal(nextPage(s, p2!, res([1], [1], {}, 2)), null);
  });

  it('stop_on_empty_page is on for page_number/offset, off for cursor paginators unless asked', () => {
    const cursorSpec = spec({ type: 'cursor', cursor_path: 'next' });
    assert.notEqual(nextPage(cursorSpec, base, res([], { next: 'c2' })), null, 'an empty page with a cursor goes on');
    assert.equal(nextPage(spec({ type: 'cursor', cursor_path: 'next', stop_on_empty_page: true }), base, res([], { next: 'c2' })), null);
    assert.notEqual(nextPage(spec({ type: 'page_number', stop_on_empty_page: false, max_pages: 9 }), firstPage(spec({ type: 'page_number' }), base), res([])), null);
  });

  it('single_page and none make one request', () => {
    for (const type of ['none', 'single_page']) assert.equal(nextPage(spec({ type }), base, res([1], { next: 'x' })), null);
  });
});

describe('header_cursor', () => {
  it('takes the cursor from a response header until it is missing or empty', () => {
    const s = spec({ type: 'header_cursor', header: 'X-Next-Cursor', param: 'after' });
    const second = nextPage(s, base, res([1], [1], { 'x-next-cursor': 'abc' }));
    assert.deepEqual(second, { path: '/customers', query: { active: 'true', after: 'abc' } });
    assert.equal(nextPage(s, second!, res([1], [1], { 'x-next-cursor': '' })), null);
    assert.equal(nextPage(s, second!, res([1], [1], {})), null);
  });
});

describe('header_link (RFC 8288)', () => {
  it('follows rel="next" among several links, resolving a relative one against the request URL', () => {
    const s = spec({ type: 'header_link' });
    const link = '<https://api.example.com/v2/items?page=1>; rel="first", </v2/items?page=3&q=a%2Cb>; rel="next", <?page=9>; rel=last';
    assert.deepEqual(nextPage(s, base, res([1], [1], { link }, 2, 'https://api.example.com/v2/items?page=2')), { path: 'https://api.example.com/v2/items?page=3&q=a%2Cb', query: {} });
    assert.equal(nextPage(s, base, res([1], [1], { link: '<https://x/1>; rel="prev"' })), null);
    assert.equal(nextPage(s, base, res([1], [1], {})), null);
  });

  it('parses quoted parameters with commas and semicolons, rel lists, and tokens', () => {
    assert.deepEqual(parseLinkHeader('<https://x/a?b=1,2>; title="a, b; c"; rel="prev next", <https://x/c>;rel=last; rel=ignored'), [
      { target: 'https://x/a?b=1,2', rel: ['prev', 'next'], params: { title: 'a, b; c', rel: 'prev next' } },
      { target: 'https://x/c', rel: ['last'], params: { rel: 'last' } },
    ]);
    assert.deepEqual(parseLinkHeader('<https://x/q>; title="say \\"hi\\""; REL="NEXT"'), [{ target: 'https://x/q', rel: ['next'], params: { title: 'say "hi"', rel: 'NEXT' } }]);
    assert.deepEqual(parseLinkHeader(''), []);
    assert.deepEqual(parseLinkHeader('garbage, <https://x/n>; rel=next'), [{ target: 'https://x/n', rel: ['next'], params: { rel: 'next' } }]);
  });

  it('a custom rel and header name', () => {
    const s = spec({ type: 'header_link', rel: 'more', header: 'X-Links' });
    assert.deepEqual(nextPage(s, base, res([1], [1], { 'x-links': '<https://x/m>; rel="more"' })), { path: 'https://x/m', query: {} });
  });
});
