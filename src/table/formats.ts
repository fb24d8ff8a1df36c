/**
 * Reading and writing table files (CSV, JSON, NDJSON, Parquet; `.gz` transparently): CSV and
 * Parquet with DuckDB's own readers and writers, JSON and NDJSON through Ferry's exact JSON text
 * (json-in.ts, json-out.ts), since DuckDB's JSON reader and writer round numbers to doubles. CSV is read with its dialect fixed and in strict mode, so a broken row
 * fails instead of being guessed around; csv-parse then names the exact line and column (csv.ts).
 * Errors name the configured file (context.file), never the worker's local copy. `columns` types
 * the named columns of any format and keeps the others.
 *
 *   await readTableFile(engine, 'sales', '/tmp/sales.csv', { format: 'csv' }, { dataset: 'sales', file: 's3://demo/sales.csv' });
 *   await writeTableFile(engine, 'sales', '/tmp/out.csv', { format: 'csv' });
 */
import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import { ConfigError, DataError, FerryError, type ErrorContext } from '../errors.js';
import { ident, lit, type TableEngine, type Column } from './engine.js';
import { classifyDuckDbError, duckDbText } from './duckdb-errors.js';
import { csvOptionsSchema, csvReadOptionsSchema, csvColumns, csvDialect, csvLineRoom, explainCsvFailure, type CsvOptions, type CsvReadOptions } from './csv.js';
import { prepareFile, type Compression } from './decode.js';
import { lines, streamError } from './text.js';
import { writeJsonFile, jsonValueSql } from './json-out.js';
import { readJsonFile } from './json-in.js';

export { csvOptionsSchema, csvReadOptionsSchema, type CsvOptions, type CsvReadOptions };
export { compressionSchema } from './decode.js';

export const fileFormatSchema = z.enum(['csv', 'json', 'ndjson', 'parquet']);
export type FileFormat = z.infer<typeof fileFormatSchema>;

/** Declared column types (`amount: DOUBLE`): reading fails on a value that does not fit. */
export const columnTypesSchema = z.record(z.string(), z.string()).optional().describe('DuckDB types by column, e.g. amount: DECIMAL(10,2); other columns keep their detected types; a value that does not fit fails the run with its line');

/** `quarantine`: rows that do not parse go to a `<dataset>_rejects` dataset instead of failing the run (CSV). */
export const onErrorSchema = z.enum(['fail', 'quarantine']).default('fail').describe('quarantine (CSV): bad rows go to <dataset>_rejects with line, column, error and the raw line');

export type ReadOptions = { format?: FileFormat; csv?: Partial<CsvReadOptions>; columns?: Record<string, string>; on_error?: 'fail' | 'quarantine'; compression?: 'auto' | Compression };

/** The dataset that receives the quarantined rows of `dataset`. */
export const rejectsOf = (dataset: string): string => `${dataset}_rejects`;

/** The format a writer infers from a name (`.gz` is the one compression a writer adds). */
export function formatFromPath(path: string): FileFormat | undefined {
  return /\.zstd?$/i.test(path) ? undefined : readFormatFromPath(path);
}

/** The format a reader infers from a name, behind `.gz` or `.zst`. */
export function readFormatFromPath(path: string): FileFormat | undefined {
  const m = /\.(csv|json|ndjson|jsonl|parquet)(\.gz|\.zstd?)?$/i.exec(path);
  if (!m) return undefined;
  const ext = m[1]!.toLowerCase();
  return ext === 'jsonl' ? 'ndjson' : (ext as FileFormat);
}

