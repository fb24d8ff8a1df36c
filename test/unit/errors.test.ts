import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  FerryError, ConfigError, DataError, AuthError, NotFoundError, TransientError,
  ResourceError, UnknownError, formatContext, withContext, nodeErrorCode, NON_RETRYABLE_TYPES, type ErrorContext,
} from '../../src/errors.js';

describe('formatContext', () => {
  const CASES: [ErrorContext, string][] = [
    [{}, ''],
    [{ dataset: 'sales' }, 'dataset sales: '],
    [{ dataset: 'sales', file: 's3://demo/sales.csv', line: 7 }, 'dataset sales, s3://demo/sales.csv:7: '],
    [{ file: 'sales.csv', line: 7, column: 3 }, 'sales.csv:7:3: '],
    [{ file: 'sales.csv', column: 3 }, 'sales.csv:3: '],
    [{ line: 7 }, 'line 7: '],
    [{ line: 7, column: 3 }, 'line 7: '],
    [{ line: 0 }, 'line 0: '],
    [{ page: 0, endpoint: 'GET http://api/customers' }, 'GET http://api/customers, page 0: '],
    [{ field: 'amount', connection: 'warehouse', stage: 'ingest' }, 'stage ingest, connection warehouse, field amount: '],
    [
      { field: 'amount', file: 'f.csv', column: 2, line: 4, page: 3, endpoint: 'GET http://x/y', connection: 'api', dataset: 'd', stage: 'standardize' },
      'stage standardize, dataset d, connection api, GET http://x/y, page 3, f.csv:4:2, field amount: ',
    ],
  ];
  for (const [ctx, text] of CASES) {
    it(`formats ${JSON.stringify(ctx)}`, () => assert.equal(formatContext(ctx), text));
  }
});

describe('FerryError and its subclasses', () => {
  it('describe() puts the context before the message', () => {
    const err = new DataError('malformed CSV row', { dataset: 'sales', file: 's3://demo/sales.csv', line: 7 });
    assert.equal(err.describe(), 'dataset sales, s3://demo/sales.csv:7: malformed CSV row');
    assert.equal(err.message, 'malformed CSV row');
    assert.equal(new ConfigError('bare').describe(), 'bare');
  });

  const CLASSES = [
    [ConfigError, 'CONFIG', 'FerryConfigError', false],
    [DataError, 'DATA', 'FerryDataError', false],
    [AuthError, 'AUTH', 'FerryAuthError', false],
    [TransientError, 'TRANSIENT', 'FerryTransientError', true],
  ] as const;
  for (const [Cls, code, name, retryable] of CLASSES) {
    it(`${name}: code ${code}, retryable ${retryable}`, () => {
      const err = new Cls('m', { dataset: 'x' });
      assert.ok(err instanceof FerryError);
      assert.ok(err instanceof Error);
      assert.equal(err.code, code);
      assert.equal(err.name, name);
      assert.equal(err.retryable, retryable);
      assert.deepEqual(err.context, { dataset: 'x' });
    });
  }

  it('NotFoundError: code NOT_FOUND, not retryable', () => {
    const err = new NotFoundError('gone');
    assert.equal(err.code, 'NOT_FOUND');
    assert.equal(err.retryable, false);
    assert.deepEqual(err.context, {});
  });

  it('NotFoundError is named FerryNotFoundError', () => {
    assert.equal(new NotFoundError('gone').name, 'FerryNotFoundError');
  });

  it('retryable for TRANSIENT, RESOURCE and UNKNOWN, and NON_RETRYABLE_TYPES lists the other codes', () => {
    const codes = ['CONFIG', 'DATA', 'AUTH', 'NOT_FOUND', 'TRANSIENT', 'RESOURCE', 'UNKNOWN'] as const;
    assert.deepEqual(codes.filter((c) => new FerryError(c, 'm').retryable), ['TRANSIENT', 'RESOURCE', 'UNKNOWN']);
    assert.deepEqual([...NON_RETRYABLE_TYPES], ['CONFIG', 'DATA', 'AUTH', 'NOT_FOUND']);
  });

  it('keeps cause and retryAfterMs', () => {
    const cause = new Error('socket hang up');
    const err = new TransientError('HTTP 503', { endpoint: 'GET http://x/' }, { cause, retryAfterMs: 7000 });
    assert.equal(err.cause, cause);
    assert.equal(err.retryAfterMs, 7000);
    assert.equal(new DataError('d', {}, { cause }).cause, cause);
    assert.equal(new DataError('d').retryAfterMs, undefined);
  });
});

