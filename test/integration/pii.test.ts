/**
 * The pii step through the real worker: a CSV of customers is protected in standardize, filtered in
 * preprocess and loaded into PostgreSQL. The warehouse gets HMAC-hashed e-mails (checked against
 * node:crypto), masked phones, month-only birth dates, encrypted notes that decrypt with the key,
 * and no SSN; no raw value is in the Parquet staged after ingest, the report or the workflow
 * history, and no key is anywhere.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { startHarness, randomId, historyText } from '../support/harness.js';
import { LocalStagingStore } from '../../src/staging/store.js';
import { TableEngine } from '../../src/table/engine.js';
import { decryptOne } from '../../src/table/pii-crypto.js';
import type { RunReport } from '../../src/run.js';

const HASH_KEY = `hash-${randomBytes(16).toString('hex')}`;
const ENC_KEY = randomBytes(32).toString('base64');
const schema = `pii_${randomId()}`;
const staging = `.ferry/test-staging-pii-${randomId()}`;
let h: Awaited<ReturnType<typeof startHarness>>;
let dir: string;

const CUSTOMERS = [
  ['C1', 'Ana.Silva@Example.com', '+44 20 7946 0958', '123-45-6789', '1984-07-23', 'prefers calls after 6pm', 'active'],
  ['C2', 'bob@example.org', '+1 (212) 555-0198', '234-56-7890', '1990-01-01', 'VIP since 2019', 'active'],
  ['C3', 'carol@example.net', '+49 30 123456789', '345-67-8901', '2000-12-31', 'moved to Berlin', 'closed'],
] as const;
const RAW = CUSTOMERS.flatMap((c) => [c[1], c[1].toLowerCase(), c[2], c[3], c[5]]);

before(async () => {
  process.env.PII_IT_HASH_KEY = HASH_KEY;
  process.env.PII_IT_KEY = ENC_KEY;
  h = await startHarness({ staging: new LocalStagingStore(staging) });
  dir = await mkdtemp(join(tmpdir(), 'ferry-pii-it-'));
  process.env.FERRY_FILE_ROOTS = dir;
  process.env.FERRY_CONNECTIONS = 'config/connections.yaml';
  const csv = ['id,email,phone,ssn,birth_date,notes,status', ...CUSTOMERS.map((c) => c.map((v) => `"${v}"`).join(','))].join('\n');
  await writeFile(join(dir, 'customers.csv'), `${csv}\n`);
  await writeFile(join(dir, 'pipeline.yaml'), `name: pii_it
sources:
  customers: { type: file, path: ${join(dir, 'customers.csv')} }
standardize:
  - type: pii
    input: customers
    hash_key: \${env:PII_IT_HASH_KEY}
    key: \${env:PII_IT_KEY}
    columns:
      email: { hash: { normalize: true } }
      phone: { mask: { keep_last: 4 } }
      ssn: drop
      birth_date: { generalize: month }
      notes: encrypt
preprocess:
  - { type: filter, input: customers, output: active, where: "status = 'active'" }
sinks:
  db: { type: postgres, connection: warehouse, input: active, table: ${schema}.customers }
`);
});

after(async () => {
  await h?.sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
  await rm(staging, { recursive: true, force: true });
  for (const k of ['PII_IT_HASH_KEY', 'PII_IT_KEY', 'FERRY_FILE_ROOTS', 'FERRY_CONNECTIONS']) delete process.env[k];
});

async function parquetFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.parquet')).map((e) => join(e.parentPath, e.name));
}

/** Every value of a Parquet file as text, so a search sees through its compression. */
async function parquetText(engine: TableEngine, file: string): Promise<string> {
  const rows = await engine.rows(`SELECT * FROM read_parquet('${file}')`);
  return JSON.stringify(rows);
}

test('a pii step protects the data end to end; no raw value or key leaves the ingest stage', async () => {
  const { handle, report } = await h.run(join(dir, 'pipeline.yaml'));
  assert.equal(report.status, 'completed', JSON.stringify(report.error));

  const rows = await h.sql<Record<string, string>>(`SELECT id, email, phone, to_char(birth_date, 'YYYY-MM-DD') AS birth_date, notes, status FROM ${schema}.customers ORDER BY id`);
  const hmac = (v: string) => createHmac('sha256', HASH_KEY).update(v.trim().toLowerCase()).digest('hex');
  assert.deepEqual(rows.map((r) => ({ ...r, notes: decryptOne({ default: Buffer.from(ENC_KEY, 'base64') }, r.notes!) })), [
    { id: 'C1', email: hmac('Ana.Silva@Example.com'), phone: '************0958', birth_date: '1984-07-01', notes: 'prefers calls after 6pm', status: 'active' },
    { id: 'C2', email: hmac('bob@example.org'), phone: '*************0198', birth_date: '1990-01-01', notes: 'VIP since 2019', status: 'active' },
  ]);
  for (const r of rows) assert.match(r.notes!, /^ferry:v1:default:/);
  const columns = await h.sql<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'customers' ORDER BY ordinal_position`);
  assert.ok(!columns.some((c) => c.column_name === 'ssn'), 'ssn was dropped');

  // The staged Parquet: the raw values are in what ingest staged (the search works), in nothing after it.
  const files = await parquetFiles(staging);
  const engine = await TableEngine.open(await mkdtemp(join(tmpdir(), 'ferry-pii-read-')), { allowDirectories: [staging] });
  try {
    const ingest = files.filter((f) => f.includes('/ingest/'));
    const later = files.filter((f) => !f.includes('/ingest/'));
    assert.ok(ingest.length >= 1 && later.length >= 2, `staged files: ${files.join(', ')}`);
    assert.ok((await parquetText(engine, ingest[0]!)).includes('Ana.Silva@Example.com'), 'ingest staged the raw data');
    for (const f of later) {
      const text = await parquetText(engine, f);
      for (const raw of RAW) assert.ok(!text.includes(raw), `${f} holds a raw value`);
    }
  } finally {
    engine.close();
  }

  // The report and the workflow history: no raw value, no key.
  const reportText = JSON.stringify(report as RunReport);
  const history = historyText(historyToJSON(await handle.fetchHistory()));
  assert.ok(history.includes('${env:PII_IT_HASH_KEY}'), 'the history holds the reference, which is what is searched next to');
  for (const secret of [HASH_KEY, ENC_KEY, ...RAW]) {
    assert.ok(!reportText.includes(secret), 'the report holds a raw value or a key');
    assert.ok(!history.includes(secret), 'the history holds a raw value or a key');
  }
});
