/** API records typed from what they held: text with a zone is an instant (TIMESTAMPTZ), not a naive TIMESTAMP. */
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine } from '../../../src/table/engine.js';
import { parseJsonText, type JsonNode } from '../../../src/connect/json-text.js';
import { recordsToNdjson, pageToNdjson, loadRecords, RecordShapeError, type StatsMap } from '../../../src/connect/json-records.js';

let dir: string;
let engine: TableEngine;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-records-'));
  engine = await TableEngine.open(join(dir, 'engine'));
});
after(async () => {
  engine.close();
  await rm(dir, { recursive: true, force: true });
});

it('API text ending in Z or an offset is TIMESTAMPTZ (the instant); naive text stays TIMESTAMP', async () => {
  const stats: StatsMap = {};
  const page = parseJsonText('[{"z":"2024-03-10T23:30:00Z","o":"2024-03-10T23:30:00+02:00","n":"2024-03-10T23:30:00"}]') as JsonNode & { kind: 'array' };
  const file = join(dir, 'page-1.ndjson');
  await writeFile(file, `${recordsToNdjson(page, 'json', stats).join('\n')}\n`);
  await loadRecords(engine, 'api', [file], stats);
  assert.deepEqual((await engine.columns('api')).map((c) => `${c.name} ${c.type}`), ['z TIMESTAMP WITH TIME ZONE', 'o TIMESTAMP WITH TIME ZONE', 'n TIMESTAMP']);
  assert.deepEqual(await engine.rows('SELECT epoch(z) AS z, epoch(o) AS o FROM api'), [{ z: 1710113400, o: 1710106200 }]);
});

it('a column mixing Z and +02:00 is TIMESTAMPTZ too; text that is not all zoned times stays VARCHAR', async () => {
  const stats: StatsMap = {};
  const page = parseJsonText(`[{"w":"2024-03-10T23:30:00Z","s":"2024-03-10T23:30:00Z","f":"2024-03-10 02:30:00.123456+00"},
    {"w":"2024-03-10T23:30:00+02:00","s":"soon","f":null}]`) as JsonNode & { kind: 'array' };
  const file = join(dir, 'page-2.ndjson');
  await writeFile(file, `${recordsToNdjson(page, 'json', stats).join('\n')}\n`);
  await loadRecords(engine, 'mixed', [file], stats);
  assert.deepEqual((await engine.columns('mixed')).map((c) => `${c.name} ${c.type}`), ['w TIMESTAMP WITH TIME ZONE', 's VARCHAR', 'f TIMESTAMP WITH TIME ZONE']);
  assert.deepEqual(await engine.rows('SELECT epoch(w) AS w, s, epoch_us(f) AS f FROM mixed'), [
    { w: 1710113400, s: '2024-03-10T23:30:00Z', f: 1710037800123456 },
    { w: 1710106200, s: 'soon', f: null },
  ]);
});

it('a number with an exponent beside a long fraction keeps every digit (DECIMAL, not DOUBLE)', async () => {
  const stats: StatsMap = {};
  const page = parseJsonText('[{"a":0.12345678901234567890123,"b":1.5e3,"i":18446744073709551617},{"a":-1.5e3,"b":2e-5,"i":1e3}]') as JsonNode & { kind: 'array' };
  const file = join(dir, 'page-exp.ndjson');
  await writeFile(file, `${recordsToNdjson(page, 'json', stats).join('\n')}\n`);
  await loadRecords(engine, 'exp', [file], stats);
  assert.deepEqual((await engine.columns('exp')).map((c) => `${c.name} ${c.type}`), ['a DECIMAL(27,23)', 'b DOUBLE', 'i DECIMAL(20,0)']);
  assert.deepEqual(await engine.rows('SELECT a::VARCHAR AS a, b, i::VARCHAR AS i FROM exp'), [
    { a: '0.12345678901234567890123', b: 1500, i: '18446744073709551617' },
    { a: '-1500.00000000000000000000000', b: 0.00002, i: '1000' },
  ]);
});

it('nested: flatten refuses two fields that become one column (a_b and a.b) instead of keeping one of them', () => {
  const page = (text: string) => parseJsonText(text) as JsonNode & { kind: 'array' };
  assert.throws(() => pageToNdjson(page('[{"id":1},{"a_b":1,"a":{"b":2}}]'), 'flatten', {}), (err: unknown) => err instanceof RecordShapeError && err.field === 'nested'
    && err.message === "record 2 has both 'a_b' and 'a.b', which nested: flatten both turns into column 'a_b'; rename one upstream or use nested: json");
  // A duplicate key is not a collision: the last one wins, as with JSON.parse.
  assert.deepEqual(pageToNdjson(page('[{"a":{"b":1},"a":{"b":2}}]'), 'flatten', {}).lines, ['{"a_b":"2"}']);
  assert.deepEqual(pageToNdjson(page('[{"a_b":1,"a":{"b":2}}]'), 'json', {}).lines, ['{"a_b":"1","a":"{\\"b\\":2}"}']);
});

it('a record field named like a column Ferry adds (_orders_id, _index, a for_each column) fails instead of being overwritten', () => {
  const page = (text: string) => parseJsonText(text) as JsonNode & { kind: 'array' };
  const children = () => [{ field: 'items', key: 'id', keyColumn: '_orders_id', stats: {} }];
  assert.throws(() => pageToNdjson(page('[{"id":1,"items":[{"sku":"a"},{"_index":7}]}]'), 'json', {}, { children: children() }),
    (err: unknown) => err instanceof RecordShapeError && err.field === 'children' && err.message === "record 1 has items[1] with its own field '_index', the column Ferry adds to child rows (children)");
  assert.throws(() => pageToNdjson(page('[{"id":1},{"id":2,"_customers_id":9}]'), 'json', {}, { append: [['_customers_id', '2']] }),
    (err: unknown) => err instanceof RecordShapeError && err.field === 'for_each' && err.message === "record 2 has its own field '_customers_id', the column for_each adds from the parent row");
  assert.deepEqual(pageToNdjson(page('[{"id":1,"items":[{"sku":"a"}]}]'), 'json', {}, { children: children() }).children, [['{"_orders_id":"1","_index":"0","sku":"a"}']]);
});
