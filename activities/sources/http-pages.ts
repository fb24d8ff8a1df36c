/**
 * The http source's page loop: fetch, shape into NDJSON, save durably, ask the paginator for the
 * next request — for each parent row of a `for_each` (a single pseudo-parent otherwise).
 *
 * Durable state: every page is one step. Its NDJSON (and its children's) is saved to the
 * activity's checkpoint first, then `step-state` that points past it: the next request, the parent
 * index, counters, column stats and the fingerprints of this page's request and body (the loop
 * guard's memory). A new attempt restores the last state, the pages up to it and the fingerprints
 * of the current parent's pages, so a resume is page-exact: at most one page is fetched twice.
 *
 * Loop guard (per parent): a next request equal to ANY earlier request (a cursor or next URL that
 * comes back), or a page whose body is identical to an earlier page with records, is a DataError
 * naming the page and what repeated. Request budget: at most `budget` requests in this call; with
 * more to fetch the state is already saved, and the caller returns `{ pending: true }`.
 */
import { writeFile, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { buildUrl, httpText } from '../../src/connect/http.js';
import type { HttpConnection } from '../../src/connect/connections.js';
import { parseJsonText, nodeAt, toPlain, JsonSyntaxError, type JsonNode } from '../../src/connect/json-text.js';
import { pageToNdjson, mergeStats, NotObjectError, RecordShapeError, type NestedMode, type StatsMap } from '../../src/connect/json-records.js';
import { firstPage, nextPage, describeRequest, type PageRequest, type PaginateSpec } from '../../src/connect/paginators.js';
import { DataError, type ErrorContext } from '../../src/errors.js';
import { maskUrl } from '../../src/pipeline/secrets.js';
import type { Checkpoint, SourceContext } from '../adapter.js';
import { appendedValues, substitute, type ForEach, type Parents } from './http-for-each.js';

export type PageLoopSpec = {
  path: string;
  query: Record<string, string | number>;
  records?: string;
  paginate: PaginateSpec;
  max_pages: number;
  nested?: NestedMode;
  for_each?: ForEach;
  children: { field: string; key: string; keyColumn: string }[];
};

/** What a new attempt needs to continue after a step; saved durably beside the step's pages. */
export type PageState = {
  step: number;
  /** Index of the parent row being paged, and the pages fetched for it so far. */
  parent: number;
  page: number;
  rows: number;
  /** The next request for this parent; null: this parent is done. */
  next: PageRequest | null;
  stats: StatsMap;
  childStats: StatsMap[];
  /** This step's fingerprints (request, and body when it had records) and the step its parent began at. */
  fp: { parent: number; page: number; request: string; body?: string; since: number };
};

export type PageFiles = { files: string[]; childFiles: string[][] };
export type LoopResult = PageFiles & { state: PageState; resumedAt: number; pending: boolean; requests: number };

const RESTORE_CONCURRENCY = 8;
const pad = (n: number) => String(n).padStart(6, '0');
const dataName = (step: number) => `page-${pad(step)}.ndjson`;
const childName = (step: number, child: number) => `page-${pad(step)}.child-${child}.ndjson`;
const stateName = (step: number) => `page-${pad(step)}.state.json`;
const memoryName = (step: number) => `page-${pad(step)}.memory.json`;
/** Every this many pages of a parent, the loop guard's whole memory is saved in one file, so a resume reads at most this many states. */
const MEMORY_EVERY = 64;

const fingerprint = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 16);
/** A request as the absolute URL it goes to (a relative first path and an absolute next link compare equal), query order aside. */
function requestKey(conn: HttpConnection, r: PageRequest): string {
  let url: URL | undefined;
  try {
    url = buildUrl(conn, r.path, r.query);
  } catch { /* compared as written */ }
  const query = url ? [...url.searchParams.entries()] : Object.entries(r.query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]);
  return fingerprint(JSON.stringify([url ? `${url.origin}${url.pathname}` : r.path, query.sort()]));
}

type Memory = { requests: Map<string, number>; bodies: Map<string, number> };

