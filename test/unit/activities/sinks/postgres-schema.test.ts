/**
 * The postgres sink's options and its schema decisions, without a database: which dataset types
 * can be written into which existing column types, what each `schema` policy plans, and the
 * option checks of the spec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planColumns, writable } from '../../../../src/connect/pg-schema-evolution.js';
import { postgresSink } from '../../../../activities/sinks/postgres.js';
import { FerryError } from '../../../../src/errors.js';

const col = (type: string, isArray = false) => ({ type, isArray });

test('writable: widths and kinds that fit are accepted, those that do not are conflicts', () => {
  const ok: [string, string][] = [
    ['INTEGER', 'integer'], ['SMALLINT', 'integer'], ['INTEGER', 'bigint'], ['BIGINT', 'numeric'], ['DECIMAL(10,2)', 'numeric(12,2)'],
    ['DECIMAL(9,0)', 'integer'], ['INTEGER', 'double precision'], ['DOUBLE', 'double precision'], ['DATE', 'timestamp without time zone'],
    ['TIMESTAMP', 'timestamp(3) without time zone'], ['VARCHAR', 'integer'], ['VARCHAR', 'date'], ['BIGINT', 'text'], ['STRUCT(a INTEGER)', 'jsonb'],
    ['BOOLEAN', 'boolean'], ['UUID', 'uuid'], ['INTEGER', 'character varying(10)'], ['VARCHAR', 'inet'], ['INTEGER', 'mood'],
  ];
  for (const [duck, pg] of ok) assert.equal(writable(duck, col(pg)), true, `${duck} into ${pg}`);
  const conflicts: [string, string][] = [
    ['BIGINT', 'integer'], ['INTEGER', 'smallint'], ['DECIMAL(18,4)', 'numeric(10,2)'], ['DECIMAL(10,4)', 'numeric(12,2)'], ['BIGINT', 'numeric(10,0)'],
    ['DOUBLE', 'integer'], ['DOUBLE', 'real'], ['DOUBLE', 'numeric(10,2)'], ['DATE', 'integer'], ['BOOLEAN', 'date'], ['TIMESTAMP', 'date'],
    ['INTEGER', 'boolean'], ['STRUCT(a INTEGER)', 'integer'], ['INTEGER[]', 'integer'], ['HUGEINT', 'bigint'], ['UBIGINT', 'bigint'],
  ];
  for (const [duck, pg] of conflicts) assert.equal(writable(duck, col(pg)), false, `${duck} into ${pg}`);
  assert.equal(writable('INTEGER[]', col('integer[]', true)), true);
  assert.equal(writable('INTEGER', col('integer[]', true)), false);
});

const columns = [{ name: 'id', type: 'INTEGER' }, { name: 'label', type: 'VARCHAR' }, { name: 'extra', type: 'DATE' }];
const table = new Map([['id', col('integer')], ['label', col('text')], ['note', col('text')], ['ferry_run', col('text')]]);

test('planColumns: evolve adds, discard_columns leaves out, freeze fails naming the columns; missing ones are listed', () => {
  assert.deepEqual(planColumns(columns, table, 'evolve', 'sink db, table s.t', ['ferry_run']), {
    load: columns, add: [columns[2]], discarded: [], missing: ['note'],
  });
  assert.deepEqual(planColumns(columns, table, 'discard_columns', 'sink db, table s.t'), {
    load: columns.slice(0, 2), add: [], discarded: ['extra'], missing: ['note', 'ferry_run'],
  });
  assert.throws(() => planColumns(columns, table, 'freeze', 'sink db, table s.t'), (err: unknown) =>
    err instanceof FerryError && err.code === 'CONFIG' && err.message.startsWith('sink db, table s.t: the dataset has column extra (DATE) that the table lacks, and the sink has schema: freeze; nothing was written'));
  assert.deepEqual(planColumns(columns, undefined, 'freeze', 'x'), { load: columns, add: [], discarded: [], missing: [] }, 'a table created from the dataset');
});

test('a type conflict names the column and both types', () => {
  assert.throws(() => planColumns([{ name: 'id', type: 'BIGINT' }], table, 'evolve', 'sink db, table s.t'), (err: unknown) =>
    err instanceof FerryError && err.code === 'CONFIG' && err.message === "sink db, table s.t: column id is BIGINT in the dataset but integer in the table, which cannot hold every value of that type (the check is by type, not by the values); nothing was written. Cast it in a transform, or change the table's column type");
});

test('spec: the default schema policy is evolve; mode options are checked', () => {
  const parse = (extra: Record<string, unknown>) => postgresSink.schema.safeParse({ type: 'postgres', connection: 'w', input: 'd', table: 's.t', ...extra });
  const plain = parse({});
  assert.ok(plain.success);
  assert.equal(plain.data.schema, 'evolve');
  assert.equal(plain.data.mode, 'append');
  const messages = (extra: Record<string, unknown>) => { const r = parse(extra); return r.success ? [] : r.error.issues.map((i) => i.message); };
  assert.deepEqual(messages({ mode: 'merge' }), ['mode merge needs merge_keys: [column, …] (or keys)']);
  assert.deepEqual(messages({ mode: 'merge', keys: ['day'] }), []);
  assert.deepEqual(messages({ mode: 'append', modified_column: 'm' }), ['modified_column is for mode upsert']);
  assert.deepEqual(messages({ mode: 'upsert', keys: ['id'], merge_keys: ['day'] }), ['merge_keys is for mode merge']);
  assert.deepEqual(messages({ schema: 'strict' }).length, 1);
});

test('spec: table names are taken as written; a quoted name is refused saying how to write it', () => {
  const parse = (table: string) => postgresSink.schema.safeParse({ type: 'postgres', connection: 'w', input: 'd', table });
  assert.equal(parse('retail.Orders').success, true);
  const quoted = parse('retail."Orders"');
  assert.equal(quoted.success, false);
  assert.match(quoted.error!.issues[0]!.message, /^expected table or schema\.table \(letters, digits, _ and \$, without quotes\)$/);
  assert.match(postgresSink.schema.shape.table.description ?? '', /case included: Orders is the table "Orders", not orders/);
});