describe('withContext', () => {
  it('keeps the code, message, cause and retry hint, and merges context (the error\'s own keys win)', () => {
    const cause = new Error('root');
    const inner = new TransientError('HTTP 503', { endpoint: 'GET http://x/a', page: 2 }, { cause, retryAfterMs: 7000 });
    const outer = withContext(inner, { dataset: 'customers', stage: 'ingest', page: 9 });
    assert.ok(outer instanceof FerryError);
    assert.equal(outer.code, 'TRANSIENT');
    assert.equal(outer.message, 'HTTP 503');
    assert.equal(outer.cause, cause);
    assert.equal(outer.retryAfterMs, 7000);
    assert.equal(outer.retryable, true);
    assert.deepEqual(outer.context, { dataset: 'customers', stage: 'ingest', page: 2, endpoint: 'GET http://x/a' });
    assert.equal(outer.describe(), 'stage ingest, dataset customers, GET http://x/a, page 2: HTTP 503');
  });

  it('keeps a non-retryable code non-retryable', () => {
    const outer = withContext(new DataError('bad row', { line: 3 }), { dataset: 'sales', file: 'sales.csv' });
    assert.equal(outer.code, 'DATA');
    assert.equal(outer.retryable, false);
    assert.equal(outer.name, 'FerryDataError');
    assert.ok(outer instanceof DataError, 'the subclass survives');
    assert.equal(outer.describe(), 'dataset sales, sales.csv:3: bad row');
  });

  it('wraps a plain Error without a known code as UNKNOWN with the error as cause', () => {
    const cause = new Error('something odd');
    const outer = withContext(cause, { connection: 'warehouse' });
    assert.ok(outer instanceof UnknownError);
    assert.equal(outer.code, 'UNKNOWN');
    assert.equal(outer.message, 'something odd');
    assert.equal(outer.cause, cause);
    assert.deepEqual(outer.context, { connection: 'warehouse' });
  });

  it('wraps a thrown non-Error value by its string, as UNKNOWN', () => {
    const outer = withContext('boom', {});
    assert.equal(outer.code, 'UNKNOWN');
    assert.equal(outer.message, 'boom');
    assert.equal(outer.cause, 'boom');
  });
});

/** An Error with a Node-style `code`, optionally as the cause of an outer error (undici wraps them). */
const coded = (code: string, wrapped = false): Error => {
  const inner = Object.assign(new Error(`${code} happened`), { code });
  return wrapped ? new TypeError('fetch failed', { cause: inner }) : inner;
};

describe('generic Node errors are classified once, in withContext', () => {
  const CASES: [string, boolean, 'TRANSIENT' | 'RESOURCE' | 'UNKNOWN'][] = [
    ['ECONNREFUSED', false, 'TRANSIENT'],
    ['ECONNRESET', false, 'TRANSIENT'],
    ['ETIMEDOUT', false, 'TRANSIENT'],
    ['EPIPE', false, 'TRANSIENT'],
    ['EAI_AGAIN', false, 'TRANSIENT'],
    ['UND_ERR_SOCKET', true, 'TRANSIENT'],
    ['UND_ERR_CONNECT_TIMEOUT', true, 'TRANSIENT'],
    ['UND_ERR_HEADERS_TIMEOUT', false, 'TRANSIENT'],
    ['ECONNRESET', true, 'TRANSIENT'],
    ['ENOSPC', false, 'RESOURCE'],
    ['ENOMEM', false, 'RESOURCE'],
    ['ENOENT', false, 'UNKNOWN'],
    ['EACCES', false, 'UNKNOWN'],
    ['UND_ERR_INVALID_ARG', false, 'UNKNOWN'],
  ];
  for (const [code, wrapped, expected] of CASES) {
    it(`${code}${wrapped ? ' (as a cause)' : ''} → ${expected}`, () => {
      const err = coded(code, wrapped);
      const outer = withContext(err, { dataset: 'd' });
      assert.equal(outer.code, expected);
      assert.equal(outer.retryable, true, 'all three are retried (UNKNOWN only a few times, by the boundary)');
      assert.equal(outer.cause, err);
      assert.equal(nodeErrorCode(err), expected === 'UNKNOWN' ? undefined : expected);
    });
  }

  it('a RESOURCE error is a ResourceError', () => {
    assert.ok(withContext(coded('ENOSPC'), {}) instanceof ResourceError);
    assert.ok(withContext(coded('ECONNRESET'), {}) instanceof TransientError);
  });

  it('an already classified Ferry error keeps its code even when its cause has a Node code', () => {
    const err = new DataError('bad row', {}, { cause: coded('ECONNRESET') });
    assert.equal(withContext(err, {}).code, 'DATA');
  });
});
