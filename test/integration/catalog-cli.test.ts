/**
 * The versioned catalog end to end through `ferry` (child processes), local staging: two runs of a
 * pipeline with different data, then `catalog list`, `versions`, `show --limit 2` (exact rows),
 * `diff --rows --key id` (exact changes); a pipeline reading `type: catalog` version 1 delivers
 * exactly version 1's rows (EXCEPT in PostgreSQL); retention `keep: 2` after more runs leaves two
 * versions with data plus the pinned one, and deletes exactly the pruned version's files.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile, rm, access } from 'node:fs/promises';
import { join } from 'node:path';
import { startHarness, randomId } from '../support/harness.js';
import { ferry } from '../support/ferry-cli.js';
import { LocalStagingStore } from '../../src/staging/store.js';

const id = randomId();
const dir = join('.ferry', `catalog-${id}`); // inside the working directory: file sources may read it
const staging = join('.ferry', `test-catalog-${id}`);
const pipeline = `catalog-${id}`;
const schema = `catalog_${id}`;
const env = { FERRY_STAGING: staging, FERRY_CONNECTIONS: 'config/connections.yaml' };
const v = (n: number) => `${pipeline}-v${n}`;

let h: Awaited<ReturnType<typeof startHarness>>;
before(async () => {
  await mkdir(dir, { recursive: true });
  h = await startHarness({ staging: new LocalStagingStore(staging) });
  await writeFile(join(dir, 'a.yaml'), `name: ${pipeline}
sources:
  items: { type: file, path: ${dir}/items.csv }
standardize:
  - { type: filter, input: items, where: "amount >= 0" }
sinks:
  out: { type: postgres, connection: warehouse, input: items, table: ${schema}.items, mode: replace }
settings:
  catalog: { keep: 2 }
`);
  await writeFile(join(dir, 'c.yaml'), `name: ${pipeline}-replay
sources:
  items: { type: catalog, dataset: items, pipeline: ${pipeline}, version: ${v(1)} }
sinks:
  out: { type: postgres, connection: warehouse, input: items, table: ${schema}.replay, mode: replace }
`);
});
after(async () => {
  await h?.sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
  await rm(staging, { recursive: true, force: true });
});

async function runA(n: number, csv: string): Promise<void> {
  await writeFile(join(dir, 'items.csv'), csv);
  const res = await ferry(['run', join(dir, 'a.yaml'), '--id', v(n), '--wait', '--task-queue', h.taskQueue], env);
  assert.equal(res.code, 0, res.stderr);
}

const catalog = async (...args: string[]) => {
  const res = await ferry(['catalog', ...args], env);
  return { ...res, lines: res.stdout.split('\n') };
};
const exists = (path: string) => access(path).then(() => true, () => false);

test('two runs, then list, versions, show, diff; a catalog source reproduces version 1; retention keeps 2 plus the pinned one', async () => {
  await runA(1, 'id,name,amount\n1,apple,1.5\n2,banana,2.25\n3,cherry,-1\n4,date,4\n');
  await h.sql(`CREATE TABLE ${schema}.v1 AS SELECT * FROM ${schema}.items`);
  await runA(2, 'id,name,amount\n2,banana,2.5\n4,date,4\n5,elder,5\n');

  const list = await catalog('list');
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.lines[0], `catalog at ${staging}: 1 dataset`);
  assert.match(list.lines[1]!, /^ {2}PIPELINE +DATASET +LATEST +ROWS +RUN TIME +VERSIONS$/);
  assert.match(list.lines[2]!, new RegExp(`^  ${pipeline} +items +${v(2)} +3 +\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z +2$`));

  const versions = await catalog('versions', 'items');
  assert.equal(versions.code, 0, versions.stderr);
  assert.equal(versions.lines[0], `items of ${pipeline}: 2 versions, newest first`);
  assert.match(versions.lines[2]!, new RegExp(`^  ${v(2)} +completed +3 +\\S+ +[0-9a-f]{12} +latest$`));
  assert.match(versions.lines[3]!, new RegExp(`^  ${v(1)} +completed +3 +\\S+ +[0-9a-f]{12}$`));

  const show = await catalog('show', 'items', '--version', v(1), '--limit', '2');
  assert.equal(show.code, 0, show.stderr);
  const out = show.stdout;
  assert.ok(out.startsWith(`items of ${pipeline}, version ${v(1)}\n  status     completed\n`), out);
  assert.match(out, /\n {2}stages +ingest 4 → standardize 3\n/);
  assert.match(out, new RegExp(`\\n {2}delivered +out → postgres ${schema}\\.items \\(3 rows\\)\\n`));
  assert.match(out, /\nlineage\n {2}sources +items \(file\)\n {2}steps +standardize\[0\] filter\n/);
  assert.match(out, /\nschema and profile\n {2}COLUMN +TYPE +NULLS +DISTINCT +MIN +MAX +MEAN\n {2}id +BIGINT +0 +3 +1 +4 +2.33333\n {2}name +VARCHAR +0 +3 +apple +date\n {2}amount +DECIMAL\(3,2\) +0 +3 +1.5 +4 +2.58333\n/);
  assert.ok(out.endsWith('first 2 of 3 rows\n  id  name    amount\n  1   apple   1.50\n  2   banana  2.25\n'), out);

  const diff = await catalog('diff', 'items', v(1), v(2), '--rows', '--key', 'id');
  assert.equal(diff.code, 0, diff.stderr);
  assert.equal(diff.stdout, [
    `items of ${pipeline}: ${v(1)} → ${v(2)}`,
    '',
    'schema',
    '  ~ amount DECIMAL(3,2) → DECIMAL(2,1)',
    '',
    'rows 3 → 3 (+0)',
    '',
    'statistics',
    '  COLUMN  STAT  FROM     TO',
    '  id      mean  2.33333  3.66667',
    '  id      min   1        2',
    '  id      max   4        5',
    '  name    min   apple    banana',
    '  name    max   date     elder',
    '  amount  mean  2.58333  3.83333',
    '  amount  min   1.5      2.5',
    '  amount  max   4        5',
    '',
    'rows by id: 1 added, 1 removed, 1 changed, 1 unchanged',
    '  + id=5 name=elder amount=5.0',
    '  - id=1 name=apple amount=1.50',
    '  ~ id=2: amount 2.25 → 2.5',
    '',
  ].join('\n'));
  const noKey = await catalog('diff', 'items', v(1), v(2), '--rows');
  assert.equal(noKey.code, 1);
  assert.equal(noKey.stderr, 'error: --rows compares rows by key: pass --key <column>[,<column>] (a column that identifies a row, e.g. --key id)\n');
  const missing = await catalog('show', 'items', '--version', `${pipeline}-v9`);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `error: dataset ${pipeline}/items has no version ${pipeline}-v9; nearest: ${v(2)}, ${v(1)}\n`);

  // Reproducible: a pipeline reading version 1 from the catalog delivers exactly its rows.
  const replay = await ferry(['run', join(dir, 'c.yaml'), '--id', `${pipeline}-replay-1`, '--wait', '--task-queue', h.taskQueue], env);
  assert.equal(replay.code, 0, replay.stderr);
  const [cmp] = await h.sql<{ a: string; b: string; n: string }>(`SELECT
    (SELECT count(*) FROM (SELECT * FROM ${schema}.v1 EXCEPT ALL SELECT * FROM ${schema}.replay) x) AS a,
    (SELECT count(*) FROM (SELECT * FROM ${schema}.replay EXCEPT ALL SELECT * FROM ${schema}.v1) y) AS b,
    (SELECT count(*) FROM ${schema}.replay) AS n`);
  assert.deepEqual([Number(cmp!.a), Number(cmp!.b), Number(cmp!.n)], [0, 0, 3]);
  const ambiguous = await catalog('versions', 'items');
  assert.equal(ambiguous.code, 1);
  assert.equal(ambiguous.stderr, `error: dataset items is in several pipelines (${pipeline}, ${pipeline}-replay): name one with --pipeline\n`);

  // Retention: v1 pinned; two more runs with keep 2 prune v2 only (its files, not v1's).
  const pin = await catalog('pin', 'items', v(1), '--pipeline', pipeline);
  assert.equal(pin.code, 0, pin.stderr);
  await runA(3, 'id,name,amount\n7,fig,7.25\n');
  await runA(4, 'id,name,amount\n8,grape,8.25\n');
  const after4 = await catalog('versions', 'items', '--pipeline', pipeline);
  const rows = after4.lines.slice(2, -1).map((l) => { const c = l.trim().split(/ {2,}/); return [c[0], c.at(-1)]; });
  assert.deepEqual(rows, [[v(4), 'latest'], [v(3), rows[1]![1]], [v(2), rows[2]![1]], [v(1), 'pinned']]);
  assert.match(rows[2]![1]!, /^pruned \d{4}-\d\d-\d\d \(data deleted\)$/);
  assert.equal(await exists(join(staging, pipeline, v(2), 'standardize', 'items.parquet')), false);
  assert.equal(await exists(join(staging, pipeline, v(2), 'ingest', 'items.parquet')), false);
  for (const n of [1, 3, 4]) assert.equal(await exists(join(staging, pipeline, v(n), 'standardize', 'items.parquet')), true, `v${n}`);
  const prunedShow = await catalog('diff', 'items', v(1), v(2), '--rows', '--key', 'id', '--pipeline', pipeline);
  assert.equal(prunedShow.code, 1);
  assert.match(prunedShow.stderr, /was pruned \(retention \(keep 2\) after .*-v[34]\): its rows are gone/);
});
