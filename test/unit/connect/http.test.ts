/**
 * `httpJson` against a real node:http server on 127.0.0.1 (port 0), as undici tests its client.
 */
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpJson, buildUrl, retryAfterMs, atPath } from '../../../src/connect/http.js';
import { httpConnectionSchema, type HttpConnection } from '../../../src/connect/connections.js';
import { AuthError, DataError, FerryError, NotFoundError, TransientError } from '../../../src/errors.js';

type Seen = { method: string; url: string; headers: IncomingHttpHeaders; body: string };

let server: Server;
let baseUrl: string;
let seen: Seen[] = [];

/** Routes: the path (without query) decides the response. */
function respond(path: string, res: ServerResponse): void {
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  switch (path) {
    case '/api/customers': return json(200, { data: [{ id: 1 }, { id: 2 }], total_pages: 1 });
    case '/api/echo': return json(200, { ok: true });
    case '/api/empty': res.writeHead(204); res.end(); return;
    case '/api/unauthorized': return json(401, { error: 'bad token' });
    case '/api/forbidden': res.writeHead(403); res.end(); return;
    case '/api/missing': return json(404, { error: 'no such thing' });
    case '/api/unavailable': return json(503, { error: 'down' }, { 'retry-after': '7' });
    case '/api/throttled': res.writeHead(429, { 'retry-after': 'Wed, 21 Oct 2099 07:28:00 GMT' }); res.end(); return;
    case '/api/crash': res.writeHead(500); res.end('Internal\n  Server   Error'); return;
    case '/api/bad-request': return json(422, { error: 'amount must be a number' });
    case '/api/slow': return; // never answers: the client's timeout must fire
    case '/api/not-json': res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>oops</html>'); return;
    default: return json(599, { error: `no route ${path}` });
  }
}

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      respond(new URL(req.url ?? '/', 'http://x').pathname, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
});

const conn = (extra: Record<string, unknown> = {}): HttpConnection => httpConnectionSchema.parse({ type: 'http', base_url: `${baseUrl}/api`, ...extra });

async function failure(call: Promise<unknown>): Promise<FerryError> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof FerryError, `expected a FerryError, got ${String(err)}`);
    return err;
  }
  assert.fail('the call succeeded but should have failed');
}

describe('httpJson: requests', () => {
  it('GET with query, base path and bearer auth; returns status, headers, body and url', async () => {
    const res = await httpJson(conn({ auth: { type: 'bearer', token: 'tok-123' } }), { method: 'GET', path: '/customers', query: { page: 2, per_page: 4, skip: undefined } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { data: [{ id: 1 }, { id: 2 }], total_pages: 1 });
    assert.equal(res.url, `${baseUrl}/api/customers?page=2&per_page=4`);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.method, 'GET');
    assert.equal(seen[0]!.url, '/api/customers?page=2&per_page=4');
    assert.equal(seen[0]!.headers.authorization, 'Bearer tok-123');
    assert.equal(seen[0]!.headers.accept, 'application/json');
    assert.equal(seen[0]!.headers['content-type'], undefined);
    assert.equal(seen[0]!.body, '');
  });

  it('basic auth', async () => {
    await httpJson(conn({ auth: { type: 'basic', username: 'ann', password: 'p:ss' } }), { method: 'GET', path: 'echo' });
    assert.equal(seen[0]!.headers.authorization, `Basic ${Buffer.from('ann:p:ss').toString('base64')}`);
    assert.equal(seen[0]!.headers.authorization, 'Basic YW5uOnA6c3M=');
  });

  it('header auth, connection headers and call headers', async () => {
    await httpJson(conn({ auth: { type: 'header', name: 'X-API-Key', value: 'k-9' }, headers: { 'x-tenant': 'acme' } }), {
      method: 'GET', path: '/echo', headers: { 'x-request-id': 'r1' },
    });
    assert.equal(seen[0]!.headers['x-api-key'], 'k-9');
    assert.equal(seen[0]!.headers['x-tenant'], 'acme');
    assert.equal(seen[0]!.headers['x-request-id'], 'r1');
    assert.equal(seen[0]!.headers.authorization, undefined);
  });

  it('POST sends a JSON body with its content type', async () => {
    const res = await httpJson(conn(), { method: 'POST', path: '/echo', body: { records: [{ id: 1, name: 'é' }] } });
    assert.deepEqual(res.body, { ok: true });
    assert.equal(seen[0]!.method, 'POST');
    assert.equal(seen[0]!.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(seen[0]!.body), { records: [{ id: 1, name: 'é' }] });
  });

  it('an empty response body is null', async () => {
    const res = await httpJson(conn(), { method: 'PUT', path: '/empty', body: [] });
    assert.equal(res.status, 204);
    assert.equal(res.body, null);
  });

  it('an absolute URL (a next_url page) is used as is', async () => {
    const res = await httpJson(conn(), { method: 'GET', path: `${baseUrl}/api/customers?page=3` });
    assert.equal(res.url, `${baseUrl}/api/customers?page=3`);
    assert.equal(seen[0]!.url, '/api/customers?page=3');
  });
});

