/**
 * `httpJson` against a real node:http server on 127.0.0.1 (port 0), as undici tests its client.
 */
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpJson, httpText, buildUrl, retryAfterMs, atPath, classifyStatus } from '../../../src/connect/http.js';
import { connectionSchema, resolveConnection, type HttpConnection } from '../../../src/connect/connections.js';
import { AuthError, ConfigError, DataError, FerryError, NotFoundError, TransientError, type ErrorCode } from '../../../src/errors.js';

type Seen = { method: string; url: string; headers: IncomingHttpHeaders; body: string };

let server: Server;
let baseUrl: string;
let seen: Seen[] = [];

/** Routes: the path (without query) decides the response. */
function respond(path: string, res: ServerResponse, seen: Seen): void {
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
    case '/api/loop-a': res.writeHead(302, { location: '/api/loop-b' }); res.end(); return;
    case '/api/loop-b': res.writeHead(302, { location: `${baseUrl}/api/loop-a` }); res.end(); return;
    case '/api/moved': res.writeHead(301, { location: '/api/customers?page=9' }); res.end(); return;
    case '/api/elsewhere': res.writeHead(302, { location: `${otherUrl}/landing?x=1` }); res.end(); return;
    case '/api/temporary': res.writeHead(307, { location: '/api/echo' }); res.end(); return;
    case '/api/no-location': res.writeHead(302); res.end(); return;
    case '/api/echo-secret': return json(400, { error: `bad request ${seen.headers.authorization ?? ''} ${new URL(seen.url, 'http://x').searchParams.get('api_key') ?? ''}` });
    default: return json(599, { error: `no route ${path}` });
  }
}

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      respond(new URL(req.url ?? '/', 'http://x').pathname, res, seen.at(-1)!);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

/** Another origin: what it receives proves which credentials leave the connection's own host. */
let other: Server;
let otherUrl: string;
let otherSeen: Seen[] = [];

before(async () => {
  other = createServer((req, res) => {
    otherSeen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"next":null,"data":[{"id":7}]}');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
});

after(async () => {
  other.closeAllConnections();
  await new Promise<void>((resolve) => other.close(() => resolve()));
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
  otherSeen = [];
});

/** A connection as an activity sees it: parsed from config (secrets as ${env:…}), then resolved with `env`. */
function httpConn(raw: Record<string, unknown>, env: Record<string, string> = {}): HttpConnection {
  return resolveConnection({ api: connectionSchema.parse({ type: 'http', ...raw }) }, 'api', 'http', env);
}
const conn = (extra: Record<string, unknown> = {}, env: Record<string, string> = {}): HttpConnection => httpConn({ base_url: `${baseUrl}/api`, ...extra }, env);

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
    const res = await httpJson(conn({ auth: { type: 'bearer', token: '${env:T}' } }, { T: 'tok-123' }), { method: 'GET', path: '/customers', query: { page: 2, per_page: 4, skip: undefined } });
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
    await httpJson(conn({ auth: { type: 'basic', username: 'ann', password: '${env:P}' } }, { P: 'p:ss' }), { method: 'GET', path: 'echo' });
    assert.equal(seen[0]!.headers.authorization, `Basic ${Buffer.from('ann:p:ss').toString('base64')}`);
    assert.equal(seen[0]!.headers.authorization, 'Basic YW5uOnA6c3M=');
  });

  it('header auth, connection headers and call headers', async () => {
    await httpJson(conn({ auth: { type: 'header', name: 'X-API-Key', value: '${env:K}' }, headers: { 'x-tenant': 'acme' } }, { K: 'k-9' }), {
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
    const err = await failure(httpJson(conn({ auth: { type: 'bearer', token: '${env:T}' } }, { T: 'wrong' }), { method: 'GET', path: '/unauthorized', query: { page: 1 }, context: { dataset: 'customers' } }));
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
    const err = await failure(httpJson(httpConn({ base_url: `http://127.0.0.1:${port}` }), { method: 'GET', path: '/x' }));
    assert.ok(err instanceof TransientError);
    assert.match(err.message, /^request failed: /);
    assert.deepEqual(err.context, { endpoint: `GET http://127.0.0.1:${port}/x` });
  });
});

