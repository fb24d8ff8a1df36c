/**
 * Reading and writing table files (CSV, JSON, NDJSON, Parquet; `.gz` transparently) with DuckDB's
 * own readers and writers. CSV is read with its dialect fixed and in strict mode, so a broken row
 * fails instead of being guessed around; csv-parse then names the exact line and column.
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
import { ConfigError, DataError, type ErrorContext } from '../errors.js';
import { ident, lit, type TableEngine, type Column } from './engine.js';

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
export const columnTypesSchema = z.record(z.string(), z.string()).optional().describe('DuckDB types by column, e.g. amount: DECIMAL(10,2); a value that does not fit fails the run with its line');

/** `quarantine`: rows that do not parse go to a `<dataset>_rejects` dataset instead of failing the run (CSV). */
export const onErrorSchema = z.enum(['fail', 'quarantine']).default('fail').describe('quarantine (CSV): bad rows go to <dataset>_rejects with line, column, error and the raw line');

export type ReadOptions = { format?: FileFormat; csv?: Partial<CsvOptions>; columns?: Record<string, string>; on_error?: 'fail' | 'quarantine' };

/** The dataset that receives the quarantined rows of `dataset`. */
export const rejectsOf = (dataset: string): string => `${dataset}_rejects`;

export function formatFromPath(path: string): FileFormat | undefined {
  const m = /\.(csv|json|ndjson|jsonl|parquet)(\.gz)?$/i.exec(path);
  if (!m) return undefined;
  const ext = m[1]!.toLowerCase();
  return ext === 'jsonl' ? 'ndjson' : (ext as FileFormat);
}

