/**
 * `ferry serve`: Node's http server (no framework), read-only. Pages: the index (pipelines and the
 * run list), a pipeline (graph and latest run), a run (updated live while it goes). JSON:
 * /api/pipelines, /api/pipelines/<name>, /api/runs (?pipeline=&status=&since=&trigger=&limit=), /api/runs/<id>.
 * It binds to loopback by default and then answers only requests addressed to a loopback name (a web
 * page elsewhere cannot reach it through DNS rebinding). Nothing it sends holds a secret: configs
 * carry `${env:…}` references, never their values.
 *
 *   const server = await startVizServer({ dir: 'config/pipelines', host: '127.0.0.1', port: 4141, connect });
 *   … await server.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { listRuns, listing, RUN_STATUSES, type RunFilter } from '../runs.js';
import { parseSince, parseStatus, parseTrigger } from '../run-filter.js';
import { RUN_TRIGGERS } from '../run.js';
import { FerryError, NotFoundError } from '../errors.js';
import { rootMessage } from '../cli/render.js';
import { readCatalog, type CatalogEntry } from './catalog.js';
import { pipelineGraph } from './model.js';
import { vizPage, CSP, type PageInput } from './page.js';
import { pipelineView, tryConnect } from './view.js';
import { readRunView, pipelineOfRun } from './read.js';
import type { LoadedPipeline } from '../pipeline/load.js';
import { noSuchRun } from '../runs.js';

export type ServeOptions = { dir: string; host: string; port: number; connect: () => Promise<Client> };
export type VizServer = { url: string; close: () => Promise<void> };

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export async function startVizServer(options: ServeOptions): Promise<VizServer> {
  let client: Promise<Client> | undefined;
  /** One client for the server's life; a failed connect is tried again on the next request. */
  const temporal = async (): Promise<Client | { unreachable: string }> => {
    client ??= options.connect();
    const c = await tryConnect(() => client!);
    if ('unreachable' in c) client = undefined;
    return c;
  };
  const needTemporal = async (): Promise<Client> => {
    const c = await temporal();
    if ('unreachable' in c) throw new HttpError(503, `Temporal is not reachable: ${c.unreachable}`);
    return c;
  };
  const pipelineOf = async (name: string): Promise<CatalogEntry & { loaded: NonNullable<CatalogEntry['loaded']> }> => {
    const entry = (await readCatalog(options.dir)).find((p) => p.name === name);
    if (!entry) throw new NotFoundError(`no pipeline ${name} in ${options.dir}`);
    if (!entry.loaded) throw new HttpError(422, `pipeline ${name} is not valid:\n${entry.error}`);
    return entry as CatalogEntry & { loaded: NonNullable<CatalogEntry['loaded']> };
  };
  /** The pipeline a run is drawn with: its own plan (what ran), else its pipeline's file in the folder. */
  const plans = new Map<string, LoadedPipeline>(); // a run's plan never changes: a live page reads it once
  const pipelineForRun = async (c: Client, id: string): Promise<LoadedPipeline | undefined> => {
    const known = plans.get(id);
    if (known) return known;
    const ran = await pipelineOfRun(c, id);
    if (ran) {
      try {
        pipelineGraph(ran); // a plan recorded by an older Ferry may not draw
        if (plans.size >= 200) plans.delete(plans.keys().next().value!);
        plans.set(id, ran);
        return ran;
      } catch { /* fall back to the folder */ }
    }
    const desc = await c.workflow.getHandle(id).describe().catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) throw noSuchRun(id);
      throw err;
    });
    const pipeline = listing(desc).pipeline;
    return pipeline ? (await readCatalog(options.dir)).find((p) => p.name === pipeline)?.loaded : undefined;
  };

  const api = async (path: string[], query: URLSearchParams): Promise<unknown> => {
    if (path[0] === 'pipelines' && path.length === 1) {
      return { pipelines: (await readCatalog(options.dir)).map((p) => {
        const graph = p.loaded && pipelineGraph(p.loaded);
        return { name: p.name, file: p.file, ...(p.description ? { description: p.description } : {}), ...(graph ? { nodes: graph.nodes.length, edges: graph.edges.length } : { error: p.error }) };
      }) };
    }
    if (path[0] === 'pipelines' && path.length === 2) return pipelineGraph((await pipelineOf(path[1]!)).loaded);
    if (path[0] === 'runs' && path.length === 1) {
      const filter = runFilter(query);
      return { runs: await listRuns(await needTemporal(), filter) };
    }
    if (path[0] === 'runs' && path.length === 2) {
      const c = await needTemporal();
      const id = path[1]!;
      const ran = await pipelineForRun(c, id);
      return readRunView(c, ran ? pipelineGraph(ran) : { pipeline: '', file: '', nodes: [], edges: [] }, id);
    }
    throw new NotFoundError(`no API route /api/${path.join('/')}`);
  };

  const page = async (path: string[]): Promise<PageInput> => {
    if (path.length === 0) {
      const catalog = await readCatalog(options.dir);
      const c = await temporal();
      const pipelines = catalog.map(({ name, file, description, error }) => ({ name, file, ...(description ? { description } : {}), ...(error ? { error } : {}) }));
      if ('unreachable' in c) return { title: 'Pipelines', pipelines, notice: `Temporal is not reachable (${c.unreachable}): no run list.` };
      return { title: 'Pipelines', pipelines, runs: await listRuns(c, { limit: 50 }) };
    }
    if (path[0] === 'pipelines' && path.length === 2) {
      const entry = await pipelineOf(path[1]!);
      const c = await temporal();
      const view = await pipelineView(entry.loaded, { client: c });
      const runs = 'unreachable' in c ? undefined : await listRuns(c, { pipeline: entry.name, limit: 20 });
      return { ...view, ...(runs ? { runs } : {}), ...(view.run?.status === 'running' || view.run?.status === 'waiting' ? { liveApi: `/api/runs/${encodeURIComponent(view.run.workflowId)}` } : {}) };
    }
    if (path[0] === 'runs' && path.length === 2) {
      const c = await needTemporal();
      const id = path[1]!;
      const ran = await pipelineForRun(c, id);
      if (!ran) throw new NotFoundError(`run ${id}: no pipeline plan in its history, and its pipeline is not in ${options.dir}`);
      const view = await pipelineView(ran, { client: c, runId: id });
      return { ...view, title: `${ran.spec.name} · ${id}`, liveApi: `/api/runs/${encodeURIComponent(id)}` };
    }
    throw new NotFoundError(`no page ${'/' + path.join('/')}`);
  };

  const allowedHost = (req: IncomingMessage): boolean => {
    if (!LOOPBACK.has(options.host)) return true;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    return LOOPBACK.has(host);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const segments = url.pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    const isApi = segments[0] === 'api';
    try {
      if (!allowedHost(req)) throw new HttpError(403, 'this server answers requests to a loopback address only');
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${req.method} is not allowed: this server is read-only`);
      if (isApi) return send(res, 200, 'application/json', JSON.stringify(await api(segments.slice(1), url.searchParams)));
      if (segments[0] === 'favicon.ico') return send(res, 204, 'text/plain', '');
      send(res, 200, 'text/html', vizPage({ ...(await page(segments)), nav: true, generatedAt: new Date().toISOString() }));
    } catch (err) {
      const status = err instanceof HttpError ? err.status : err instanceof NotFoundError ? 404 : err instanceof FerryError && err.code === 'CONFIG' ? 400 : 500;
      const message = err instanceof FerryError ? err.describe() : err instanceof HttpError ? err.message : rootMessage(err);
      if (isApi || status === 403) send(res, status, 'application/json', JSON.stringify({ error: message, status }));
      else send(res, status, 'text/html', errorPage(status, message));
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (client) await client.then((c) => c.connection.close(), () => undefined);
    },
  };
}

/**
 * `?pipeline=&status=&since=&trigger=&limit=`, the filters of `ferry runs` with its spellings
 * (`canceled`, `timed-out` too), checked: a bad value, or a parameter that is no filter, is a 400
 * (an ignored filter would answer with runs it was meant to leave out).
 */
export function runFilter(query: URLSearchParams): RunFilter {
  const filter: RunFilter = {};
  for (const key of query.keys()) {
    if (!RUN_PARAMS.includes(key)) throw new HttpError(400, `unknown parameter ${key}: /api/runs takes ${RUN_PARAMS.join(', ')}`);
  }
  const pipeline = query.get('pipeline');
  if (pipeline) filter.pipeline = pipeline;
  const status = query.get('status');
  if (status) {
    const parsed = parseStatus(status);
    if (!parsed) throw new HttpError(400, `status must be one of ${RUN_STATUSES.join(', ')}; got ${status}`);
    filter.status = parsed;
  }
  const since = query.get('since');
  if (since) {
    const parsed = parseSince(since);
    if (!parsed) throw new HttpError(400, `since must be a duration such as 30m, 2h or 7d, or a date such as 2024-01-05 or 2024-01-05T06:00:00Z; got ${since}`);
    filter.since = parsed;
  }
  const trigger = query.get('trigger');
  if (trigger) {
    const parsed = parseTrigger(trigger);
    if (!parsed) throw new HttpError(400, `trigger must be one of ${RUN_TRIGGERS.join(', ')}; got ${trigger}`);
    filter.trigger = parsed;
  }
  const limit = query.get('limit');
  if (limit !== null) {
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw new HttpError(400, `limit must be a whole number from 1 to 1000; got ${limit}`);
    filter.limit = Number(limit);
  }
  return filter;
}

const RUN_PARAMS = ['pipeline', 'status', 'since', 'trigger', 'limit'];

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': `${type}; charset=utf-8`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...(type === 'text/html' ? { 'content-security-policy': CSP, 'x-frame-options': 'DENY' } : {}),
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function errorPage(status: number, message: string): string {
  return vizPage({ title: `${status}`, notice: message, nav: true }).replace('<footer>', '<p class="list"><a href="/">all pipelines</a></p><footer>');
}
