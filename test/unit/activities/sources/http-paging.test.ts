/**
 * The http source's paginators and stop rules against a real node:http server (exact rows and the
 * exact requests the server got), the loop guard (also across a resume) and the request budget.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, json, attempt, folderCheckpoint, tempDir, Killed, type Api } from './http-fixture.js';
import { FerryError } from '../../../../src/errors.js';

/** 7 records; pages of 3 by default. */
const ALL = Array.from({ length: 7 }, (_v, i) => ({ id: i + 1, v: `r${i + 1}` }));
const rowsOf = (ids: number[]) => ids.map((i) => ({ id: String(i), v: `r${i}` }));
const slice = (from: number, n: number) => JSON.stringify(ALL.slice(from, from + n));

let api: Api;
before(async () => {
  api = await startApi((_req, res, u) => {
    const q = u.searchParams;
    switch (u.pathname) {
      case '/pages': { // page_number; page 2 is short mid-stream (2 of 3), page 5 is empty
        const page = Number(q.get('page'));
        const bounds: Record<number, [number, number]> = { 1: [0, 3], 2: [3, 2], 3: [5, 1], 4: [6, 1] };
        const [from, n] = bounds[page] ?? [0, 0];
        return json(res, `{"data": ${slice(from, n)}, "meta": {"pages": 4, "more": ${page < 4}}}`);
      }
      case '/offset': {
        const offset = Number(q.get('offset'));
        return json(res, `{"data": ${slice(offset, Number(q.get('limit')))}, "total": 7}`);
      }
      case '/header-cursor': {
        const at = Number(q.get('after') ?? 0);
        return json(res, slice(at, 3), at + 3 < 7 ? { 'x-next': String(at + 3) } : {});
      }
      case '/link': {
        const at = Number(q.get('at') ?? 0);
        const links = [`<${api.url}/link?at=0>; rel="first"`, ...(at + 3 < 7 ? [`</link?at=${at + 3}>; title="next, please"; rel="next"`] : [])];
        return json(res, slice(at, 3), { link: links.join(', ') });
      }
      case '/next-url': {
        const at = Number(q.get('at') ?? 0);
        return json(res, `{"items": ${slice(at, 3)}, "next": ${at + 3 < 7 ? `"?at=${at + 3}"` : 'null'}}`);
      }
      case '/cursor-cycle': { // c0 → c1 → c2 → c1 …
        const cursor = q.get('cursor') ?? 'c0';
        const next = { c0: 'c1', c1: 'c2', c2: 'c1' }[cursor];
        return json(res, `{"data": [{"id": "${cursor}"}], "next": "${next}"}`);
      }
      case '/url-cycle': { // a → b → a
        const at = q.get('at') ?? 'a';
        return json(res, `{"data": [{"id": "${at}"}], "next": "/url-cycle?at=${at === 'a' ? 'b' : 'a'}"}`);
      }
      case '/long-cycle': { // 70 pages; page 70 points back to page 3's cursor
        const n = Number(q.get('cursor') ?? 1);
        return json(res, `{"data": [{"id": ${n}}], "next": ${n === 70 ? 3 : n + 1}}`);
      }
      case '/ignores-page': // answers page 1 whatever page is asked
        return json(res, `{"data": ${slice(0, 3)}}`);
      default:
        return json(res, '{"error": "not found"}', {}, 404);
    }
  });
});
after(() => api.close());

const run = async (source: Record<string, unknown>, options: { killAfter?: string; folder?: string; budget?: number; restored?: string[] } = {}) => {
  api.requests.length = 0;
  const folder = options.folder ?? await tempDir();
  const out = await attempt(api, source, { checkpoint: folderCheckpoint(folder, options), ...(options.budget ? { requestBudget: options.budget } : {}) });
  return { ...out, rows: out.tables.items, requests: [...api.requests], folder };
};

test('page_number: a short page mid-stream goes on; the empty page ends it (the default)', async () => {
  const { rows, requests, result } = await run({ path: '/pages', records: 'data', paginate: { type: 'page_number', size: 3 } });
  assert.deepEqual(result, { detail: 'GET /pages (5 pages)' });
  assert.deepEqual(rows, rowsOf([1, 2, 3, 4, 5, 6, 7]));
  assert.deepEqual(requests, ['/pages?page=1', '/pages?page=2', '/pages?page=3', '/pages?page=4', '/pages?page=5']);
});

