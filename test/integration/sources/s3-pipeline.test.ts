/**
 * One pipeline run through Temporal: an s3 source reading a prefix of objects (CSV and gzipped
 * CSV, latin-1 text) into a PostgreSQL table, with the source key of each row; rows checked with
 * psql-level queries. Then the same with fan_out (one activity per object) when the fan-out
 * workflow is in (it reads whole until then: the rows are the same).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, DeleteObjectCommand, DeleteBucketCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import { startHarness, randomId } from '../../support/harness.js';
import { s3Client } from '../../../src/connect/s3.js';
import { resolveConnection } from '../../../src/connect/connections.js';
import { loadConnections } from '../../../src/pipeline/load.js';

const id = randomId();
const bucket = `it7-s3src-e2e-${id}`;
const schema = `it7_s3src_${id}`;
const dir = `.ferry/test-files/s3src-${id}`;
const objects: [string, Buffer][] = [
  ['in/2024-01-01.csv', Buffer.from('id;name;amount\n1;Zoë;10.50\n2;;0\n', 'latin1')],
  ['in/2024-01-02.csv.gz', gzipSync(Buffer.from('id;name;amount\n3;Straße;-3.25\n', 'latin1'))],
  ['in/2024-01-03.csv', Buffer.from('id;name;amount\n4;"";99999999.99\n', 'latin1')],
  ['other/2024-01-01.csv', Buffer.from('id;name;amount\n5;nope;1\n', 'latin1')],
];
let h: Awaited<ReturnType<typeof startHarness>>;
let s3: ReturnType<typeof s3Client>;

before(async () => {
  h = await startHarness();
  s3 = s3Client(resolveConnection(await loadConnections('config/connections.yaml'), 'lake', 's3'));
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const [Key, Body] of objects) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
  await mkdir(dir, { recursive: true });
  for (const [name, fan] of [['whole', ''], ['fanned', 'fan_out: true,']]) {
    await writeFile(`${dir}/${name}.yaml`, `
name: s3src_${name}_${id}
sources:
  sales: { type: s3, connection: lake, bucket: ${bucket}, prefix: in/, ${fan} format: csv, filename_column: _source_key,
           csv: { delimiter: ';', encoding: latin-1 } }
sinks:
  warehouse: { type: postgres, connection: warehouse, input: sales, table: ${schema}.sales_${name}, keys: [id] }
`);
  }
});

after(async () => {
  await h?.stop();
  await h?.sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  for (const [Key] of objects) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key })).catch(() => undefined);
  await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

for (const name of ['whole', 'fanned']) {
  test(`a prefix of objects lands in PostgreSQL with exact rows (${name})`, async () => {
    const { report } = await h.run(`${dir}/${name}.yaml`);
    assert.equal(report.status, 'completed', JSON.stringify(report.error ?? report));
    const rows = await h.sql(`SELECT id::text, name, amount::text, _source_key FROM ${schema}.sales_${name} ORDER BY id`);
    assert.deepEqual(rows, [
      { id: '1', name: 'Zoë', amount: '10.50', _source_key: 'in/2024-01-01.csv' },
      { id: '2', name: null, amount: '0.00', _source_key: 'in/2024-01-01.csv' },
      { id: '3', name: 'Straße', amount: '-3.25', _source_key: 'in/2024-01-02.csv.gz' },
      { id: '4', name: '', amount: '99999999.99', _source_key: 'in/2024-01-03.csv' },
    ]);
  });
}
