/**
 * Reading and writing table files (CSV, JSON, NDJSON, Parquet; `.gz` transparently) with DuckDB's
 * own readers and writers. CSV is first checked by csv-parse, whose errors say exactly which line
 * and column is malformed; DuckDB's sniffer would otherwise guess its way past a broken row.
 *
 *   await readTableFile(engine, 'sales', '/tmp/sales.csv', { format: 'csv' }, { dataset: 'sales', file: 's3://demo/sales.csv' });
 *   await writeTableFile(engine, 'sales', '/tmp/out.csv', { format: 'csv' });
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { z } from 'zod';
import { DataError, type ErrorContext } from '../errors.js';
import { ident, lit, type TableEngine } from './engine.js';

export const fileFormatSchema = z.enum(['csv', 'json', 'ndjson', 'parquet']);
export type FileFormat = z.infer<typeof fileFormatSchema>;

export const csvOptionsSchema = z.strictObject({
  delimiter: z.string().length(1).default(','),
  header: z.boolean().default(true),
  quote: z.string().length(1).default('"'),
  null_values: z.array(z.string()).default(['']),
});
export type CsvOptions = z.infer<typeof csvOptionsSchema>;

/** Declared column types (`amount: DOUBLE`): reading fails on a value that does not fit. */
export const columnTypesSchema = z.record(z.string(), z.string()).optional();

export type ReadOptions = { format?: FileFormat; csv?: Partial<CsvOptions>; columns?: Record<string, string> };

export function formatFromPath(path: string): FileFormat | undefined {
  const m = /\.(csv|json|ndjson|jsonl|parquet)(\.gz)?$/i.exec(path);
  if (!m) return undefined;
  const ext = m[1]!.toLowerCase();
  return ext === 'jsonl' ? 'ndjson' : (ext as FileFormat);
}

export async function readTableFile(engine: TableEngine, dataset: string, localPath: string, options: ReadOptions, context: ErrorContext): Promise<void> {
  const format = options.format ?? formatFromPath(context.file ?? localPath);
  if (!format) throw new DataError('cannot tell the file format from its name: set format: csv | json | ndjson | parquet', context);
  const columns = options.columns ? `, columns = {${Object.entries(options.columns).map(([k, v]) => `${lit(k)}: ${lit(v)}`).join(', ')}}` : '';
  let reader: string;
  if (format === 'csv') {
    const csv = csvOptionsSchema.parse(options.csv ?? {});
    await checkCsvStructure(localPath, csv, context);
    reader = `read_csv(${lit(localPath)}, delim = ${lit(csv.delimiter)}, quote = ${lit(csv.quote)}, escape = ${lit(csv.quote)}, header = ${csv.header}, strict_mode = true, nullstr = [${csv.null_values.map(lit).join(', ')}]${columns})`;
  } else if (format === 'parquet') {
    reader = `read_parquet(${lit(localPath)})`;
  } else {
    reader = `read_json(${lit(localPath)}, format = ${format === 'ndjson' ? "'newline_delimited'" : "'auto'"}${columns})`;
  }
  try {
    await engine.run(`CREATE OR REPLACE TABLE ${ident(dataset)} AS SELECT * FROM ${reader}`);
  } catch (err) {
    throw duckReadError(err, context);
  }
}

export async function writeTableFile(engine: TableEngine, dataset: string, localPath: string, options: { format: FileFormat; csv?: Partial<CsvOptions> }): Promise<void> {
  const gz = localPath.endsWith('.gz') ? ", COMPRESSION 'gzip'" : '';
  let opts: string;
  if (options.format === 'csv') {
    const csv = csvOptionsSchema.parse(options.csv ?? {});
    opts = `FORMAT csv, HEADER ${csv.header}, DELIMITER ${lit(csv.delimiter)}, QUOTE ${lit(csv.quote)}${gz}`;
  } else if (options.format === 'parquet') {
    opts = 'FORMAT parquet, COMPRESSION zstd';
  } else {
    opts = `FORMAT json${options.format === 'json' ? ', ARRAY true' : ''}${gz}`;
  }
  await engine.run(`COPY (SELECT * FROM ${ident(dataset)}) TO ${lit(localPath)} (${opts})`);
}

/** Streams the file through csv-parse: every row must have as many fields as the header, quotes must close. */
async function checkCsvStructure(localPath: string, csv: CsvOptions, context: ErrorContext): Promise<void> {
  const parser = parse({ delimiter: csv.delimiter, quote: csv.quote, escape: csv.quote, relax_column_count: false, skip_empty_lines: true, info: false });
  const sink = new Writable({ objectMode: true, write: (_row, _enc, done) => done() });
  const source = createReadStream(localPath);
  try {
    if (localPath.endsWith('.gz')) await pipeline(source, createGunzip(), parser, sink);
    else await pipeline(source, parser, sink);
  } catch (err) {
    if (err instanceof CsvError) {
      const e = err as CsvError & { lines?: number; column?: number | string; record?: unknown[]; index?: number };
      // csv-parse: "Invalid Record Length: columns length is 7, got 8 on line 4"
      const expected = /(?:columns length is|expect(?:ed)?) (\d+)/i.exec(e.message)?.[1];
      const found = e.record?.length;
      const what = e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' || e.code === 'CSV_RECORD_INCONSISTENT_COLUMNS'
        ? `malformed CSV row: expected ${expected ?? 'the header\'s number of'} fields, found ${found ?? 'a different number'}`
        : `malformed CSV: ${e.message.replace(/^Invalid [^:]*: /, '')}`;
      // For a row that is too long, point at its first extra field.
      const column = found && expected && found > Number(expected) ? Number(expected) + 1 : typeof e.column === 'number' ? e.column + 1 : undefined;
      throw new DataError(what, { ...context, line: e.lines, column }, { cause: err });
    }
    throw err;
  }
}

/** DuckDB says "CSV Error on Line: 3 … converting column "amount"": keep the where, drop the noise. */
function duckReadError(err: unknown, context: ErrorContext): DataError {
  const text = err instanceof Error ? err.message : String(err);
  const line = /on Line: (\d+)/.exec(text)?.[1];
  const column = /converting column "([^"]+)"/.exec(text)?.[1];
  const value = /Could not convert string "([^"]*)" to '([^']+)'/.exec(text);
  const message = value ? `value "${value[1]}" is not a valid ${value[2]}` : text.split('\n')[0]!.replace(/^[A-Za-z ]+Error: /, '');
  return new DataError(message, { ...context, ...(line ? { line: Number(line) } : {}), ...(column ? { field: column } : {}) }, { cause: err });
}