test('page_number with stop_on_short_page loses the rows after a short page: only when asked', async () => {
  const { rows, requests } = await run({ path: '/pages', records: 'data', paginate: { type: 'page_number', size: 3, stop_on_short_page: true } });
  assert.deepEqual(rows, rowsOf([1, 2, 3, 4, 5]));
  assert.deepEqual(requests, ['/pages?page=1', '/pages?page=2']);
});

test('page_number: total_pages_path and has_more_path stop at the last page, without the empty one', async () => {
  for (const rule of [{ total_pages_path: 'meta.pages' }, { has_more_path: 'meta.more' }]) {
    const { rows, requests } = await run({ path: '/pages', records: 'data', paginate: { type: 'page_number', ...rule } });
    assert.deepEqual(rows, rowsOf([1, 2, 3, 4, 5, 6, 7]), JSON.stringify(rule));
    assert.equal(requests.length, 4, JSON.stringify(rule));
  }
});

test('paginate.max_pages stops quietly (a sample); the source max_pages fails instead', async () => {
  const sample = await run({ path: '/pages', records: 'data', paginate: { type: 'page_number', max_pages: 2 } });
  assert.deepEqual(sample.rows, rowsOf([1, 2, 3, 4, 5]));
  const safety = await run({ path: '/pages', records: 'data', paginate: { type: 'page_number' }, max_pages: 2 });
  assert.ok(safety.result instanceof FerryError && safety.result.code === 'DATA');
  assert.equal(safety.result.describe(), 'GET /pages, page 3, field max_pages: the API has more than max_pages = 2 pages; raise max_pages or narrow the query');
});

test('offset with total_path: stops when offset + records reach the total', async () => {
  const { rows, requests } = await run({ path: '/offset', records: 'data', paginate: { type: 'offset', limit: 3, total_path: 'total' } });
  assert.deepEqual(rows, rowsOf([1, 2, 3, 4, 5, 6, 7]));
  assert.deepEqual(requests, ['/offset?offset=0&limit=3', '/offset?offset=3&limit=3', '/offset?offset=6&limit=3']);
});

test('header_cursor: the cursor comes from a response header', async () => {
  const { rows, requests } = await run({ path: '/header-cursor', paginate: { type: 'header_cursor', header: 'X-Next', param: 'after' } });
  assert.deepEqual(rows, rowsOf([1, 2, 3, 4, 5, 6, 7]));
  assert.deepEqual(requests, ['/header-cursor', '/header-cursor?after=3', '/header-cursor?after=6']);
});

test('header_link: rel="next" among several links, relative to the request, quoted params with commas', async () => {
  const { rows, requests } = await run({ path: '/link', paginate: { type: 'header_link' } });
  assert.deepEqual(rows, rowsOf([1, 2, 3, 4, 5, 6, 7]));
  assert.deepEqual(requests, ['/link', '/link?at=3', '/link?at=6']);
});

test('next_url: a relative next URL in the body', async () => {
  const { rows, requests } = await run({ path: '/next-url', records: 'items', paginate: { type: 'next_url', next_path: 'next' } });
  assert.deepEqual(rows, rowsOf([1, 2, 3, 4, 5, 6, 7]));
  assert.deepEqual(requests, ['/next-url', '/next-url?at=3', '/next-url?at=6']);
});

test('loop guard: a cursor that comes back (not just the previous one) fails naming the pages', async () => {
  const { result, requests } = await run({ path: '/cursor-cycle', records: 'data', paginate: { type: 'cursor', cursor_path: 'next' } });
  assert.ok(result instanceof FerryError && result.code === 'DATA');
  assert.equal(result.describe(), `GET ${api.url}/cursor-cycle?cursor=c2, page 3, field paginate: page 3 points to cursor "c1" again, which page 2 already fetched (cursor does not advance); stopping rather than looping`);
  assert.deepEqual(requests, ['/cursor-cycle', '/cursor-cycle?cursor=c1', '/cursor-cycle?cursor=c2']);
});

test('loop guard: a next URL that comes back (absolute, to the relative first path) fails naming the pages', async () => {
  const { result } = await run({ path: '/url-cycle?at=a', records: 'data', paginate: { type: 'next_url', next_path: 'next' } });
  assert.ok(result instanceof FerryError && result.code === 'DATA');
  assert.equal(result.describe(), `GET ${api.url}/url-cycle?at=b, page 2, field paginate: page 2 points to next URL ${api.url}/url-cycle?at=a again, which page 1 already fetched (next_url does not advance); stopping rather than looping`);
});

