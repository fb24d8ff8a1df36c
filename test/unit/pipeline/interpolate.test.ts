import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveEnv, maskSecrets, hasEnvRef, envRefNames, registerSecret, isOneEnvRef } from '../../../src/pipeline/interpolate.js';
import { ConfigError } from '../../../src/errors.js';

/** Runs fn, which must throw a ConfigError, and returns it. */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('resolveEnv', () => {
  it('replaces a set variable, deep in objects and arrays, leaving other values alone', () => {
    const env = { API_TOKEN: 'tok-abc-123', HOST: 'db.local' };
    const input = { auth: { token: '${env:API_TOKEN}' }, hosts: ['${env:HOST}', 'fixed'], url: 'https://${env:HOST}:5432/x', port: 5432, ssl: false, none: null };
    assert.deepEqual(resolveEnv(input, env), {
      auth: { token: 'tok-abc-123' }, hosts: ['db.local', 'fixed'], url: 'https://db.local:5432/x', port: 5432, ssl: false, none: null,
    });
  });

  it('does not modify its input', () => {
    const input = { token: '${env:API_TOKEN}' };
    resolveEnv(input, { API_TOKEN: 'immut-token-0' });
    assert.deepEqual(input, { token: '${env:API_TOKEN}' });
  });

  it('uses the default of ${env:X:-d} when X is unset or empty, and the value when it is set', () => {
    assert.equal(resolveEnv('${env:PGHOST:-127.0.0.1}', {}), '127.0.0.1');
    assert.equal(resolveEnv('${env:PGHOST:-127.0.0.1}', { PGHOST: '' }), '127.0.0.1');
    assert.equal(resolveEnv('${env:PGHOST:-127.0.0.1}', { PGHOST: 'pg.internal' }), 'pg.internal');
    assert.equal(resolveEnv('http://${env:H:-localhost}:${env:P:-8080}/', {}), 'http://localhost:8080/');
  });

  it('an empty default ${env:X:-} gives the empty string', () => {
    assert.deepEqual(resolveEnv({ password: '${env:PGPASSWORD:-}' }, {}), { password: '' });
  });

  it('a missing variable is a ConfigError naming the variable and the field path', () => {
    const err = configErrorOf(() => resolveEnv({ demo_api: { auth: { token: '${env:DEMO_API_TOKEN}' } } }, {}, 'connections'));
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.message, 'environment variable DEMO_API_TOKEN is not set on the worker (referenced by ${env:DEMO_API_TOKEN})');
    assert.deepEqual(err.context, { field: 'connections.demo_api.auth.token' });
    assert.equal(err.describe(), 'field connections.demo_api.auth.token: environment variable DEMO_API_TOKEN is not set on the worker (referenced by ${env:DEMO_API_TOKEN})');
  });

  it('a missing variable inside an array names the index; the default where is "config"', () => {
    const err = configErrorOf(() => resolveEnv({ list: ['ok', '${env:NOPE_X}'] }, { }));
    assert.deepEqual(err.context, { field: 'config.list.1' });
  });

  it('an empty variable without default counts as missing', () => {
    const err = configErrorOf(() => resolveEnv({ token: '${env:EMPTY_ONE}' }, { EMPTY_ONE: '' }));
    assert.equal(err.message, 'environment variable EMPTY_ONE is not set on the worker (referenced by ${env:EMPTY_ONE})');
  });

  it('leaves ${param:…} and malformed references alone', () => {
    assert.equal(resolveEnv('${param:day} ${env:1BAD} $env:X', {}), '${param:day} ${env:1BAD} $env:X');
  });
});

describe('maskSecrets', () => {
  it('resolveEnv alone registers nothing: a field name does not make a secret', () => {
    resolveEnv({ token: '${env:MASK_TOKEN}', password: '${env:MASK_PW}' }, { MASK_TOKEN: 'not-registered-1', MASK_PW: 'not-registered-2' });
    assert.equal(maskSecrets('not-registered-1 not-registered-2'), 'not-registered-1 not-registered-2');
  });

  it('masks registered values everywhere, longest first', () => {
    registerSecret('sup3r-s3cret');
    registerSecret('sup3r-s3cret-longer');
    assert.equal(maskSecrets('HTTP 401 for token sup3r-s3cret (again: sup3r-s3cret-longer)'), 'HTTP 401 for token *** (again: ***)');
  });

  it('masks extra values given for one message (a connection\'s own credentials)', () => {
    assert.equal(maskSecrets('echo: one-off-key', ['one-off-key']), 'echo: ***');
  });

  it('does not mask values shorter than 4 characters', () => {
    registerSecret('abc');
    assert.equal(maskSecrets('abc', ['xyz']), 'abc');
  });

  it('reports each resolved reference with its key path to onResolved', () => {
    const seen: [string, string][] = [];
    resolveEnv({ a: { b: 'x-${env:R1}-${env:R2:-dflt}' } }, { R1: 'one' }, 'config', (path, value) => seen.push([path.join('.'), value]));
    assert.deepEqual(seen, [['a.b', 'one'], ['a.b', 'dflt']]);
  });

  it('leaves text without secrets unchanged', () => {
    assert.equal(maskSecrets('nothing to hide here'), 'nothing to hide here');
  });
});

describe('isOneEnvRef', () => {
  const CASES: [string, boolean][] = [['${env:A}', true], ['${env:A:-}', true], ['${env:A:-d}', true], ['Bearer ${env:A}', false], ['${env:A}${env:B}', false], ['literal', false], ['${param:A}', false]];
  for (const [value, one] of CASES) it(`${value} → ${one}`, () => assert.equal(isOneEnvRef(value), one));
});

describe('hasEnvRef and envRefNames', () => {
  it('finds env references', () => {
    assert.equal(hasEnvRef('x ${env:A} y'), true);
    assert.equal(hasEnvRef('${env:A:-d}'), true);
    assert.equal(hasEnvRef('${param:A}'), false);
    // The regex is global: repeated calls must not alternate between true and false.
    assert.equal(hasEnvRef('${env:A}'), true);
    assert.equal(hasEnvRef('${env:A}'), true);
  });

  it('lists every referenced name in order', () => {
    assert.deepEqual(envRefNames({ a: '${env:A}', b: ['${env:B:-x} ${env:C}'], c: 1 }), ['A', 'B', 'C']);
  });
});