describe('buildUrl', () => {
  it('joins base URL and path with or without slashes, and sets the query', () => {
    const c = httpConn({ base_url: 'http://h:1/v1' });
    assert.equal(buildUrl(c, '/items').href, 'http://h:1/v1/items');
    assert.equal(buildUrl(c, 'items', { a: 1, b: 'x y', c: undefined }).href, 'http://h:1/v1/items?a=1&b=x+y');
    const slash = httpConn({ base_url: 'http://h:1/v1/' });
    assert.equal(buildUrl(slash, '/items').href, 'http://h:1/v1/items');
    assert.equal(buildUrl(slash, 'https://other/x?p=1', { q: 2 }).href, 'https://other/x?p=1&q=2');
  });

  it('keeps base_url\'s own query (a webhook signature) on every path, unchanged; path / is base_url as written', () => {
    const hook = httpConn({ base_url: 'http://h:1/hooks/T0?sig=a%2Fb%3D' });
    assert.equal(buildUrl(hook, '/').href, 'http://h:1/hooks/T0?sig=a%2Fb%3D');
    assert.equal(buildUrl(hook, '').href, 'http://h:1/hooks/T0?sig=a%2Fb%3D');
    assert.equal(buildUrl(hook, '/ingest').href, 'http://h:1/hooks/T0/ingest?sig=a%2Fb%3D');
    assert.equal(buildUrl(hook, '/ingest?v=2').href, 'http://h:1/hooks/T0/ingest?sig=a%2Fb%3D&v=2');
    assert.equal(buildUrl(hook, '/ingest', { page: 3 }).searchParams.toString(), 'sig=a%2Fb%3D&page=3');
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

describe('classifyStatus: one classifier for every HTTP status', () => {
  const CASES: [number, Record<string, string>, ErrorCode, number | undefined][] = [
    [401, {}, 'AUTH', undefined],
    [403, {}, 'AUTH', undefined],
    [404, {}, 'NOT_FOUND', undefined],
    [408, {}, 'TRANSIENT', undefined],
    [429, { 'retry-after': '3' }, 'TRANSIENT', 3000],
    [500, {}, 'TRANSIENT', undefined],
    [502, { 'retry-after': '0' }, 'TRANSIENT', 0],
    [503, { 'retry-after': '120' }, 'TRANSIENT', 120_000],
    [504, {}, 'TRANSIENT', undefined],
    [400, {}, 'DATA', undefined],
    [409, {}, 'DATA', undefined],
    [410, {}, 'DATA', undefined],
    [422, { 'retry-after': '5' }, 'DATA', undefined],
    [304, {}, 'DATA', undefined],
  ];
  for (const [status, headers, code, retry] of CASES) {
    it(`${status} → ${code}${retry !== undefined ? ` retrying after ${retry} ms` : ''}`, () => {
      const err = classifyStatus(status, headers, '{"error": "why"}', { endpoint: 'GET http://h/x' });
      assert.equal(err.code, code);
      assert.equal(err.retryable, code === 'TRANSIENT');
      assert.equal(err.retryAfterMs, code === 'TRANSIENT' ? retry : undefined);
      assert.ok(err.message.startsWith(`HTTP ${status}`), err.message);
      assert.ok(err.message.includes('{"error": "why"}'), 'the body is in the message');
      assert.deepEqual(err.context, { endpoint: 'GET http://h/x' });
    });
  }

  it('a long body is cut after 300 characters', () => {
    assert.equal(classifyStatus(400, {}, 'x'.repeat(400), {}).message, `HTTP 400: ${'x'.repeat(300)}…`);
  });
});

describe('httpText: URLs, redirects and where credentials go', () => {
  it('an invalid base_url is a CONFIG error at once, without a request', async () => {
    const err = await failure(httpText(httpConn({ base_url: 'api.example.com/v1' }), { method: 'GET', path: '/x' }));
    assert.ok(err instanceof ConfigError);
    assert.equal(err.retryable, false);
    assert.equal(err.message, 'Invalid URL: base_url "api.example.com/v1" is not an absolute URL (e.g. https://api.example.com/v2)');
    assert.deepEqual(err.context, { field: 'base_url' });
  });

  it('a base_url that is not http(s) is a CONFIG error', async () => {
    const err = await failure(httpText(httpConn({ base_url: 'ftp://h/x' }), { method: 'GET', path: '/x' }));
    assert.ok(err instanceof ConfigError);
    assert.equal(err.message, 'base_url must be an http or https URL, got "ftp://h/x"');
  });

  it('a redirect loop fails at once saying "redirect loop"', async () => {
    const err = await failure(httpText(conn(), { method: 'GET', path: '/loop-a' }));
    assert.ok(err instanceof ConfigError);
    assert.equal(err.message, `redirect loop: ${baseUrl}/api/loop-a → ${baseUrl}/api/loop-b → ${baseUrl}/api/loop-a`);
    assert.equal(seen.length, 2);
  });

  it('a same-origin redirect of a GET is followed with the credentials', async () => {
    const res = await httpText(conn({ auth: { type: 'bearer', token: '${env:T}' } }, { T: 'tok-redirect' }), { method: 'GET', path: '/moved' });
    assert.equal(res.status, 200);
    assert.equal(res.url, `${baseUrl}/api/customers?page=9`);
    assert.deepEqual(seen.map((s) => [s.url, s.headers.authorization]), [['/api/moved', 'Bearer tok-redirect'], ['/api/customers?page=9', 'Bearer tok-redirect']]);
  });

  it('a redirect to another host carries no credentials (auth, connection headers, api_key)', async () => {
    const c = conn({ auth: { type: 'bearer', token: '${env:T}' }, headers: { 'x-tenant': 'acme' } }, { T: 'tok-cross' });
    const res = await httpText(c, { method: 'GET', path: '/elsewhere', headers: { 'x-request-id': 'r7' } });
    assert.equal(res.url, `${otherUrl}/landing?x=1`);
    assert.equal(seen[0]!.headers.authorization, 'Bearer tok-cross');
    assert.equal(otherSeen.length, 1);
    assert.equal(otherSeen[0]!.headers.authorization, undefined);
    assert.equal(otherSeen[0]!.headers['x-tenant'], undefined);
    assert.equal(otherSeen[0]!.headers['x-request-id'], 'r7', 'headers of the call itself still go');

    const q = conn({ auth: { type: 'api_key', name: 'api_key', value: '${env:K}', location: 'query' } }, { K: 'key-cross-1' });
    await httpText(q, { method: 'GET', path: '/elsewhere' });
    assert.equal(seen.at(-1)!.url, '/api/elsewhere?api_key=key-cross-1');
    assert.equal(otherSeen[1]!.url, '/landing?x=1');
  });

  it('an absolute next_url on another host gets no credentials either', async () => {
    const c = conn({ auth: { type: 'api_key', name: 'X-API-Key', value: '${env:K}' } }, { K: 'key-next-1' });
    await httpText(c, { method: 'GET', path: `${otherUrl}/page2` });
    await httpText(c, { method: 'GET', path: `${baseUrl}/api/echo` });
    assert.equal(otherSeen[0]!.headers['x-api-key'], undefined);
    assert.equal(seen[0]!.headers['x-api-key'], 'key-next-1');
  });

  it('a POST follows 307 with its body, and refuses a 302 that would turn it into a GET', async () => {
    const ok = await httpText(conn(), { method: 'POST', path: '/temporary', bodyText: '[{"n":1}]' });
    assert.equal(ok.status, 200);
    assert.deepEqual(seen.map((s) => [s.method, s.url, s.body]), [['POST', '/api/temporary', '[{"n":1}]'], ['POST', '/api/echo', '[{"n":1}]']]);
    const err = await failure(httpText(conn(), { method: 'POST', path: '/moved', bodyText: '[]' }));
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /^HTTP 301 redirects the POST to .*\/api\/customers\?page=9, which would turn it into a GET/);
  });

  it('a redirect without Location is a DATA error', async () => {
    const err = await failure(httpText(conn(), { method: 'GET', path: '/no-location' }));
    assert.ok(err instanceof DataError);
    assert.equal(err.message, 'HTTP 302 without a Location to follow');
  });

  it('api_key in a header or in the query', async () => {
    await httpText(conn({ auth: { type: 'api_key', name: 'X-API-Key', value: '${env:K}' } }, { K: 'key-hdr-1' }), { method: 'GET', path: '/echo' });
    assert.equal(seen[0]!.headers['x-api-key'], 'key-hdr-1');
    const res = await httpText(conn({ auth: { type: 'api_key', name: 'apikey', value: '${env:K}', location: 'query' } }, { K: 'key-qry-1' }), { method: 'GET', path: '/echo', query: { page: 2 } });
    assert.equal(seen[1]!.url, '/api/echo?page=2&apikey=key-qry-1');
    assert.equal(res.url, `${baseUrl}/api/echo?page=2`, 'the key is added to the request only, never to the URL reported');
  });

  it('an error body that echoes the secret is masked, for a header and for a query key', async () => {
    const bearer = await failure(httpText(conn({ auth: { type: 'bearer', token: '${env:T}' } }, { T: 'tok-echoed-1' }), { method: 'GET', path: '/echo-secret' }));
    assert.equal(bearer.message, 'HTTP 400: {"error":"bad request Bearer *** "}');
    const query = await failure(httpText(conn({ auth: { type: 'api_key', name: 'api_key', value: '${env:K}', location: 'query' } }, { K: 'key-echoed-1' }), { method: 'GET', path: '/echo-secret' }));
    assert.equal(query.message, 'HTTP 400: {"error":"bad request ***"}');
    assert.equal(query.context.endpoint, `GET ${baseUrl}/api/echo-secret`);
  });

  it('userinfo in base_url becomes basic auth and never appears in a message', async () => {
    const c = httpConn({ base_url: `http://ann:pw-in-url@127.0.0.1:${new URL(baseUrl).port}/api` });
    const res = await httpText(c, { method: 'GET', path: '/echo', query: { token: 'abc' } });
    assert.equal(seen[0]!.headers.authorization, `Basic ${Buffer.from('ann:pw-in-url').toString('base64')}`);
    assert.equal(res.url, `http://ann:***@127.0.0.1:${new URL(baseUrl).port}/api/echo?token=***`);
  });
});