export async function runPages(spec: PageLoopSpec, conn: HttpConnection, ctx: SourceContext, parents: Parents): Promise<LoopResult> {
  const base: PageRequest = { path: spec.path, query: spec.query };
  const firstFor = (parent: number) => firstPage(spec.paginate, substitute(base, spec.for_each, parents.rows[parent]!));
  const saved = await restore(ctx.checkpoint, spec.children.length);
  const start = (): PageState => ({
    step: 0, parent: 0, page: 0, rows: 0, next: parents.rows.length ? firstFor(0) : null, stats: {}, childStats: spec.children.map(() => ({})),
    fp: { parent: 0, page: 0, request: '', since: 1 },
  });
  let state = saved?.state ?? start();
  // Pages saved by earlier attempts are restored only to load them: a call that ends pending (request budget) needs none.
  const files: string[] = [];
  const childFiles: string[][] = spec.children.map(() => []);
  const memory: Memory = saved?.memory ?? { requests: new Map(), bodies: new Map() };
  const resumedAt = state.step;
  let since = saved ? (state.fp.parent === state.parent ? state.fp.since : state.step + 1) : 1;
  let requests = 0;

  for (;;) {
    if (!state.next) {
      if (state.parent + 1 >= parents.rows.length) break;
      const parent = state.parent + 1;
      state = { ...state, parent, page: 0, next: firstFor(parent) };
      memory.requests.clear();
      memory.bodies.clear();
      since = state.step + 1;
    }
    const request = state.next!;
    if (state.page >= spec.max_pages) {
      // Stopping quietly would deliver a partial dataset as if it were whole. The page named is the one beyond the limit (its request).
      throw new DataError(`the API has more than max_pages = ${spec.max_pages} pages; raise max_pages or narrow the query`, { endpoint: `GET ${maskUrl(request.path)}`, page: state.page + 1, field: 'max_pages' });
    }
    if (ctx.requestBudget !== undefined && requests >= ctx.requestBudget) return { state, files: [], childFiles: [], resumedAt, pending: true, requests };
    const step = state.step + 1;
    const page = state.page + 1;
    const at: ErrorContext = { page, ...(spec.for_each ? { field: `for_each (parent row ${state.parent + 1})` } : {}) };
    const res = await httpText(conn, { method: 'GET', path: request.path, query: request.query, context: at, signal: ctx.signal });
    requests++;
    const where: ErrorContext = { endpoint: `GET ${res.url}`, page };
    const doc = parseBody(res.text, where);
    const records = nodeAt(doc, spec.records);
    if (records?.kind !== 'array') {
      throw new DataError(`expected an array of records at '${spec.records ?? '(the body)'}', found ${records ? records.kind : 'nothing'}`, { ...where, field: spec.records });
    }
    const pageStats: StatsMap = {};
    const children = spec.children.map((c) => ({ ...c, stats: {} as StatsMap }));
    let shaped: { lines: string[]; children: string[][] };
    try {
      shaped = pageToNdjson(records, spec.nested ?? 'json', pageStats, { append: appendedValues(parents, parents.rows[state.parent]!), children });
    } catch (err) {
      if (err instanceof NotObjectError) throw new DataError(`records must be JSON objects: ${err.message}`, { ...where, field: spec.records });
      if (err instanceof RecordShapeError) throw new DataError(err.message, { ...where, field: err.field });
      throw err;
    }
    let url: string | undefined;
    try {
      url = buildUrl(conn, request.path, request.query).href;
    } catch { /* httpText accepted it; a relative link is then taken as it is */ }
    const next = nextPage(spec.paginate, request, { valueAt: (path) => toPlain(nodeAt(doc, path)), count: shaped.lines.length, headers: res.headers, page, url });
    const fp: PageState['fp'] = { parent: state.parent, page, request: requestKey(conn, request), since, ...(shaped.lines.length ? { body: fingerprint(res.text) } : {}) };
    memory.requests.set(fp.request, page);
    guardLoop(spec.paginate, next && requestKey(conn, next), next, fp, memory, where);
    if (fp.body) memory.bodies.set(fp.body, page);

    if (shaped.lines.length) {
      const file = join(ctx.workdir, dataName(step));
      await writeFile(file, `${shaped.lines.join('\n')}\n`);
      await ctx.checkpoint.save(dataName(step), file);
      files.push(file);
    }
    for (const [c, lines] of shaped.children.entries()) {
      if (!lines.length) continue;
      const file = join(ctx.workdir, childName(step, c));
      await writeFile(file, `${lines.join('\n')}\n`);
      await ctx.checkpoint.save(childName(step, c), file);
      childFiles[c]!.push(file);
    }
    state = {
      step, parent: state.parent, page, rows: state.rows + shaped.lines.length, next,
      stats: mergeStats(state.stats, pageStats), childStats: state.childStats.map((s, c) => mergeStats(s, children[c]!.stats)), fp,
    };
    // The pages are durable first, then the state that points past them: a kill between the two costs one refetch.
    const stateFile = join(ctx.workdir, stateName(step));
    await writeFile(stateFile, JSON.stringify(state));
    await ctx.checkpoint.save(stateName(step), stateFile);
    if (page % MEMORY_EVERY === 0) {
      const memoryFile = join(ctx.workdir, memoryName(step));
      await writeFile(memoryFile, JSON.stringify({ parent: state.parent, requests: [...memory.requests], bodies: [...memory.bodies] }));
      await ctx.checkpoint.save(memoryName(step), memoryFile);
    }
    ctx.progress({ page: step, rows: state.rows });
  }
  const earlier = saved ? await saved.pages() : { files: [], childFiles: spec.children.map(() => []) };
  return { state, files: [...earlier.files, ...files], childFiles: earlier.childFiles.map((f, c) => [...f, ...childFiles[c]!]), resumedAt, pending: false, requests };
}

