/**
 * The PostgreSQL classifier, table-driven: SQLSTATE classes and exact codes, driver and socket
 * errors, and what the error message keeps (COPY line and column, constraint, key).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyPg, pgError, isCatalogRace } from '../../../src/connect/pg-errors.js';
import { ConfigError, FerryError } from '../../../src/errors.js';
import type { FailureType } from '../../../src/failures.js';

const pg = (code: string, message = 'boom', extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { code, ...extra });
const socket = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });

describe('classifyPg', () => {
  const CASES: [string, unknown, FailureType][] = [
    ['08006 connection failure', pg('08006'), 'TRANSIENT'],
    ['08001 cannot connect', pg('08001'), 'TRANSIENT'],
    ['57P01 admin shutdown', pg('57P01'), 'TRANSIENT'],
    ['57P02 crash shutdown', pg('57P02'), 'TRANSIENT'],
    ['57P03 cannot connect now', pg('57P03'), 'TRANSIENT'],
    ['57014 query cancelled', pg('57014'), 'TRANSIENT'],
    ['40001 serialization failure', pg('40001'), 'TRANSIENT'],
    ['40P01 deadlock', pg('40P01'), 'TRANSIENT'],
    ['55P03 lock not available', pg('55P03'), 'TRANSIENT'],
    ['53100 disk full', pg('53100'), 'RESOURCE'],
    ['53200 out of memory', pg('53200'), 'RESOURCE'],
    ['53300 too many connections', pg('53300'), 'RESOURCE'],
    ['28P01 wrong password', pg('28P01'), 'AUTH'],
    ['28000 no pg_hba entry', pg('28000'), 'AUTH'],
    ['3D000 no such database', pg('3D000'), 'NOT_FOUND'],
    ['3F000 no such schema', pg('3F000'), 'NOT_FOUND'],
    ['42P01 no such table', pg('42P01'), 'NOT_FOUND'],
    ['42703 undefined column', pg('42703'), 'CONFIG'],
    ['42601 syntax error', pg('42601'), 'CONFIG'],
    ['42501 insufficient privilege', pg('42501'), 'CONFIG'],
    ['25006 read-only transaction', pg('25006'), 'CONFIG'],
    ['0A000 feature not supported', pg('0A000'), 'CONFIG'],
    ['54000 program limit exceeded', pg('54000'), 'CONFIG'],
    ['22P02 invalid text representation', pg('22P02'), 'DATA'],
    ['22003 numeric out of range', pg('22003'), 'DATA'],
    ['23505 unique violation', pg('23505'), 'DATA'],
    ['23502 not null violation', pg('23502'), 'DATA'],
    ['XX000 internal error', pg('XX000'), 'UNKNOWN'],
    ['P0001 raise exception', pg('P0001'), 'UNKNOWN'],
    ['25P02 in failed transaction', pg('25P02'), 'UNKNOWN'],
    ['ECONNREFUSED', socket('ECONNREFUSED'), 'TRANSIENT'],
    ['ECONNRESET', socket('ECONNRESET'), 'TRANSIENT'],
    ['ETIMEDOUT', socket('ETIMEDOUT'), 'TRANSIENT'],
    ['EPIPE (shaped like a SQLSTATE)', socket('EPIPE'), 'TRANSIENT'],
    ['EAI_AGAIN', socket('EAI_AGAIN'), 'TRANSIENT'],
    ['AggregateError of refused addresses', Object.assign(new AggregateError([socket('ECONNREFUSED'), socket('ECONNREFUSED')], ''), { code: 'ECONNREFUSED' }), 'TRANSIENT'],
    ['AggregateError without a code', new AggregateError([socket('ECONNREFUSED'), socket('ETIMEDOUT')], ''), 'TRANSIENT'],
    ['Connection terminated unexpectedly', new Error('Connection terminated unexpectedly'), 'TRANSIENT'],
    ['Connection terminated', new Error('Connection terminated'), 'TRANSIENT'],
    ['pool connect timeout', new Error('timeout exceeded when trying to connect'), 'TRANSIENT'],
    ['client not queryable', new Error('Client has encountered a connection error and is not queryable'), 'TRANSIENT'],
    ['ENOTFOUND (a typo or a DNS outage)', socket('ENOTFOUND'), 'UNKNOWN'],
    ['a plain Error', new Error('something odd'), 'UNKNOWN'],
    ['a string', 'weird', 'UNKNOWN'],
    ['undefined', undefined, 'UNKNOWN'],
    ['a FerryError keeps its code', new ConfigError('x'), 'CONFIG'],
  ];
  for (const [name, err, type] of CASES) {
    it(`${name} → ${type}`, () => assert.equal(classifyPg(err), type));
  }
});

describe('pgError', () => {
  it('keeps the COPY row and column, in the message and the context', () => {
    const err = pgError(pg('22P02', 'invalid input syntax for type numeric: "abc"', { where: 'COPY items, line 3, column price: "abc"' }), { connection: 'warehouse' }, 'sink db, table s.items');
    assert.equal(err.code, 'DATA');
    assert.deepEqual(err.context, { connection: 'warehouse', line: 3, field: 'price' });
    assert.equal(err.message, 'sink db, table s.items: PostgreSQL: invalid input syntax for type numeric: "abc"; at row 3 of the data, column price');
  });
  it('names the constraint and the key, not other details (which may hold a whole row)', () => {
    const dup = pgError(pg('23505', 'duplicate key value violates unique constraint "items_pkey"', { constraint: 'items_pkey', detail: 'Key (id)=(7) already exists.', where: 'COPY items, line 2' }), {}, 'sink db, table s.items');
    assert.equal(dup.message, 'sink db, table s.items: PostgreSQL: duplicate key value violates unique constraint "items_pkey"; at row 2 of the data; constraint items_pkey; Key (id)=(7) already exists');
    const nul = pgError(pg('23502', 'null value in column "name" of relation "items" violates not-null constraint', { column: 'name', detail: 'Failing row contains (1, null).' }), {});
    assert.equal(nul.message, 'PostgreSQL: null value in column "name" of relation "items" violates not-null constraint');
    assert.deepEqual(nul.context, { field: 'name' });
  });
  it('returns FerryErrors unchanged and classifies the rest', () => {
    const own = new ConfigError('mine');
    assert.equal(pgError(own, {}), own);
    const e = pgError(socket('ECONNRESET'), { connection: 'w' });
    assert.ok(e instanceof FerryError);
    assert.equal(e.code, 'TRANSIENT');
    assert.equal(e.describe(), 'connection w: PostgreSQL: connect ECONNRESET 127.0.0.1:5432');
    assert.equal(pgError(pg('XX000', 'odd'), {}).code, 'UNKNOWN');
  });
});

describe('isCatalogRace', () => {
  const CASES: [string, unknown, boolean][] = [
    ['unique violation on pg_namespace', pg('23505', 'x', { constraint: 'pg_namespace_nspname_index' }), true],
    ['unique violation on pg_type', pg('23505', 'x', { constraint: 'pg_type_typname_nsp_index' }), true],
    ['duplicate schema', pg('42P06'), true],
    ['duplicate table', pg('42P07'), true],
    ['unique violation on a user table', pg('23505', 'x', { constraint: 'items_pkey' }), false],
    ['syntax error', pg('42601'), false],
  ];
  for (const [name, err, race] of CASES) it(`${name} → ${race}`, () => assert.equal(isCatalogRace(err), race));
});