/** Reads a file into `dataset`; with `on_error: quarantine` returns how many rows went to the rejects dataset. */
export async function readTableFile(engine: TableEngine, dataset: string, path: string, options: ReadOptions, context: ErrorContext): Promise<{ rejects?: number }> {
  const format = options.format ?? readFormatFromPath(context.file ?? path);
  if (!format) throw new DataError('cannot tell the file format from its name: set format: csv | json | ndjson | parquet', context);
  const quarantine = options.on_error === 'quarantine';
  if (quarantine && format !== 'csv') throw new ConfigError(`on_error: quarantine is available for CSV files, not ${format}`, { ...context, field: 'on_error' });
  const ctx = { ...context, file: context.file ?? path };
  // zstd decompressed and other encodings made UTF-8 first, into the engine's work directory.
  const encoding = format === 'csv' ? options.csv?.encoding : undefined;
  const prepared = await prepareFile(path, { compression: options.compression, encoding }, engine.workdir, ctx);
  // The engine reads only its work and trusted directories: bring the file in (a link, or a copy).
  const localPath = await engine.admit(prepared);
  try {
    if (format === 'csv') return await readCsv(engine, dataset, localPath, options, ctx, quarantine);
    if (format === 'parquet') await engine.run(`CREATE OR REPLACE TABLE ${ident(dataset)} AS SELECT * FROM read_parquet(${lit(localPath)})`);
    else await readJsonFile(engine, dataset, localPath, format, options.columns, ctx);
    return {};
  } catch (err) {
    // The JSON reader's own errors already name the file and line.
    if (err instanceof DataError) throw err;
    if (format === 'ndjson' || format === 'json') throw await explainJsonFailure(err, localPath, format, ctx);
    throw scrubPath(err, localPath, ctx.file);
  }
}

async function readCsv(engine: TableEngine, dataset: string, localPath: string, options: ReadOptions, context: ErrorContext, quarantine: boolean): Promise<{ rejects?: number }> {
  const csv = csvReadOptionsSchema.parse(options.csv ?? {});
  const maxLine = await csvLineRoom(localPath, csv, context);
  try {
    const types = await csvColumns(engine, localPath, csv, options.columns ?? {}, context, quarantine, maxLine);
    const cols = `{${types.map((c) => `${lit(c.name)}: ${lit(c.type)}`).join(', ')}}`;
    const rejects = quarantine ? `, store_rejects = true, rejects_table = ${lit(`__rejects_${dataset}`)}, rejects_scan = ${lit(`__scans_${dataset}`)}` : '';
    await engine.run(
      `CREATE OR REPLACE TABLE ${ident(dataset)} AS SELECT * FROM read_csv(${lit(localPath)}, ${csvDialect(csv, maxLine)}, auto_detect = false, strict_mode = true, columns = ${cols}${rejects})`,
    );
  } catch (err) {
    // DuckDB (dialect fixed, strict mode) rejects a broken CSV fast but vaguely; only failed reads
    // pay for finding the exact line.
    throw scrubPath(await explainCsvFailure(err, localPath, csv, context), localPath, context.file);
  }
  if (!quarantine) return {};
  // Line numbers count the header, like an editor does; column is 1-based.
  await engine.run(`CREATE OR REPLACE TABLE ${ident(rejectsOf(dataset))} AS SELECT line::BIGINT AS line, column_idx::BIGINT AS "column", column_name AS field,
    lower(error_type) AS error, error_message AS message, csv_line AS raw FROM ${ident(`__rejects_${dataset}`)} ORDER BY line`);
  await engine.run(`DROP TABLE ${ident(`__rejects_${dataset}`)}`);
  await engine.run(`DROP TABLE ${ident(`__scans_${dataset}`)}`);
  return { rejects: await engine.count(rejectsOf(dataset)) };
}

/** A failed JSON read, at its exact line: DuckDB's own line is off by one for NDJSON. */
async function explainJsonFailure(err: unknown, localPath: string, format: 'json' | 'ndjson', context: ErrorContext): Promise<FerryError> {
  const text = duckDbText(err);
  if (/malformed JSON|invalid unicode|utf-?8/i.test(text) && format === 'ndjson') {
    try {
      for await (const { line, bytes } of lines(localPath, context)) {
        if (!isUtf8(bytes)) return new DataError('invalid UTF-8', { ...context, line }, { cause: err });
        const s = bytes.toString('utf8');
        if (!/\S/.test(s)) continue;
        try {
          JSON.parse(s);
        } catch (parseErr) {
          return new DataError(`malformed JSON: ${(parseErr as Error).message}`, { ...context, line }, { cause: err });
        }
      }
    } catch (scanErr) {
      return streamError(scanErr, context);
    }
  }
  if (/gzip|zlib|decompress/i.test(text)) return new DataError(`not a valid gzip file (${text.split('\n')[0]!.replace(/^[A-Za-z ]+Error: /, '').split(localPath).join(context.file ?? 'the file')})`, context, { cause: err });
  const e = scrubPath(err, localPath, context.file);
  const line = /in line (\d+)/.exec(e.message)?.[1];
  if (e.code === 'DATA' || /malformed JSON/i.test(e.message)) {
    return new DataError(e.message.replace(/^[A-Za-z ]+Error: /, ''), { ...context, ...(line && format === 'json' ? { line: Number(line) } : {}) }, { cause: err });
  }
  return e;
}

