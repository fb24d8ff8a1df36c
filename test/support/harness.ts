/**
 * Shared set-up for integration tests: the real Temporal dev server, PostgreSQL and MinIO (started by
 * scripts/test.sh through scripts/services.sh), a demo API and a worker started by the test itself.
 *
 *   const h = await startHarness();           // demo API + in-process worker on a fresh task queue
 *   const { report } = await h.run('config/pipelines/retail.yaml');
 *   await h.stop();
 */
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { connectClient, startRun } from '../../src/client.js';
import { createWorker } from '../../src/worker.js';
import { loadPipeline, loadConnections } from '../../src/pipeline/load.js';
import { planOf } from '../../src/cli/start.js';
import { resolveConnection } from '../../src/connect/connections.js';
import { pgPool, closePgPools } from '../../src/connect/pg.js';
import { s3Client } from '../../src/connect/s3.js';
import { LocalStagingStore, type StagingStore } from '../../src/staging/store.js';
import { startDemoApi, type DemoApi } from '../../examples/retail/api.js';
import { seedRetail } from '../../examples/retail/seed.js';
import type { RunReport } from '../../src/run.js';

export const RETAIL = 'config/pipelines/retail.yaml';

/** The environment every test shares: services from scripts/services.sh, database `test`. */
export function testEnv(): NodeJS.ProcessEnv {
  process.env.FERRY_PG_DATABASE ??= 'test';
  process.env.FERRY_LOG_LEVEL ??= 'ERROR'; // expected activity failures would otherwise be logged as warnings
  process.env.S3_ENDPOINT ??= 'http://127.0.0.1:9000';
  process.env.AWS_ACCESS_KEY_ID ??= 'ferry';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'ferry-secret';
  return process.env;
}

export const randomId = (): string => randomBytes(4).toString('hex');

export type HarnessOptions = { ingestDelayMs?: number; inProcessWorker?: boolean; staging?: StagingStore };

export async function startHarness(options: HarnessOptions = {}) {
  testEnv();
  const token = `demo-token-${randomId()}${randomId()}`;
  const api: DemoApi = await startDemoApi({ token, ingestDelayMs: options.ingestDelayMs });
  process.env.DEMO_API_TOKEN = token;
  process.env.DEMO_API_URL = api.url;
  const taskQueue = `ferry-test-${randomId()}`;
  const client: Client = await connectClient();

  let stopWorker = async () => undefined as void;
  if (options.inProcessWorker !== false) {
    // Relative staging root: histories recorded here carry no machine paths.
    const { worker, connection } = await createWorker({ taskQueue, staging: options.staging ?? new LocalStagingStore('.ferry/test-staging') });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await connection.close();
    };
  }

  const h = {
    api,
    token,
    taskQueue,
    client,
    /** Starts a pipeline through the same path as `ferry run` (validate, then start). */
    async start(file: string, params: Record<string, string> = {}, id = `test-${randomId()}`): Promise<WorkflowHandle> {
      const loaded = await loadPipeline(file, { params });
      return startRun(client, planOf(loaded), { id, taskQueue });
    },
    async run(file: string, params: Record<string, string> = {}): Promise<{ handle: WorkflowHandle; report: RunReport }> {
      const handle = await h.start(file, params);
      return { handle, report: (await handle.result()) as RunReport };
    },
    async sql<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
      const pool = pgPool(resolveConnection(await connections(), 'warehouse', 'postgres'));
      return (await pool.query(text, values)).rows as T[];
    },
    async s3Text(bucket: string, key: string): Promise<string | undefined> {
      const s3 = s3Client(resolveConnection(await connections(), 'lake', 's3'));
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await res.Body!.transformToString();
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
        throw err;
      }
    },
    async s3Delete(bucket: string, key: string): Promise<void> {
      const s3 = s3Client(resolveConnection(await connections(), 'lake', 's3'));
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    /** Resets the example: source tables and object seeded, every sink emptied. */
    async seed(salesFile?: string): Promise<void> {
      await seedRetail({ reset: true, salesFile });
      await h.s3Delete('ferry-demo', 'curated/sales_enriched.csv');
      api.received.length = 0;
      api.posts = 0;
    },
    async waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
      const until = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
        await sleep(100);
      }
    },
    async stop(): Promise<void> {
      await stopWorker();
      await api.close();
      await client.connection.close();
      await closePgPools();
    },
  };
  return h;
}

const connections = () => loadConnections('config/connections.yaml');