test('loop guard: an identical page (an API that ignores the page parameter) fails naming both pages', async () => {
  const { result, requests } = await run({ path: '/ignores-page', records: 'data', paginate: { type: 'page_number' } });
  assert.ok(result instanceof FerryError && result.code === 'DATA');
  assert.equal(result.describe(), `GET ${api.url}/ignores-page?page=2, page 2, field paginate: page 2 is identical to page 1 (same response body): the API ignores the paginator's parameters or repeats itself; stopping rather than loading duplicates`);
  assert.equal(requests.length, 2);
});

test('loop guard holds across a kill: the resumed attempt still knows page 2\'s cursor', async () => {
  const source = { path: '/cursor-cycle', records: 'data', paginate: { type: 'cursor', cursor_path: 'next' } };
  const first = await run(source, { killAfter: 'page-000002.state.json' });
  assert.ok(first.result instanceof Killed);
  const second = await run(source, { folder: first.folder });
  assert.deepEqual(second.requests, ['/cursor-cycle?cursor=c2'], 'pages 1 and 2 came from the checkpoint');
  assert.ok(second.result instanceof FerryError && second.result.code === 'DATA');
  assert.match(second.result.message, /^page 3 points to cursor "c1" again, which page 2 already fetched/);
});

test('request budget 1 over a 3-page API: 3 calls pending, the 4th stages every row exactly', async () => {
  const source = { path: '/offset', records: 'data', paginate: { type: 'offset', limit: 3 } };
  const folder = await tempDir();
  const seen: string[][] = [];
  for (let call = 1; call <= 3; call++) {
    const out = await run(source, { folder, budget: 1 });
    assert.deepEqual(out.result, { pending: true, detail: `GET /offset: 1 request this call, ${call} page${call === 1 ? '' : 's'} saved` }, `call ${call}`);
    seen.push(out.requests);
  }
  const last = await run(source, { folder, budget: 1 });
  seen.push(last.requests);
  assert.deepEqual(seen, [['/offset?offset=0&limit=3'], ['/offset?offset=3&limit=3'], ['/offset?offset=6&limit=3'], ['/offset?offset=7&limit=3']], 'one request per call, none twice');
  assert.deepEqual(last.result, { detail: 'GET /offset (4 pages, resumed after page 3)' });
  assert.deepEqual(last.rows, rowsOf([1, 2, 3, 4, 5, 6, 7]));
});

test('request budget larger than the pages: one call stages everything', async () => {
  const out = await run({ path: '/offset', records: 'data', paginate: { type: 'offset', limit: 3, total_path: 'total' } }, { budget: 3 });
  assert.deepEqual(out.result, { detail: 'GET /offset (3 pages)' });
  assert.deepEqual(out.rows, rowsOf([1, 2, 3, 4, 5, 6, 7]));
});

test('a pending call (request budget) restores no saved page, only the last state', async () => {
  const source = { path: '/offset', records: 'data', paginate: { type: 'offset', limit: 3 } };
  const folder = await tempDir();
  await run(source, { folder, budget: 1 });
  await run(source, { folder, budget: 1 });
  const restored: string[] = [];
  const third = await run(source, { folder, budget: 1, restored });
  assert.equal((third.result as { pending?: boolean }).pending, true);
  assert.deepEqual(restored, ['page-000002.state.json', 'page-000001.state.json'], 'the state, then the loop guard\'s memory of page 1');
});

test('the loop guard\'s memory is saved every 64 pages: a resume after page 66 reads one memory file and two states, and still knows page 3', async () => {
  const source = { path: '/long-cycle', records: 'data', paginate: { type: 'cursor', cursor_path: 'next' }, max_pages: 100 };
  const first = await run(source, { killAfter: 'page-000066.state.json' });
  assert.ok(first.result instanceof Killed);
  const restored: string[] = [];
  const second = await run(source, { folder: first.folder, restored });
  assert.deepEqual(restored.filter((n) => !n.endsWith('.ndjson')), ['page-000066.state.json', 'page-000064.memory.json', 'page-000065.state.json']);
  assert.equal(second.requests.length, 4, 'pages 67 to 70');
  assert.ok(second.result instanceof FerryError && second.result.code === 'DATA');
  assert.match(second.result.message, /^page 70 points to cursor "3" again, which page 3 already fetched/);
});
