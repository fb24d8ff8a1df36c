/**
 * A small HTTP receiver for sink tests: accepts `{"records": […]}` batches keyed by Idempotency-Key
 * (a key seen before is acknowledged and dropped), counts every request, and can be told to
 * answer a given batch with an error, or to be slow.
 *
 *   const r = await startReceiver();
 *   r.failBatch = (key) => key.endsWith('-2') ? 400 : undefined;
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Receiver = {
  url: string;
  /** Accepted batches, one per key, in arrival order. */
  received: { key: string; records: Record<string, unknown>[] }[];
  /** Every request seen (GETs and POSTs), replays included. */
  requests: number;
  /** Status to answer a POST with instead of accepting it (undefined: accept). */
  failBatch: (key: string) => number | undefined;
  /** Milliseconds every GET waits before it answers. */
  getDelayMs: number;
  close(): Promise<void>;
};

export async function startReceiver(): Promise<Receiver> {
  const r: Receiver = { url: '', received: [], requests: 0, failBatch: () => undefined, getDelayMs: 0, close: async () => undefined };
  const server = createServer(async (req, res) => {
    r.requests += 1;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET') {
      // An endless paginated list: page n has two records and always a next page.
      await new Promise((resolve) => setTimeout(resolve, r.getDelayMs));
      const page = Number(url.searchParams.get('page') ?? 1);
      return send(200, { data: [{ id: page * 2 - 1 }, { id: page * 2 }], page, total_pages: 1_000_000 });
    }
    const key = String(req.headers['idempotency-key'] ?? '');
    const status = r.failBatch(key);
    if (status) return send(status, { error: `batch ${key} refused` });
    if (!r.received.some((b) => b.key === key)) r.received.push({ key, records: (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { records: Record<string, unknown>[] }).records });
    return send(201, { ok: true });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  r.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return r;
}