describe('httpJson: statuses become Ferry errors', () => {
  it('401 → AuthError with code AUTH, endpoint and body in the message', async () => {
    const err = await failure(httpJson(conn({ auth: { type: 'bearer', token: 'wrong' } }), { method: 'GET', path: '/unauthorized', query: { page: 1 }, context: { dataset: 'customers' } }));
    assert.ok(err instanceof AuthError);
    assert.equal(err.code, 'AUTH');
    assert.equal(err.retryable, false);
    assert.equal(err.message, 'HTTP 401 Unauthorized: {"error":"bad token"} (check the credentials of the connection)');
    assert.deepEqual(err.context, { endpoint: `GET ${baseUrl}/api/unauthorized`, dataset: 'customers' });
  });

  it('403 → AuthError', async () => {
    const err = await failure(httpJson(conn(), { method: 'GET', path: '/forbidden' }));
    assert.ok(err instanceof AuthError);
    assert.equal(err.message, 'HTTP 403 Forbidden (check the credentials of the connection)');
  });

  it('404 → NotFoundError with code NOT_FOUND', async () => {
    const err = await failure(httpJson(conn(), { method: 'GET', path: '/missing' }));
    assert.ok(err instanceof NotFoundError);
    assert.equal(err.code, 'NOT_FOUND');
    assert.equal(err.message, 'HTTP 404 Not Found: {"error":"no such thing"}');
    assert.deepEqual(err.context, { endpoint: `GET ${baseUrl}/api/missing` });
  });

  it('503 with Retry-After: 7 → TransientError with retryAfterMs 7000', async () => {
    const err = await failure(httpJson(conn(), { method: 'POST', path: '/unavailable', body: {} }));
    assert.ok(err instanceof TransientError);
    assert.equal(err.code, 'TRANSIENT');
    assert.equal(err.retryable, true);
    assert.equal(err.retryAfterMs, 7000);
    assert.equal(err.message, 'HTTP 503: {"error":"down"}');
    assert.deepEqual(err.context, { endpoint: `POST ${baseUrl}/api/unavailable` });
  });

  it('429 with an HTTP date in Retry-After → TransientError with a positive retry hint', async () => {
    const err = await failure(httpJson(conn(), { method: 'GET', path: '/throttled' }));
    assert.ok(err instanceof TransientError);
    assert.equal(err.message, 'HTTP 429');
    const expected = Date.parse('Wed, 21 Oct 2099 07:28:00 GMT') - Date.now();
    assert.ok(err.retryAfterMs !== undefined && Math.abs(err.retryAfterMs - expected) < 60_000, `retryAfterMs ${err.retryAfterMs}`);
  });

  it('500 without Retry-After → TransientError, whitespace of the body collapsed', async () => {
    const err = await failure(httpJson(conn(), { method: 'GET', path: '/crash' }));
    assert.ok(err instanceof TransientError);
    assert.equal(err.message, 'HTTP 500: Internal Server Error');
    assert.equal(err.retryAfterMs, undefined);
  });

  it('other 4xx → DataError', async () => {
    const err = await failure(httpJson(conn(), { method: 'POST', path: '/bad-request', body: { amount: 'x' } }));
    assert.ok(err instanceof DataError);
    assert.equal(err.message, 'HTTP 422: {"error":"amount must be a number"}');
  });

  it('invalid JSON → DataError showing how the body starts', async () => {
    const err = await failure(httpJson(conn(), { method: 'GET', path: '/not-json' }));
    assert.ok(err instanceof DataError);
    assert.equal(err.code, 'DATA');
    assert.match(err.message, /^response is not valid JSON \(.+\); starts with: "<html>oops<\/html>"$/);
    assert.deepEqual(err.context, { endpoint: `GET ${baseUrl}/api/not-json` });
  });

  it('no response within the connection timeout → TransientError', async () => {
    const err = await failure(httpJson(conn({ timeout: '200ms' }), { method: 'GET', path: '/slow' }));
    assert.ok(err instanceof TransientError);
    assert.match(err.message, /^request failed: .*[Tt]imeout/);
    assert.deepEqual(err.context, { endpoint: `GET ${baseUrl}/api/slow` });
  });

  it('a refused connection → TransientError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await failure(httpJson(httpConnectionSchema.parse({ type: 'http', base_url: `http://127.0.0.1:${port}` }), { method: 'GET', path: '/x' }));
    assert.ok(err instanceof TransientError);
    assert.match(err.message, /^request failed: /);
    assert.deepEqual(err.context, { endpoint: `GET http://127.0.0.1:${port}/x` });
  });
});

