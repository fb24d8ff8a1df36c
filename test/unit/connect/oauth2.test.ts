/**
 * OAuth2 client credentials: the schema (the client secret only from the environment), masking of
 * the resolved secret, one token request for concurrent callers, and the refresh time.
 */
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectionSchema, resolveConnection } from '../../../src/connect/connections.js';
import { oauth2Schema, oauth2Token, oauth2TokenRequests, clearOAuth2Tokens } from '../../../src/connect/oauth2.js';
import { maskSecrets } from '../../../src/pipeline/interpolate.js';

let server: Server;
let url: string;
let served = 0;
before(async () => {
  server = createServer((_req, res) => {
    served++;
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `token-number-${served}`, expires_in: 600 })), 50);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
});
after(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  clearOAuth2Tokens();
  served = 0;
});

/** As resolved on the worker: the secret's value in place of its reference. */
const auth = (secret: string) => ({ ...oauth2Schema.parse({ type: 'oauth2_client_credentials', token_url: url, client_id: 'c', client_secret: '${env:X}' }), client_secret: secret });

test('the client secret must be an ${env:…} reference; the resolved one is masked', () => {
  const literal = connectionSchema.safeParse({ type: 'http', base_url: 'http://x', auth: { type: 'oauth2_client_credentials', token_url: url, client_id: 'c', client_secret: 'plain-text' } });
  assert.equal(literal.success, false);
  assert.match(JSON.stringify(literal.error?.issues), /must be a \$\{env:NAME\} reference/);
  const spec = connectionSchema.parse({ type: 'http', base_url: 'http://x', auth: { type: 'oauth2_client_credentials', token_url: url, client_id: 'c', client_secret: '${env:OAUTH_SECRET}' } });
  resolveConnection({ api: spec }, 'api', 'http', { OAUTH_SECRET: 'resolved-secret-value' });
  assert.equal(maskSecrets('secret=resolved-secret-value'), 'secret=***');
});

test('concurrent callers share one token request; the token is then masked everywhere', async () => {
  const before = oauth2TokenRequests();
  const tokens = await Promise.all(Array.from({ length: 5 }, () => oauth2Token(auth('abc-secret'), { timeoutMs: 5000 })));
  assert.deepEqual(new Set(tokens), new Set(['token-number-1']));
  assert.equal(served, 1);
  assert.equal(oauth2TokenRequests() - before, 1);
  assert.equal(maskSecrets('Bearer token-number-1'), 'Bearer ***');
});

test('refreshed 60 s before expires_in; a stale token is replaced once', async () => {
  let now = 1_000_000;
  const a = auth('abc-secret');
  const first = await oauth2Token(a, { timeoutMs: 5000, now: () => now });
  now += 539_000; // 61 s before the 600 s lifetime ends
  assert.equal(await oauth2Token(a, { timeoutMs: 5000, now: () => now }), first);
  now += 2_000; // 59 s before: refreshed
  const second = await oauth2Token(a, { timeoutMs: 5000, now: () => now });
  assert.notEqual(second, first);
  const third = await oauth2Token(a, { timeoutMs: 5000, now: () => now, stale: second });
  assert.notEqual(third, second);
  assert.equal(served, 3);
});
