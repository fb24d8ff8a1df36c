/**
 * A dated run reads and writes its own day's data, on the real services: `ferry run --date
 * 2024-01-05` (a CLI process) and `startRun` with the time of 2024-01-04 run one pipeline whose file
 * source path, postgres query, http query parameter, file sink path and s3 sink key use the run's
 * date; each day's outputs hold exactly that day's rows.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, randomId } from '../support/harness.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { planOf, startRun } from '../../src/cli/start.js';
import type { RunReport } from '../../src/run.js';
import { ferry } from '../support/ferry-cli.js';

let h: Awaited<ReturnType<typeof startHarness>>;
let dir: string;
let api: Server;
const asked: string[] = [];
const suffix = randomId();
const schema = `dates_${suffix}`;
const pipeline = `dated-${suffix}`;
const prefix = `run-dates-${suffix}`;

const EVENTS: Record<string, { id: number; kind: string }[]> = {
  '2024-01-04': [{ id: 1, kind: 'open' }],
  '2024-01-05': [{ id: 2, kind: 'open' }, { id: 3, kind: 'close' }],
};

before(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'ferry-run-dates-'));
  process.env.FERRY_FILE_ROOTS = dir;
  api = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    asked.push(`${url.pathname}${url.search}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: EVENTS[url.searchParams.get('day') ?? ''] ?? [] }));
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const connections = await readFile('config/connections.yaml', 'utf8');
  await writeFile(join(dir, 'connections.yaml'), `${connections}\nevents_api:\n  type: http\n  base_url: http://127.0.0.1:${(api.address() as AddressInfo).port}\n`);
  process.env.FERRY_CONNECTIONS = join(dir, 'connections.yaml');

  for (const [day, rows] of [['2024-01-04', 'O1,4.00\n'], ['2024-01-05', 'O2,5.00\nO3,5.50\n']] as const) {
    await mkdir(join(dir, 'in', day), { recursive: true });
    await writeFile(join(dir, 'in', day, 'orders.csv'), `order_id,amount\n${rows}`);
  }
  await h.sql(`CREATE SCHEMA ${schema}`);
  await h.sql(`CREATE TABLE ${schema}.sales (day date, sale_id text, amount numeric(10,2))`);
  await h.sql(`INSERT INTO ${schema}.sales VALUES ('2024-01-04','S1',1.00), ('2024-01-05','S2',2.00), ('2024-01-05','S3',3.00), ('2024-01-06','S4',4.00)`);
  await writeFile(join(dir, 'pipeline.yaml'), `name: ${pipeline}
sources:
  orders: { type: file, path: '${dir}/in/{run_date}/orders.csv' }
  sales:
    type: postgres
    connection: warehouse
    query: SELECT sale_id, amount FROM ${schema}.sales WHERE day = '\${run.date}' ORDER BY sale_id
  events: { type: http, connection: events_api, path: /events, query: { day: '\${run.date}' }, records: data }
sinks:
  orders_out: { type: file, input: orders, path: '${dir}/out/{run_date}/orders.csv' }
  events_out: { type: file, input: events, path: '${dir}/out/\${run.date_nodash}-events.csv' }
  sales_out: { type: s3, connection: lake, input: sales, bucket: ferry-demo, create_bucket: true, key: '${prefix}/{run_date}/sales-{run_time}.csv' }
`);
});
after(async () => {
  for (const day of ['2024-01-04', '2024-01-05']) await h?.s3Delete('ferry-demo', `${prefix}/${day}/sales-${day.replaceAll('-', '')}T000000Z.csv`).catch(() => undefined);
  await h?.sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await h?.stop();
  await new Promise((resolve) => api?.close(resolve));
  await rm(dir, { recursive: true, force: true });
  delete process.env.FERRY_FILE_ROOTS;
  delete process.env.FERRY_CONNECTIONS;
});


async function outputsOf(day: string) {
  const nodash = day.replaceAll('-', '');
  return {
    orders: await readFile(join(dir, 'out', day, 'orders.csv'), 'utf8'),
    events: await readFile(join(dir, 'out', `${nodash}-events.csv`), 'utf8'),
    sales: await h.s3Text('ferry-demo', `${prefix}/${day}/sales-${nodash}T000000Z.csv`),
  };
}

test('`ferry run --date 2024-01-05` reads and writes exactly that day', async () => {
  const res = await ferry(['run', join(dir, 'pipeline.yaml'), '--date', '2024-01-05', '--wait', '--task-queue', h.taskQueue]);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  const id = `${pipeline}-2024-01-05T00:00:00Z`;
  assert.ok(res.stdout.startsWith(`started ${pipeline} as ${id}\n`), res.stdout);
  assert.deepEqual(await outputsOf('2024-01-05'), {
    orders: 'order_id,amount\nO2,5.00\nO3,5.50\n',
    events: 'id,kind\n2,open\n3,close\n',
    sales: 'sale_id,amount\nS2,2.00\nS3,3.00\n',
  });
  assert.deepEqual(asked, ['/events?day=2024-01-05']);
  const report = (await h.client.workflow.getHandle(id).result()) as RunReport;
  assert.deepEqual(report.run, { key: id, time: '2024-01-05T00:00:00.000Z', date: '2024-01-05', timezone: 'UTC', trigger: 'cli' });
  assert.deepEqual(report.sinks.map((s) => [s.sink, s.target, s.rows]), [
    ['orders_out', join(dir, 'out', '2024-01-05', 'orders.csv'), 2],
    ['events_out', join(dir, 'out', '20240105-events.csv'), 2],
    ['sales_out', `s3://ferry-demo/${prefix}/2024-01-05/sales-20240105T000000Z.csv`, 2],
  ]);
});

test('startRun with the time of another day: that day, and the first day left as it was', async () => {
  const loaded = await loadPipeline(join(dir, 'pipeline.yaml'));
  const handle = await startRun(h.client, planOf(loaded), { time: '2024-01-04T00:00:00.000Z', taskQueue: h.taskQueue });
  assert.equal(handle.workflowId, `${pipeline}-2024-01-04T00:00:00Z`);
  const report = (await handle.result()) as RunReport;
  assert.equal(report.status, 'completed');
  assert.deepEqual(await outputsOf('2024-01-04'), {
    orders: 'order_id,amount\nO1,4.00\n',
    events: 'id,kind\n1,open\n',
    sales: 'sale_id,amount\nS1,1.00\n',
  });
  assert.equal((await outputsOf('2024-01-05')).orders, 'order_id,amount\nO2,5.00\nO3,5.50\n');
  assert.deepEqual(asked.slice(1), ['/events?day=2024-01-04']);
});
