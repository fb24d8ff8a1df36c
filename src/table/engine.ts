/**
 * The table engine: an in-process DuckDB database per activity, spilling to disk when data is larger
 * than memory. Datasets are DuckDB tables or views; they enter and leave as Parquet files.
 *
 *   const t = await TableEngine.open(workdir);
 *   await t.loadParquet('sales', 'staging/sales.parquet');
 *   await t.run(`CREATE TABLE big AS SELECT * FROM sales WHERE amount > 100`);
 *   const stats = await t.exportParquet('big', 'out/big.parquet');
 *   t.close();
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { totalmem } from 'node:os';
import { once } from 'node:events';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

export type Column = { name: string; type: string };
export type FileStats = { rows: number; bytes: number; columns: Column[]; sha256: string };
export type Row = Record<string, unknown>;

/** Quotes an SQL identifier: ident('order date') → "order date". */
export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** An SQL literal for strings, numbers, booleans and null. */
export function lit(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return `'${String(value).replace(/'/g, "''")}'`;
}

export class TableEngine {
  private tempCounter = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
    readonly workdir: string,
  ) {}

  static async open(workdir: string, options: { memoryLimit?: string; threads?: number } = {}): Promise<TableEngine> {
    await mkdir(join(workdir, 'spill'), { recursive: true });
    const instance = await DuckDBInstance.create(':memory:', {
      temp_directory: join(workdir, 'spill'),
      memory_limit: options.memoryLimit ?? defaultMemoryLimit(),
      ...(options.threads ? { threads: String(options.threads) } : {}),
      // Ferry runs offline-capable: never try to download an extension at run time.
      autoinstall_known_extensions: 'false',
    });
    return new TableEngine(instance, await instance.connect(), workdir);
  }

  async run(sql: string, params?: DuckDBValue[]): Promise<void> {
    await this.conn.run(sql, params);
  }

  async rows(sql: string, params?: DuckDBValue[]): Promise<Row[]> {
    const reader = await this.conn.runAndReadAll(sql, params);
    return reader.getRowObjectsJS().map(normalizeRow);
  }

  async columns(dataset: string): Promise<Column[]> {
    const reader = await this.conn.runAndReadAll(`DESCRIBE ${ident(dataset)}`);
    return reader.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  }

  async count(dataset: string): Promise<number> {
    const [row] = await this.rows(`SELECT count(*) AS n FROM ${ident(dataset)}`);
    return Number(row?.n ?? 0);
  }

  async exists(dataset: string): Promise<boolean> {
    const rows = await this.rows(`SELECT 1 FROM duckdb_tables() WHERE table_name = $1 UNION ALL SELECT 1 FROM duckdb_views() WHERE view_name = $1`, [dataset]);
    return rows.length > 0;
  }

  /** True for a materialized table (which has a rowid), false for a view. */
  async isTable(dataset: string): Promise<boolean> {
    return (await this.rows(`SELECT 1 FROM duckdb_tables() WHERE table_name = $1`, [dataset])).length > 0;
  }

  /** Exposes a Parquet file as a dataset (a view: nothing is copied until it is used). */
  async loadParquet(dataset: string, file: string): Promise<void> {
    await this.run(`CREATE OR REPLACE VIEW ${ident(dataset)} AS SELECT * FROM read_parquet(${lit(file)})`);
  }

  /**
   * Replaces a dataset with the result of a query over it, safely even when the query reads the
   * dataset it replaces (steps chain in place: `sales` → cleaned `sales`).
   */
  async replace(dataset: string, selectSql: string): Promise<void> {
    const tmp = `__ferry_tmp_${++this.tempCounter}`;
    await this.run(`CREATE TABLE ${ident(tmp)} AS ${selectSql}`);
    await this.drop(dataset);
    await this.run(`ALTER TABLE ${ident(tmp)} RENAME TO ${ident(dataset)}`);
  }

  async drop(dataset: string): Promise<void> {
    await this.run(`DROP VIEW IF EXISTS ${ident(dataset)}`).catch(() => undefined);
    await this.run(`DROP TABLE IF EXISTS ${ident(dataset)}`).catch(() => undefined);
  }

  /** Writes a dataset as Parquet (to a temp name, then renamed: readers never see half a file). */
  async exportParquet(dataset: string, file: string): Promise<FileStats> {
    await mkdir(dirname(file), { recursive: true });
    const partial = `${file}.partial`;
    await this.run(`COPY (SELECT * FROM ${ident(dataset)}) TO ${lit(partial)} (FORMAT parquet, COMPRESSION zstd)`);
    await rename(partial, file);
    return { rows: await this.count(dataset), columns: await this.columns(dataset), ...(await fileDigest(file)) };
  }

  /**
   * Creates a dataset from NDJSON files (none: an empty dataset with the declared columns). Records
   * from an API or a driver enter this way: DuckDB's JSON reader beats row-by-row appends by far.
   */
  async loadNdjson(dataset: string, files: string[], columns?: Column[]): Promise<void> {
    if (files.length === 0) {
      const cols = columns?.length ? columns : [{ name: 'no_records', type: 'VARCHAR' }];
      await this.run(`CREATE OR REPLACE TABLE ${ident(dataset)} (${cols.map((c) => `${ident(c.name)} ${c.type}`).join(', ')})`);
      return;
    }
    const columnsArg = columns?.length ? `, columns = {${columns.map((c) => `${lit(c.name)}: ${lit(c.type)}`).join(', ')}}` : ', sample_size = -1';
    await this.run(`CREATE OR REPLACE TABLE ${ident(dataset)} AS SELECT * FROM read_json([${files.map(lit).join(', ')}], format = 'newline_delimited'${columnsArg})`);
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** Writes record batches to one NDJSON file; returns how many records were written. */
export async function writeNdjson(file: string, batches: AsyncIterable<Row[]> | Row[][]): Promise<number> {
  const out = createWriteStream(file);
  let rows = 0;
  for await (const batch of batches) {
    const chunk = batch.map((r) => JSON.stringify(r, jsonReplacer)).join('\n');
    if (batch.length && !out.write(`${chunk}\n`)) await once(out, 'drain');
    rows += batch.length;
  }
  out.end();
  await once(out, 'finish');
  return rows;
}

/**
 * Several activities share a worker, each with its own engine: by default each may use an eighth of
 * the machine's memory before spilling to disk (FERRY_MEMORY_LIMIT overrides, e.g. `4GB`).
 */
export function defaultMemoryLimit(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FERRY_MEMORY_LIMIT) return env.FERRY_MEMORY_LIMIT;
  return `${Math.max(512, Math.floor(totalmem() / 8 / 1024 / 1024))}MB`;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** DuckDB hands back bigint for BIGINT and its own objects for dates/decimals: make rows plain. */
function normalizeRow(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = normalizeValue(v);
  return out;
}

function normalizeValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v;
  if (Array.isArray(v)) return v.map(normalizeValue);
  if (v && typeof v === 'object' && 'toString' in v && v.constructor !== Object) return String(v);
  return v;
}

export async function fileDigest(file: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return { bytes: (await stat(file)).size, sha256: hash.digest('hex') };
}
