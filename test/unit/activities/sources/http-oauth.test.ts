/**
 * OAuth2 client credentials on the http source against a local server that is both the token
 * endpoint and the API: one token for many pages, refreshed before expiry and once on a 401, and
 * the token and client secret masked in every error.
 */
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, json, attempt, folderCheckpoint, tempDir, type Api } from './http-fixture.js';
import { clearOAuth2Tokens } from '../../../../src/connect/oauth2.js';
import { FerryError } from '../../../../src/errors.js';

const SECRET = 'cs-very-secret-42';
let issued: { token: string; at: number }[] = [];
let revoked = new Set<string>();
let served401 = 0;
let tokenStatus = 200;
let expiresIn = 3600;
let pageDelayMs = 0;
let echoTokenIn401 = false;

let api: Api;
before(async () => {
  api = await startApi((req, res, u, body) => {
    if (u.pathname === '/token') {
      const form = new URLSearchParams(body);
      if (tokenStatus !== 200) return json(res, `{"error": "nope for ${form.get('client_secret')}"}`, {}, tokenStatus);
      if (form.get('grant_type') !== 'client_credentials' || form.get('client_secret') !== SECRET || form.get('scope') !== 'read' || form.get('audience') !== 'orders-api' || form.get('tenant') !== 't1') {
        return json(res, `{"error": "invalid_client ${form.get('client_secret')}"}`, {}, 401);
      }
      const token = `tok-${issued.length + 1}-${Math.random().toString(36).slice(2)}`;
      issued.push({ token, at: Date.now() });
      return json(res, JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: expiresIn }));
    }
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const grant = issued.find((g) => g.token === token);
    const page = Number(u.searchParams.get('page'));
    if (page === 3 && revoked.size === 0 && u.searchParams.get('revoke')) revoked.add(token);
    if (!grant || revoked.has(token) || echoTokenIn401 || Date.now() - grant.at > expiresIn * 1000) {
      served401++;
      return json(res, `{"error": "token ${token} is not valid"}`, {}, 401);
    }
    setTimeout(() => json(res, JSON.stringify({ data: page <= 5 ? [{ id: page }] : [] })), pageDelayMs);
    return undefined;
  });
});
after(() => api.close());
beforeEach(() => {
  clearOAuth2Tokens();
  issued = [];
  revoked = new Set();
  served401 = 0;
  tokenStatus = 200;
  expiresIn = 3600;
  pageDelayMs = 0;
  echoTokenIn401 = false;
  api.requests.length = 0;
});

const auth = (tokenUrl = `${api.url}/token`) => ({
  auth: { type: 'oauth2_client_credentials', token_url: tokenUrl, client_id: 'ferry', client_secret: '${env:CS}', scope: 'read', audience: 'orders-api', params: { tenant: 't1' } },
});
const read = async (query: Record<string, string> = {}, tokenUrl?: string) => attempt(api, { path: '/orders', query, records: 'data', paginate: { type: 'page_number' } }, {
  checkpoint: folderCheckpoint(await tempDir()), connection: auth(tokenUrl), env: { CS: SECRET },
});
const ids = [{ id: '1' }, { id: '2' }, { id: '3' }, { id: '4' }, { id: '5' }];
const tokenRequests = () => api.requests.filter((r) => r.startsWith('POST /token')).length;

test('one token for every page of a run (and the next run in the same process)', async () => {
  const out = await read();
  assert.deepEqual(out.tables.items, ids);
  assert.equal(api.requests.length, 7, '1 token request and 6 pages');
  assert.equal(tokenRequests(), 1);
  await read();
  assert.equal(tokenRequests(), 1, 'cached per worker process per connection');
});

test('a short-lived token is refreshed before it expires: the API never sees an expired one', async () => {
  expiresIn = 1;
  pageDelayMs = 250;
  const out = await read();
  assert.deepEqual(out.tables.items, ids);
  assert.equal(served401, 0);
  assert.ok(tokenRequests() >= 2, `${tokenRequests()} token requests over ~1.5 s with 1 s tokens`);
});

test('a 401 (token revoked) gets one new token and one more try of the same page', async () => {
  const out = await read({ revoke: '1' });
  assert.deepEqual(out.tables.items, ids);
  assert.equal(tokenRequests(), 2);
  assert.deepEqual(api.requests.filter((r) => r.includes('page=3')), ['/orders?revoke=1&page=3', '/orders?revoke=1&page=3']);
});

test('a second 401 is an AUTH error, with the token masked in the API\'s answer', async () => {
  echoTokenIn401 = true;
  const out = await read();
  assert.ok(out.result instanceof FerryError && out.result.code === 'AUTH');
  assert.equal(tokenRequests(), 2, 'one refresh, not a loop');
  assert.equal(out.result.describe(), `GET ${api.url}/orders, page 1: HTTP 401 Unauthorized: {"error": "token *** is not valid"} (check the credentials of the connection)`);
  for (const { token } of issued) assert.ok(!out.result.describe().includes(token));
});

test('the token endpoint refusing the client is AUTH naming the token_url, secret masked', async () => {
  tokenStatus = 401;
  const out = await read({}, `${api.url}/token?api_key=k-123456`);
  assert.ok(out.result instanceof FerryError && out.result.code === 'AUTH');
  assert.equal(out.result.describe(), `POST ${api.url}/token, field auth.token_url: token endpoint refused the client credentials: HTTP 401: {"error": "nope for ***"} (check client_id, client_secret and scope)`);
  assert.ok(!out.result.describe().includes(SECRET));
  tokenStatus = 400;
  assert.equal(((await read()).result as FerryError).code, 'AUTH');
});

test('the token endpoint failing with 5xx is TRANSIENT (the activity retries)', async () => {
  tokenStatus = 503;
  const out = await read();
  assert.ok(out.result instanceof FerryError && out.result.code === 'TRANSIENT');
  assert.equal(out.result.describe(), `POST ${api.url}/token, field auth.token_url: token endpoint answered HTTP 503: {"error": "nope for ***"}`);
});
