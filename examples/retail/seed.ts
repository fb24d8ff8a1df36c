/**
 * Seeds the retail example: products and transactions into PostgreSQL (schema `retail`), and
 * sales.csv into S3 (bucket ferry-demo). `--reset` also drops what the pipeline delivered.
 *
 *   node --import tsx examples/retail/seed.ts [--reset]
 */
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { loadConnections, findConnectionsFile } from '../../src/pipeline/load.js';
import { resolveConnection } from '../../src/connect/connections.js';
import { pgPool, closePgPools } from '../../src/connect/pg.js';
import { s3Client, uploadFile, ensureBucket } from '../../src/connect/s3.js';

const file = (name: string) => fileURLToPath(new URL(`./data/${name}`, import.meta.url));

export const DEMO_BUCKET = 'ferry-demo';
export const SALES_KEY = 'raw/sales.csv';

export async function seedRetail(options: { reset?: boolean; salesFile?: string; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const env = options.env ?? process.env;
  const connections = await loadConnections(findConnectionsFile('config/pipelines/retail.yaml') ?? 'config/connections.yaml');
  const pool = pgPool(resolveConnection(connections, 'warehouse', 'postgres', env));
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('CREATE SCHEMA IF NOT EXISTS retail');
    await client.query('DROP TABLE IF EXISTS retail.products, retail.transactions');
    if (options.reset) await client.query('DROP TABLE IF EXISTS retail.sales_enriched, retail.ferry_loads');
    await client.query(`CREATE TABLE retail.products (product_id text PRIMARY KEY, name text NOT NULL, category text, unit_price numeric(10,2) NOT NULL, active boolean NOT NULL)`);
    await client.query(`CREATE TABLE retail.transactions (transaction_id text PRIMARY KEY, sale_id text NOT NULL, payment_method text, status text, processed_at timestamp)`);
    await pipeline(createReadStream(file('products.csv')), client.query(copyFrom(`COPY retail.products FROM STDIN WITH (FORMAT csv, HEADER true)`)));
    await pipeline(createReadStream(file('transactions.csv')), client.query(copyFrom(`COPY retail.transactions FROM STDIN WITH (FORMAT csv, HEADER true)`)));
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
  const s3 = s3Client(resolveConnection(connections, 'lake', 's3', env));
  await ensureBucket(s3, DEMO_BUCKET);
  await uploadFile(s3, options.salesFile ?? file('sales.csv'), { bucket: DEMO_BUCKET, key: SALES_KEY }, 'text/csv');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await seedRetail({ reset: process.argv.includes('--reset') });
  await closePgPools();
  process.stdout.write(`seeded retail.products, retail.transactions and s3://${DEMO_BUCKET}/${SALES_KEY}\n`);
}