/** A DuckDB error as a FerryError that names the configured file, not the worker's local path. */
function scrubPath(err: unknown, localPath: string, file: string | undefined): FerryError {
  const e = err instanceof FerryError ? err : classifyDuckDbError(err);
  if (file && e.message.includes(localPath)) {
    const scrubbed = new FerryError(e.code, e.message.split(localPath).join(file), e.context, { cause: e.cause ?? err });
    return scrubbed;
  }
  if (!e.context.file && file) e.context.file ??= file;
  return e;
}

/**
 * Writes a dataset as a file, whole or not at all (see TableEngine.writeFile). CSV: NULL is the
 * first of `null_values` (default: an empty field), an empty string is written "" so that it reads
 * back as an empty string; lists, structs and maps are JSON text; no byte order mark is written.
 */
export async function writeTableFile(engine: TableEngine, dataset: string, path: string, options: { format: FileFormat; csv?: Partial<CsvOptions> }): Promise<void> {
  const gz = path.endsWith('.gz') ? ", COMPRESSION 'gzip'" : '';
  let opts: string;
  if (options.format === 'csv') {
    const csv = csvOptionsSchema.parse(options.csv ?? {});
    const nullText = csv.null_values[0] ?? '';
    // With NULL written as an empty field DuckDB already quotes empty strings; otherwise text columns are quoted.
    const text = nullText === '' ? [] : (await engine.columns(dataset)).filter((c) => c.type === 'VARCHAR').map((c) => ident(c.name));
    opts = `FORMAT csv, HEADER ${csv.header}, DELIMITER ${lit(csv.delimiter)}, QUOTE ${lit(csv.quote)}, ESCAPE ${lit(csv.quote)}, NULLSTR ${lit(nullText)}` +
      `${text.length ? `, FORCE_QUOTE (${text.join(', ')})` : ''}${gz}`;
  } else if (options.format === 'parquet') {
    opts = 'FORMAT parquet, COMPRESSION zstd';
  } else {
    const format = options.format;
    await engine.writeFile(path, (partial) => writeJsonFile(engine, dataset, partial, format));
    return;
  }
  const value = (c: Column) => {
    if (options.format !== 'csv') return ident(c.name);
    if (fractionOnly(c.type)) return `regexp_replace(CAST(${ident(c.name)} AS VARCHAR), '^(-?)\\.', '\\10.')`;
    // Lists, structs and maps as JSON text, which any reader parses (DuckDB's own ['a', NULL] is for DuckDB only).
    return nestedType(c.type) ? jsonValueSql(ident(c.name), c.type) : ident(c.name);
  };
  const select = `SELECT ${(await engine.columns(dataset)).map((c) => `${value(c)} AS ${ident(c.name.replace(/^\uFEFF/, ''))}`).join(', ')} FROM ${ident(dataset)}`;
  await engine.writeFile(path, (partial) => engine.run(`COPY (${select}) TO ${lit(partial)} (${opts})`));
}

/** DECIMAL(p,p): DuckDB writes its values without the leading zero (.5), which readers take for text or reject. */
const fractionOnly = (type: string): boolean => /^DECIMAL\((\d+),\s*\1\)$/i.test(type);

const nestedType = (type: string): boolean => /\[\d*\]$|^(STRUCT|MAP|UNION)\(/i.test(type);
