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
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, stat, mkdir, copyFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { totalmem } from 'node:os';
// Types only: the driver is loaded when an engine opens, so commands that only validate (`ferry run`)
// do not pay for it.
import type * as DuckDB from '@duckdb/node-api';
import type { DuckDBInstance, DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { ConfigError, type ErrorContext } from '../errors.js';
import { classifyDuckDbError } from './duckdb-errors.js';
import { admitFile, engineDirectories, isInside, realPathOf, type RunScope } from './access.js';
import { stagedType, type WideIntegers } from './parquet-types.js';

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

let driver: typeof DuckDB | undefined;

/** The DuckDB driver, for code that runs on an open engine (values and functions of its own types). */
export function duckdbDriver(): typeof DuckDB {
  if (!driver) throw new Error('the DuckDB driver is loaded by the first TableEngine.open');
  return driver;
}

export class TableEngine {
  private tempCounter = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
    readonly workdir: string,
    /** Real paths of the directories DuckDB may read and write. */
    readonly allowed: string[],
  ) {}

  /**
   * `run`: the run an activity's engine serves; of a trusted staging store it may use only that
   * run's folder (see trustDirectory). `allowDirectories`: more directories (tests and tools).
   */
  static async open(workdir: string, options: { memoryLimit?: string; threads?: number; allowDirectories?: string[]; run?: RunScope } = {}): Promise<TableEngine> {
    await mkdir(join(workdir, 'spill'), { recursive: true });
    const allowed = [...new Set([...(await engineDirectories(workdir, options.run)), ...(options.allowDirectories ?? []).map(realPathOf)])];
    driver ??= await import('@duckdb/node-api');
    const instance = await driver.DuckDBInstance.create(':memory:', {
      temp_directory: join(allowed[0]!, 'spill'),
      memory_limit: options.memoryLimit ?? defaultMemoryLimit(),
      ...(options.threads ? { threads: String(options.threads) } : {}),
      // Ferry runs offline-capable: never try to download an extension at run time.
      autoinstall_known_extensions: 'false',
    });
    const conn = await instance.connect();
    try {
      // Order matters: the directories before external access is switched off, the lock last.
      await conn.run(`SET TimeZone = 'UTC'`);
      await conn.run(`SET allowed_directories = [${allowed.map((d) => lit(`${d}/`)).join(', ')}]`);
      await conn.run('SET enable_external_access = false');
      await conn.run('SET lock_configuration = true');
    } catch (err) {
      conn.closeSync();
      instance.closeSync();
      throw classifyDuckDbError(err);
    }
    return new TableEngine(instance, conn, workdir, allowed);
  }

  /** Statements running now: a long COPY or join is work in progress, not a stall (see the activity boundary). */
  private running = 0;

  get busy(): boolean {
    return this.running > 0;
  }

  async run(sql: string, params?: DuckDBValue[]): Promise<void> {
    this.running++;
    try {
      await this.conn.run(sql, params);
    } catch (err) {
      throw classifyDuckDbError(err);
    } finally {
      this.running--;
    }
  }

  async rows(sql: string, params?: DuckDBValue[]): Promise<Row[]> {
    this.running++;
    try {
      const reader = await this.conn.runAndReadAll(sql, params);
      return reader.getRowObjectsJS().map(normalizeRow);
    } catch (err) {
      throw classifyDuckDbError(err);
    } finally {
      this.running--;
    }
  }

  async columns(dataset: string): Promise<Column[]> {
    const rows = await this.rows(`DESCRIBE ${ident(dataset)}`);
    return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  }

  /** Fails with a ConfigError unless `sql` is exactly one statement (DuckDB's own parser counts). */
  async requireOneStatement(sql: string, context: ErrorContext = {}): Promise<void> {
    let count: number;
    try {
      count = (await this.conn.extractStatements(sql)).count;
    } catch (err) {
      throw classifyDuckDbError(err, context);
    }
    if (count !== 1) throw new ConfigError(`SQL must be one statement, found ${count}`, context);
  }

  /** A path to `file` the engine may read (see admitFile): the file, or a link or copy in the work directory. */
  async admit(file: string): Promise<string> {
    return admitFile(this.allowed, file, this.workdir);
  }

  /**
   * Writes `target` whole or not at all: `write` fills a partial file with a name unique to this
   * attempt (beside the target when the engine may write there, else in the work directory), which
   * is then renamed into place (copied beside it first when it is on another file system).
   */
  async writeFile(target: string, write: (partial: string) => Promise<void>): Promise<void> {
    await mkdir(dirname(target), { recursive: true });
    const suffix = `${randomBytes(4).toString('hex')}.partial${target.endsWith('.gz') ? '.gz' : ''}`;
    const besideAllowed = this.allowed.some((d) => isInside(realPathOf(target), d));
    const partial = besideAllowed ? `${target}.${suffix}` : join(this.workdir, 'out', `${basename(target)}.${suffix}`);
    await mkdir(dirname(partial), { recursive: true });
    try {
      await write(partial);
      await rename(partial, target).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EXDEV') throw err;
        const beside = `${target}.${suffix}`;
        await copyFile(partial, beside);
        await rename(beside, target).catch(async (e: unknown) => {
          await rm(beside, { force: true });
          throw e;
        });
      });
    } finally {
      await rm(partial, { force: true });
    }
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

  /** Exposes Parquet files (one, or the parts of a dataset) as a dataset: a view, nothing is copied until it is used. */
  async loadParquet(dataset: string, files: string | string[]): Promise<void> {
    const list = Array.isArray(files) ? files : [files];
    if (list.length === 0) throw new ConfigError(`no Parquet files for dataset ${dataset}`, { dataset });
    const admitted: string[] = [];
    for (const f of list) admitted.push(await this.admit(f));
    await this.run(`CREATE OR REPLACE VIEW ${ident(dataset)} AS SELECT * FROM read_parquet([${admitted.map(lit).join(', ')}])`);
  }

  /**
   * Replaces a dataset with the result of a query over it, safely even when the query reads the
   * dataset it replaces (steps chain in place: `sales` → cleaned `sales`). `params` bind its $1, $2, …
   * (values that must not be in SQL text, such as the pii step's hash key).
   */
  async replace(dataset: string, selectSql: string, params?: DuckDBValue[]): Promise<void> {
    const tmp = `__ferry_tmp_${++this.tempCounter}`;
    const create = `CREATE TABLE ${ident(tmp)} AS ${selectSql}`;
    await this.requireOneStatement(create, { dataset });
    await this.run(create, params);
    await this.drop(dataset);
    await this.run(`ALTER TABLE ${ident(tmp)} RENAME TO ${ident(dataset)}`);
  }

  async drop(dataset: string): Promise<void> {
    await this.run(`DROP VIEW IF EXISTS ${ident(dataset)}`).catch(() => undefined);
    await this.run(`DROP TABLE IF EXISTS ${ident(dataset)}`).catch(() => undefined);
  }

  /** Writes a dataset as Parquet (to a name unique to the attempt, then renamed: readers never see half a file). */
  async exportParquet(dataset: string, file: string): Promise<FileStats> {
    const columns = await this.columns(dataset);
    const write = async (wide: WideIntegers): Promise<{ staged: Column[]; rows: number }> => {
      const staged = columns.map((c) => ({ name: c.name, type: stagedType(c.type, wide) }));
      const select = staged.map((c, i) => (c.type === columns[i]!.type ? ident(c.name) : `CAST(${ident(c.name)} AS ${c.type}) AS ${ident(c.name)}`)).join(', ');
      // COPY answers with the rows it wrote: no second scan of the dataset (a view would run its query again).
      let rows = 0;
      await this.writeFile(file, async (partial) => {
        const [out] = await this.rows(`COPY (SELECT ${select || '*'} FROM ${ident(dataset)}) TO ${lit(partial)} (FORMAT parquet, COMPRESSION zstd)`);
        rows = Number(out?.Count ?? 0);
      });
      return { staged, rows };
    };
    // A 128-bit integer beyond 38 digits does not fit DECIMAL(38,0): then the column is staged as text.
    const { staged, rows } = await write('decimal').catch((err: unknown) => {
      if (!columns.some((c) => /HUGEINT/.test(c.type))) throw err;
      return write('text');
    });
    return { rows, columns: staged, ...(await fileDigest(file)) };
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
    const admitted: string[] = [];
    for (const f of files) admitted.push(await this.admit(f));
    const source = `[${admitted.map(lit).join(', ')}], format = 'newline_delimited'`;
    const cols = columns?.length ? columns : await this.jsonColumns(source);
    const typed = cols.length ? `columns = ${columnsLiteral(cols)}` : 'sample_size = -1';
    await this.run(`CREATE OR REPLACE TABLE ${ident(dataset)} AS SELECT * FROM read_json(${source}, ${typed})`);
  }

  /**
   * The columns DuckDB detects in JSON (`source`: the files and format arguments of read_json),
   * over every record. DuckDB types `2024-03-10T23:30:00Z` as TIMESTAMP, dropping the zone: a
   * timestamp column whose text carries `Z` or an offset is TIMESTAMPTZ instead (the instant), and
   * so is a text column whose every value is an ISO date and time with a zone, in whichever form.
   */
  async jsonColumns(source: string): Promise<Column[]> {
    const detected = (await this.rows(`DESCRIBE SELECT * FROM read_json(${source}, sample_size = -1)`)).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    // Text columns too: DuckDB's detection wants one format per column, so Z and +02:00 side by side stay VARCHAR.
    const stamps = detected.filter((c) => c.type === 'TIMESTAMP' || c.type === 'VARCHAR');
    if (stamps.length === 0) return detected;
    const asText = detected.map((c) => (c.type === 'TIMESTAMP' ? { ...c, type: 'VARCHAR' } : c));
    const zoned = stamps.map((c, i) => c.type === 'TIMESTAMP'
      ? `bool_or(regexp_matches(trim(${ident(c.name)}), '${ZONE}$')) AS z${i}`
      : `bool_and(regexp_full_match(trim(${ident(c.name)}), '${ISO_ZONED}')) AND count(${ident(c.name)}) > 0 AS z${i}`);
    const [row] = await this.rows(`SELECT ${zoned.join(', ')} FROM read_json(${source}, columns = ${columnsLiteral(asText)})`);
    return detected.map((c) => (stamps.includes(c) && row?.[`z${stamps.indexOf(c)}`] === true ? { ...c, type: 'TIMESTAMPTZ' } : c));
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

const ZONE = '(Z|[+-][0-9]{2}(:?[0-9]{2})?)';
/** An ISO 8601 date and time with a zone: 2024-03-10T23:30:00Z, 2024-03-10 23:30:00.5+02:00. */
const ISO_ZONED = `[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?${ZONE}`;

const columnsLiteral = (cols: Column[]): string => `{${cols.map((c) => `${lit(c.name)}: ${lit(c.type)}`).join(', ')}}`;

/**
 * Several activities share a worker, each with its own engine: by default each may use an eighth of
 * the machine's memory, at least 128 MB and at most MAX_DEFAULT_MEMORY_MB, before spilling to its
 * work folder (FERRY_MEMORY_LIMIT overrides, e.g. `4GB`). The cap keeps a worker's memory flat
 * whatever the size of the data (10 million rows spill where 1 million fit): a worker needs about
 * `--max-activities` × the limit (DuckDB's own buffers come on top), not an eighth of the machine
 * per activity. Big joins and dedupes spill sooner: raise it for them (docs/decisions.md).
 */
export function defaultMemoryLimit(env: NodeJS.ProcessEnv = process.env, total = totalmem()): string {
  if (env.FERRY_MEMORY_LIMIT) return env.FERRY_MEMORY_LIMIT;
  return `${Math.min(MAX_DEFAULT_MEMORY_MB, Math.max(128, Math.floor(total / 8 / 1024 / 1024)))}MB`;
}
export const MAX_DEFAULT_MEMORY_MB = 256;

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
