/**
 * The retail example's demo API: customers (paginated) and exchange rates behind a bearer token,
 * and an /ingest receiver that honours Idempotency-Key. Tests start it in-process; the example
 * script runs it as a process:
 *
 *   DEMO_API_TOKEN=secret node --import tsx examples/retail/api.ts     # listens on 127.0.0.1:8787
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

const data = (name: string): unknown => JSON.parse(readFileSync(new URL(`./data/${name}`, import.meta.url), 'utf8'));

export type DemoApiOptions = {
  token: string;
  port?: number;
  /** Milliseconds /ingest waits before acknowledging a batch (lets tests kill a worker mid-delivery). */
  ingestDelayMs?: number;
  /** Milliseconds /customers waits before answering. */
  customersDelayMs?: number;
};

export type Received = { key: string; records: Record<string, unknown>[] };

export type DemoApi = {
  url: string;
  /** Accepted batches, one per Idempotency-Key, in arrival order. */
  received: Received[];
  /** Every POST seen, including replays of a key already accepted. */
  posts: number;
  /** Milliseconds /customers waits before answering (tests change it between runs). */
  customersDelayMs: number;
  close(): Promise<void>;
};

export async function startDemoApi(options: DemoApiOptions): Promise<DemoApi> {
  const customers = data('customers.json') as unknown[];
  const rates = data('rates.json');
  const state: DemoApi = { url: '', received: [], posts: 0, customersDelayMs: options.customersDelayMs ?? 0, close: async () => undefined };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const wait = (ms = 0) => new Promise((r) => setTimeout(r, ms));

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.headers.authorization !== `Bearer ${options.token}`) return send(res, 401, { error: 'invalid or missing bearer token' });
    if (req.method === 'GET' && url.pathname === '/customers') {
      await wait(state.customersDelayMs);
      const page = Number(url.searchParams.get('page') ?? 1);
      const perPage = Number(url.searchParams.get('per_page') ?? 4);
      const totalPages = Math.ceil(customers.length / perPage);
      return send(res, 200, { data: customers.slice((page - 1) * perPage, page * perPage), page, total_pages: totalPages });
    }
    if (req.method === 'GET' && url.pathname === '/rates') return send(res, 200, rates);
    if (req.method === 'POST' && url.pathname === '/ingest') {
      const key = String(req.headers['idempotency-key'] ?? '');
      let body: { records?: Record<string, unknown>[] };
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        return send(res, 400, { error: 'body is not JSON' });
      }
      if (!Array.isArray(body.records)) return send(res, 400, { error: 'expected {"records": [...]}' });
      state.posts += 1;
      await wait(options.ingestDelayMs);
      if (key && state.received.some((r) => r.key === key)) return send(res, 200, { accepted: 0, duplicate: true });
      state.received.push({ key, records: body.records });
      return send(res, 201, { accepted: body.records.length });
    }
    if (req.method === 'GET' && url.pathname === '/ingest/received') return send(res, 200, state.received);
    return send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return state;
}

// Run as a process: `node --import tsx examples/retail/api.ts`
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/examples\//, '/examples/'))) {
  const token = process.env.DEMO_API_TOKEN;
  if (!token) {
    process.stderr.write('DEMO_API_TOKEN must be set\n');
    process.exit(2);
  }
  const api = await startDemoApi({
    token,
    port: Number(process.env.DEMO_API_PORT ?? 8787),
    ingestDelayMs: Number(process.env.DEMO_INGEST_DELAY_MS ?? 0),
  });
  process.stdout.write(`demo API listening on ${api.url}\n`);
  const stop = () => void api.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