describe('buildUrl', () => {
  it('joins base URL and path with or without slashes, and sets the query', () => {
    const c = httpConnectionSchema.parse({ type: 'http', base_url: 'http://h:1/v1' });
    assert.equal(buildUrl(c, '/items').href, 'http://h:1/v1/items');
    assert.equal(buildUrl(c, 'items', { a: 1, b: 'x y', c: undefined }).href, 'http://h:1/v1/items?a=1&b=x+y');
    const slash = httpConnectionSchema.parse({ type: 'http', base_url: 'http://h:1/v1/' });
    assert.equal(buildUrl(slash, '/items').href, 'http://h:1/v1/items');
    assert.equal(buildUrl(slash, 'https://other/x?p=1', { q: 2 }).href, 'https://other/x?p=1&q=2');
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2024-01-05T10:00:00Z');
  const CASES: [string | undefined, number | undefined][] = [
    [undefined, undefined],
    ['', undefined],
    ['7', 7000],
    ['0', 0],
    ['1.5', 1500],
    ['-3', 0],
    ['Fri, 05 Jan 2024 10:00:30 GMT', 30_000],
    ['Fri, 05 Jan 2024 09:59:00 GMT', 0],
    ['soon', undefined],
  ];
  for (const [value, ms] of CASES) {
    it(`${JSON.stringify(value)} → ${ms}`, () => assert.equal(retryAfterMs(value, now), ms));
  }
});

describe('atPath', () => {
  const body = { data: { items: [{ id: 1 }], total: 0, none: null }, list: [10, 20] };
  const CASES: [string | undefined, unknown][] = [
    [undefined, body],
    ['', body],
    ['data.items', [{ id: 1 }]],
    ['data.total', 0],
    ['data.none', null],
    ['data.none.deeper', undefined],
    ['data.missing.deeper', undefined],
    ['list.1', 20],
    ['nope', undefined],
  ];
  for (const [path, value] of CASES) {
    it(`${JSON.stringify(path)}`, () => assert.deepEqual(atPath(body, path), value));
  }

  it('a scalar body has nothing below it', () => {
    assert.equal(atPath('text', 'a'), undefined);
    assert.equal(atPath(null, 'a'), undefined);
  });
});