/** The rows the retail example must deliver, in sale_id order (see examples/retail/data). */
export const RETAIL_ROWS = [
  ['S001', '2024-01-05', 'C01', 'Ada Lovelace', 'GB', 'P01', 'Widget', 'hardware', 2, '39.98', 'USD', '39.98', 'card', 'settled'],
  ['S002', '2024-01-05', 'C02', 'Grace Hopper', 'US', 'P02', 'Gadget', 'hardware', 1, '15.50', 'EUR', '17.05', 'paypal', 'settled'],
  ['S003', '2024-01-06', 'C03', 'Alan Turing', 'GB', 'P03', 'Field Manual', 'books', 1, '120.00', 'GBP', '150.00', 'card', 'settled'],
  ['S004', '2024-01-07', 'C01', 'Ada Lovelace', 'GB', 'P02', 'Gadget', 'hardware', 3, '46.50', 'EUR', '51.15', 'card', 'refunded'],
  ['S006', '2024-01-08', 'C05', 'Katherine Johnson', 'US', 'P01', 'Widget', 'hardware', 1, '19.99', 'USD', '19.99', 'card', 'settled'],
  ['S007', '2024-01-09', 'C02', 'Grace Hopper', 'US', 'P05', 'Adapter', 'accessories', 4, '29.00', 'USD', '29.00', 'paypal', 'settled'],
  ['S008', '2024-01-10', 'C06', 'Tim Berners-Lee', 'GB', 'P03', 'Field Manual', 'books', 2, '240.00', 'GBP', '300.00', 'card', 'settled'],
  ['S009', '2024-01-10', 'C03', 'Alan Turing', 'GB', 'P01', 'Widget', 'hardware', 1, '19.99', 'USD', '19.99', 'card', 'settled'],
  ['S010', '2024-01-11', 'C04', 'Hedy Lamarr', 'AT', 'P02', 'Gadget', 'hardware', 2, '31.00', 'EUR', '34.10', 'wire', 'pending'],
] as const;

export const RETAIL_COLUMNS = ['sale_id', 'sale_date', 'customer_id', 'customer_name', 'country', 'product_id', 'product_name', 'category',
  'quantity', 'amount', 'currency', 'amount_usd', 'payment_method', 'status'] as const;

/** The warehouse table as text rows, in the column order above. */
export async function warehouseRows(h: Awaited<ReturnType<typeof startHarness>>): Promise<unknown[][]> {
  const rows = await h.sql(`SELECT ${RETAIL_COLUMNS.map((c) => (c === 'sale_date' ? `to_char(sale_date, 'YYYY-MM-DD') AS sale_date` : c)).join(', ')} FROM retail.sales_enriched ORDER BY sale_id`);
  return rows.map((r) => RETAIL_COLUMNS.map((c) => r[c]));
}

/**
 * A history as searchable text: the JSON plus every payload decoded (payload data is base64 in
 * history JSON, so a plain search would miss a leaked secret).
 */
export function historyText(historyJson: string): string {
  const decoded: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.data === 'string' && o.metadata) decoded.push(Buffer.from(o.data, 'base64').toString('utf8'));
      Object.values(o).forEach(walk);
    }
  };
  walk(JSON.parse(historyJson));
  return `${historyJson}\n${decoded.join('\n')}`;
}

/**
 * Records a run's history for the replay suite (what `ferry history <id> --out FILE` writes), when
 * FERRY_RECORD_HISTORIES=1: worker identities (pid@host) are replaced, and the file is checked to
 * carry no machine path and no secret.
 *
 *   FERRY_RECORD_HISTORIES=1 node --import tsx --test test/integration/retail.test.ts
 */
export async function recordHistory(handle: WorkflowHandle, name: string, secrets: string[]): Promise<string> {
  const history = JSON.parse(historyToJSON(await handle.fetchHistory())) as { events: Record<string, unknown>[] };
  const scrub = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(scrub);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'identity' ? 'ferry-test-worker' : scrub(x)]));
    return v;
  };
  const json = `${JSON.stringify(scrub(history), null, 2)}\n`;
  // Searched: the decoded payloads and everything else, but not the base64 itself (where "/tmp" can occur by chance).
  const text = historyText(json).replace(/"data": "[A-Za-z0-9+/=]*"/g, '');
  for (const path of [process.cwd(), tmpdir(), homedir()]) assert.ok(!text.includes(path), `history ${name} carries the machine path ${path}`);
  for (const secret of secrets.filter(Boolean)) assert.ok(!text.includes(secret), `history ${name} carries a secret`);
  if (process.env.FERRY_RECORD_HISTORIES === '1') await writeFile(new URL(`../replay/histories/${name}.json`, import.meta.url), json);
  return json;
}