/** Reads a file into `dataset`; with `on_error: quarantine` returns how many rows went to the rejects dataset. */
export async function readTableFile(engine: TableEngine, dataset: string, localPath: string, options: ReadOptions, context: ErrorContext): Promise<{ rejects?: number }> {
  const format = options.format ?? formatFromPath(context.file ?? localPath);
  if (!format) throw new DataError('cannot tell the file format from its name: set format: csv | json | ndjson | parquet', context);
  const quarantine = options.on_error === 'quarantine';
  if (quarantine && format !== 'csv') throw new ConfigError(`on_error: quarantine is available for CSV files, not ${format}`, { ...context, field: 'on_error' });
  const columns = options.columns ? `, columns = {${Object.entries(options.columns).map(([k, v]) => `${lit(k)}: ${lit(v)}`).join(', ')}}` : '';
  let reader: string;
  let csv: CsvOptions | undefined;
  if (format === 'csv') {
    csv = csvOptionsSchema.parse(options.csv ?? {});
    const types = await csvColumns(engine, localPath, csv, options.columns ?? {}, context, quarantine);
    const cols = `{${types.map((c) => `${lit(c.name)}: ${lit(c.type)}`).join(', ')}}`;
    reader = `read_csv(${lit(localPath)}, delim = ${lit(csv.delimiter)}, quote = ${lit(csv.quote)}, escape = ${lit(csv.quote)}, header = ${csv.header}, ` +
      `auto_detect = false, strict_mode = true, columns = ${cols}, nullstr = [${csv.null_values.map(lit).join(', ')}]` +
      `${quarantine ? `, store_rejects = true, rejects_table = ${lit(`__rejects_${dataset}`)}, rejects_scan = ${lit(`__scans_${dataset}`)}` : ''})`;
  } else if (format === 'parquet') {
    reader = `read_parquet(${lit(localPath)})`;
  } else {
    reader = `read_json(${lit(localPath)}, format = ${format === 'ndjson' ? "'newline_delimited'" : "'auto'"}${columns})`;
  }
  try {
    await engine.run(`CREATE OR REPLACE TABLE ${ident(dataset)} AS SELECT * FROM ${reader}`);
    if (!quarantine) return {};
    // Line numbers count the header, like an editor does; column is 1-based.
    await engine.run(`CREATE OR REPLACE TABLE ${ident(rejectsOf(dataset))} AS SELECT line::BIGINT AS line, column_idx::BIGINT AS "column", column_name AS field,
      lower(error_type) AS error, error_message AS message, csv_line AS raw FROM ${ident(`__rejects_${dataset}`)} ORDER BY line`);
    await engine.run(`DROP TABLE ${ident(`__rejects_${dataset}`)}; DROP TABLE ${ident(`__scans_${dataset}`)}`);
    return { rejects: await engine.count(rejectsOf(dataset)) };
  } catch (err) {
    // DuckDB (dialect fixed, strict mode) rejects a broken CSV fast but vaguely; csv-parse then
    // finds the exact line and column. Only failed reads pay for the second pass.
    if (csv) await checkCsvStructure(localPath, csv, context);
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

/**
 * The columns of a CSV: names from its first record (read by csv-parse), types from DuckDB's sniffer
 * over the whole file (dates only in ISO form), declared types on top. DuckDB then reads with `auto_detect = false`: with the
 * column count fixed, a row with a field too many or too few is an error, never a silently different
 * dialect (the sniffer alone turns `a,b / 1,2 / 3,4,5` into zero rows of three columns).
 */
async function csvColumns(engine: TableEngine, localPath: string, csv: CsvOptions, declared: Record<string, string>, context: ErrorContext, skipBadRows: boolean): Promise<Column[]> {
  const first = await firstRecord(localPath, csv, context);
  // Without a header, declared columns name the fields in order (as DuckDB's `columns` does).
  const declaredNames = Object.keys(declared);
  const names = csv.header ? first : declaredNames.length === first.length ? declaredNames : first.map((_v, i) => `column${i}`);
  let sniffed: string[] = [];
  try {
    const [row] = await engine.rows(
      `SELECT list_transform(Columns, c -> c.type) AS types, DateFormat AS date_format, TimestampFormat AS ts_format FROM sniff_csv(${lit(localPath)}, delim = ${lit(csv.delimiter)}, quote = ${lit(csv.quote)}, escape = ${lit(csv.quote)}, header = ${csv.header}, sample_size = -1${skipBadRows ? ', ignore_errors = true' : ''})`,
    );
    sniffed = (row?.types as string[] | undefined) ?? [];
    // Dates are typed only when written the ISO way. 01/02/2024 could be January or February:
    // such columns stay text, for a `dates` step that names the format.
    const iso = (format: unknown) => !format || /^%Y-%m-%d([ T]%H:%M:%S(\.%[fgn])?)?(%z)?$/.test(String(format));
    sniffed = sniffed.map((type) =>
      (type === 'DATE' && !iso(row?.date_format)) || (type.startsWith('TIMESTAMP') && !iso(row?.ts_format)) ? 'VARCHAR' : type);
  } catch {
    // A file the sniffer cannot make sense of is read as text, so the strict read names the bad row.
    // (When bad rows are quarantined, the sniffer skips them and types the good ones.)
  }
  if (sniffed.length !== names.length) sniffed = names.map(() => 'VARCHAR');
  const unknown = Object.keys(declared).filter((k) => !names.includes(k));
  if (unknown.length) throw new ConfigError(`declared column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not in the CSV header (${names.join(', ')})`, { ...context, field: 'columns' });
  return names.map((name, i) => ({ name, type: declared[name] ?? sniffed[i]! }));
}

async function firstRecord(localPath: string, csv: CsvOptions, context: ErrorContext): Promise<string[]> {
  const parser = parse({ delimiter: csv.delimiter, quote: csv.quote, escape: csv.quote, to_line: 1, relax_column_count: true });
  const input = createReadStream(localPath);
  const source = localPath.endsWith('.gz') ? input.pipe(createGunzip()) : input;
  source.pipe(parser);
  try {
    for await (const record of parser) return record as string[];
  } finally {
    input.destroy();
  }
  throw new DataError('the CSV file is empty: expected a header row', context);
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
