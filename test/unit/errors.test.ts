import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  FerryError, ConfigError, DataError, AuthError, NotFoundError, TransientError,
  formatContext, withContext, NON_RETRYABLE_TYPES, type ErrorContext,
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

  it('wraps a plain Error as TRANSIENT with the error as cause', () => {
    const cause = new Error('ECONNRESET');
    const outer = withContext(cause, { connection: 'warehouse' });
    assert.ok(outer instanceof TransientError);
    assert.equal(outer.message, 'ECONNRESET');
    assert.equal(outer.cause, cause);
    assert.deepEqual(outer.context, { connection: 'warehouse' });
  });

  it('wraps a thrown non-Error value by its string', () => {
    const outer = withContext('boom', {});
    assert.equal(outer.code, 'TRANSIENT');
    assert.equal(outer.message, 'boom');
    assert.equal(outer.cause, 'boom');
  });
});
