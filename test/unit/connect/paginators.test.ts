import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { firstPage, nextPage, paginateSchema, PAGINATORS, type PageRequest, type PageResponse, type PaginateSpec } from '../../../src/connect/paginators.js';
import { atPath } from '../../../src/connect/http.js';

const base: PageRequest = { path: '/customers', query: { active: 'true' } };
const res = (records: unknown[], body: unknown = records, headers: Record<string, string> = {}): PageResponse => ({ valueAt: (path) => atPath(body, path), count: records.length, headers });
const spec = (raw: unknown): PaginateSpec => paginateSchema.parse(raw);

describe('paginateSchema', () => {
  it('applies defaults', () => {
    assert.deepEqual(spec({ type: 'page_number' }), { type: 'page_number', param: 'page', start: 1 });
    assert.deepEqual(spec({ type: 'offset' }), { type: 'offset', offset_param: 'offset', limit_param: 'limit', limit: 100 });
    assert.deepEqual(spec({ type: 'cursor', cursor_path: 'meta.next' }), { type: 'cursor', cursor_path: 'meta.next', param: 'cursor' });
  });

  it('rejects an unknown type and unknown keys', () => {
    assert.equal(paginateSchema.safeParse({ type: 'link_header' }).success, false);
    assert.equal(paginateSchema.safeParse({ type: 'offset', limt: 5 }).success, false);
    assert.equal(paginateSchema.safeParse({ type: 'cursor' }).success, false);
  });

  it('the registry has one paginator per type', () => {
    assert.deepEqual(Object.keys(PAGINATORS).sort(), ['cursor', 'next_url', 'none', 'offset', 'page_number']);
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
  it('walks pages until a short page (size known)', () => {
    const s = spec({ type: 'page_number', size_param: 'per_page', size: 2 });
    const p1 = firstPage(s, base);
    assert.deepEqual(p1, { path: '/customers', query: { active: 'true', page: 1, per_page: 2 } });
    const p2 = nextPage(s, p1, res([{ id: 1 }, { id: 2 }]));
    assert.deepEqual(p2, { path: '/customers', query: { active: 'true', page: 2, per_page: 2 } });
    assert.equal(nextPage(s, p2!, res([{ id: 3 }])), null);
  });

  it('a full last page is followed by one empty page', () => {
    const s = spec({ type: 'page_number', size_param: 'per_page', size: 2 });
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
    const s = spec({ type: 'page_number', size: 3 });
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
    const s = spec({ type: 'page_number', size: 1, total_pages_path: 'total_pages' });
    const p1 = firstPage(s, { path: '/x', query: {} });
    assert.equal(nextPage(s, p1, res([1], { total_pages: '1' })), null);
    assert.deepEqual(nextPage(s, p1, res([1], {})), { path: '/x', query: { page: 2 } });
  });
});

describe('offset', () => {
  it('advances by the records received until a short page', () => {
    const s = spec({ type: 'offset', limit: 3 });
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