/** A next request seen before, or a body seen before: the API is going round in circles. */
function guardLoop(paginate: PaginateSpec, nextKey: string | null, next: PageRequest | null, fp: PageState['fp'], memory: Memory, where: ErrorContext): void {
  if (next && nextKey) {
    const earlier = memory.requests.get(nextKey);
    if (earlier !== undefined) {
      const what = maskUrl(describeRequest(paginate, next));
      throw new DataError(`page ${fp.page} points to ${what} again, which page ${earlier} already fetched (${paginate.type} does not advance); stopping rather than looping`, { ...where, field: 'paginate' });
    }
  }
  if (fp.body) {
    const earlier = memory.bodies.get(fp.body);
    if (earlier !== undefined) {
      throw new DataError(`page ${fp.page} is identical to page ${earlier} (same response body): the API ignores the paginator's parameters or repeats itself; stopping rather than loading duplicates`, { ...where, field: 'paginate' });
    }
  }
}

function parseBody(text: string, where: ErrorContext): JsonNode {
  try {
    return parseJsonText(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    throw new DataError(`response is not valid JSON (${err.message}); starts with: ${JSON.stringify(text.slice(0, 80))}`, where);
  }
}

/**
 * The last step whose state was saved and the loop guard's memory of the current parent (its last
 * memory file, then the states after it); `pages()` restores the files of the pages up to that step
 * (8 at a time), for the final load.
 */
async function restore(checkpoint: Checkpoint, childCount: number): Promise<{ state: PageState; memory: Memory; pages(): Promise<PageFiles> } | undefined> {
  const names = await checkpoint.list();
  const parsed = names.map((n) => /^page-(\d+)(?:\.child-(\d+))?\.(ndjson|state\.json|memory\.json)$/.exec(n)).filter((m) => m !== null);
  const stepsOf = (kind: string) => parsed.filter((m) => m[3] === kind).map((m) => Number(m[1]));
  const states = stepsOf('state.json');
  const last = Math.max(0, ...states);
  if (!last) return undefined;
  const readJson = async <T>(name: string) => JSON.parse(await readFile(await checkpoint.restore(name), 'utf8')) as T;
  const state = await readJson<PageState>(stateName(last));
  const memory: Memory = { requests: new Map(), bodies: new Map() };
  if (state.fp.parent === state.parent) {
    const snapshot = Math.max(0, ...stepsOf('memory.json').filter((s) => s >= state.fp.since && s <= last));
    if (snapshot) {
      const saved = await readJson<{ requests: [string, number][]; bodies: [string, number][] }>(memoryName(snapshot));
      saved.requests.forEach(([k, v]) => memory.requests.set(k, v));
      saved.bodies.forEach(([k, v]) => memory.bodies.set(k, v));
    }
    const own = states.filter((s) => s >= Math.max(state.fp.since, snapshot + 1) && s <= last).sort((a, b) => a - b);
    for (const s of await mapLimit(own, RESTORE_CONCURRENCY, (step) => (step === last ? Promise.resolve(state) : readJson<PageState>(stateName(step))))) {
      memory.requests.set(s.fp.request, s.fp.page);
      if (s.fp.body) memory.bodies.set(s.fp.body, s.fp.page);
    }
  }
  const pages = async (): Promise<PageFiles> => {
    // A page saved after the last state belongs to a fetch that did not finish: it was fetched again.
    const upTo = parsed.filter((m) => m[3] === 'ndjson' && Number(m[1]) <= last).sort((a, b) => Number(a[1]) - Number(b[1]));
    const restored = await mapLimit(upTo, RESTORE_CONCURRENCY, (m) => checkpoint.restore(m[0]));
    const files: string[] = [];
    const childFiles: string[][] = Array.from({ length: childCount }, () => []);
    upTo.forEach((m, i) => (m[2] === undefined ? files : childFiles[Number(m[2])])?.push(restored[i]!));
    return { files, childFiles };
  };
  return { state, memory, pages };
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
