/**
 * Typed secrets: which fields are secrets comes from the schemas (`secret()`), a literal secret in
 * connections.yaml fails validation with its file:line, resolveConnection registers exactly the
 * secret fields' values, and URLs in messages are masked.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { secret, secretText, secretPaths, secretValues, maskUrl } from '../../../src/pipeline/secrets.js';
import { maskSecrets } from '../../../src/pipeline/interpolate.js';
import { connectionSchema, httpConnectionSchema, resolveConnection } from '../../../src/connect/connections.js';
import { loadConnections, SpecError } from '../../../src/pipeline/load.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-secrets-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('secret()', () => {
  const schema = z.strictObject({ type: z.literal('x'), user: z.string(), password: secret('the password').optional(), headers: z.record(z.string(), secretText('a header')).default({}) });

  it('accepts one ${env:…} reference and rejects a literal', () => {
    assert.equal(schema.safeParse({ type: 'x', user: 'u', password: '${env:PW}' }).success, true);
    assert.equal(schema.safeParse({ type: 'x', user: 'u', password: '${env:PW:-}' }).success, true);
    const bad = schema.safeParse({ type: 'x', user: 'u', password: 'hunter22' });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error!.issues.map((i) => [i.path.join('.'), i.message]), [
      ['password', 'must be a ${env:NAME} reference: secrets never live in config files (set NAME in the worker\'s environment)'],
    ]);
  });

  it('secretPaths finds the typed fields, through optional, default, record and union', () => {
    assert.deepEqual(secretPaths(schema, { type: 'x', user: 'u', password: '${env:PW}', headers: { a: 'b' } }), [
      { path: ['password'], kind: 'whole' }, { path: ['headers', 'a'], kind: 'embedded' },
    ]);
    const http = { type: 'http', base_url: 'u', headers: {}, auth: { type: 'api_key', name: 'k', value: '${env:K}', location: 'query' }, timeout: '30s' };
    assert.deepEqual(secretPaths(connectionSchema, http), [{ path: ['auth', 'value'], kind: 'whole' }]);
    assert.deepEqual(secretPaths(connectionSchema, { type: 'postgres', database: 'd', password: '${env:P}' }), [{ path: ['password'], kind: 'whole' }]);
    assert.deepEqual(secretPaths(connectionSchema, { type: 's3', access_key_id: '${env:A}', secret_access_key: '${env:S}' }), [{ path: ['secret_access_key'], kind: 'whole' }]);
  });

  it('secretValues reads the resolved values of whole-secret fields only', () => {
    const conn = { type: 'http', base_url: 'http://h', headers: { 'x-tenant': 'acme' }, auth: { type: 'basic', username: 'ann', password: 'pw-1234' }, timeout: '30s' };
    assert.deepEqual(secretValues(httpConnectionSchema, conn), ['pw-1234']);
  });
});

describe('resolveConnection registers exactly the secret-typed values', () => {
  it('password, secret access key, token, api key and env parts of headers; not host, user, key id, base_url, literals', () => {
    const env = {
      RC_HOST: 'db-host-name', RC_USER: 'db-user-name', RC_PW: 'db-password-1', RC_KEY_ID: 'AKIA-KEY-ID-1', RC_SECRET: 'aws-secret-1',
      RC_URL: 'http://api-host-1', RC_TOKEN: 'api-token-1', RC_APIKEY: 'api-key-value-1', RC_HDR: 'hdr-secret-1',
    };
    const specs = {
      pg: connectionSchema.parse({ type: 'postgres', host: '${env:RC_HOST}', user: '${env:RC_USER}', database: 'd', password: '${env:RC_PW}' }),
      lake: connectionSchema.parse({ type: 's3', access_key_id: '${env:RC_KEY_ID}', secret_access_key: '${env:RC_SECRET}' }),
      api: connectionSchema.parse({ type: 'http', base_url: '${env:RC_URL}', headers: { 'x-tenant': 'tenant-literal', 'x-sig': 'v1 ${env:RC_HDR}' }, auth: { type: 'bearer', token: '${env:RC_TOKEN}' } }),
      keyed: connectionSchema.parse({ type: 'http', base_url: 'http://h', auth: { type: 'api_key', name: 'api_key', value: '${env:RC_APIKEY}', location: 'query' } }),
    };
    resolveConnection(specs, 'pg', 'postgres', env);
    resolveConnection(specs, 'lake', 's3', env);
    const api = resolveConnection(specs, 'api', 'http', env);
    resolveConnection(specs, 'keyed', 'http', env);
    assert.deepEqual(api.headers, { 'x-tenant': 'tenant-literal', 'x-sig': 'v1 hdr-secret-1' });
    const text = Object.values(env).join(' ') + ' tenant-literal v1';
    assert.equal(maskSecrets(text), 'db-host-name db-user-name *** AKIA-KEY-ID-1 *** http://api-host-1 *** *** *** tenant-literal v1');
  });
});

describe('resolveConnection: a base_url from the environment', () => {
  it('masks its path (a webhook token) and its password, not its origin; a literal base_url registers nothing', () => {
    const specs = {
      hook: connectionSchema.parse({ type: 'http', base_url: '${env:RC_HOOK}' }),
      app: connectionSchema.parse({ type: 'http', base_url: 'https://api-literal.example/v2/tenant-literal-9' }),
      plain: connectionSchema.parse({ type: 'http', base_url: '${env:RC_PLAIN}' }),
    };
    const env = { RC_HOOK: 'https://ann:p%40ss-word-7@hooks.example/services/T0/hook-token-77?sig=sig-value-7', RC_PLAIN: 'http://127.0.0.1:8787' };
    for (const name of Object.keys(specs)) resolveConnection(specs, name, 'http', env);
    assert.equal(
      maskSecrets('POST https://hooks.example/services/T0/hook-token-77 p%40ss-word-7 p@ss-word-7 GET https://api-literal.example/v2/tenant-literal-9/x http://127.0.0.1:8787/ingest'),
      'POST https://hooks.example*** *** *** GET https://api-literal.example/v2/tenant-literal-9/x http://127.0.0.1:8787/ingest',
    );
    assert.equal(maskUrl('POST https://hooks.example/services/T0/hook-token-77?sig=sig-value-7'), 'POST https://hooks.example***?sig=***');
  });
});

describe('loadConnections: a literal secret fails validation with file:line', () => {
  it('names the file, line and field path', async () => {
    const file = join(dir, 'connections.yaml');
    await writeFile(file, [
      'warehouse:',
      '  type: postgres',
      '  database: demo',
      '  password: ${env:PGPASSWORD:-}',
      'api:',
      '  type: http',
      '  base_url: https://api.example.com',
      '  auth:',
      '    type: api_key',
      '    name: X-API-Key',
      '    value: sk_live_literal_123',
      '',
    ].join('\n'));
    const err = await loadConnections(file).then(() => assert.fail('should fail'), (e: unknown) => e);
    assert.ok(err instanceof SpecError);
    assert.deepEqual(err.issues.map((i) => [i.line, i.column, i.path, i.message]), [
      [11, 12, 'api.auth.value', 'must be a ${env:NAME} reference: secrets never live in config files (set NAME in the worker\'s environment)'],
    ]);
    assert.ok(!err.message.includes('sk_live_literal_123'), 'the literal is not repeated in the message');
  });

  it('the project\'s config/connections.yaml passes', async () => {
    const connections = await loadConnections('config/connections.yaml');
    assert.deepEqual(Object.keys(connections), ['warehouse', 'lake', 'demo_api']);
  });
});

describe('maskUrl', () => {
  const CASES: [string, string][] = [
    ['https://api.example.com/v1/items?page=2', 'https://api.example.com/v1/items?page=2'],
    ['https://ann:pw@api.example.com/x', 'https://ann:***@api.example.com/x'],
    ['https://ghp_tok@api.example.com/x', 'https://***@api.example.com/x'],
    ['https://h/x?api_key=k1&page=2&token=t1', 'https://h/x?api_key=***&page=2&token=***'],
    ['https://h/x?Signature=abc&X-Amz-Credential=c&sig=s&key=k&password=p&access_token=a', 'https://h/x?Signature=***&X-Amz-Credential=***&sig=***&key=***&password=***&access_token=***'],
    ['https://h/x?monkey=1&keys=2#frag', 'https://h/x?monkey=1&keys=2#frag'],
    ['not a url ?token=abc', 'not a url ?token=***'],
    ['GET https://h/a?x=1 → https://u:p@h/b?sig=2', 'GET https://h/a?x=1 → https://u:***@h/b?sig=***'],
    ['HTTP 500: {"url":"/x?api_key=k1","status":"down"}', 'HTTP 500: {"url":"/x?api_key=***","status":"down"}'],
  ];
  for (const [url, masked] of CASES) it(url, () => assert.equal(maskUrl(url), masked));

  it('masks extra parameter names (a connection\'s api_key name)', () => {
    assert.equal(maskUrl('https://h/x?custom_key=abc&page=1', ['custom_key']), 'https://h/x?custom_key=***&page=1');
  });
});
