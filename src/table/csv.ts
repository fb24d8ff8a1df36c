/**
 * CSV in and out, exactly:
 *
 * - an unquoted empty field, or a field equal to one of `null_values`, is NULL; a quoted empty
 *   field ("") is an empty string;
 * - numbers are typed without losing digits: integers that do not fit BIGINT become HUGEINT,
 *   decimal text becomes DECIMAL(p,s) with every digit (VARCHAR beyond 38 digits); only text in
 *   exponent notation (1.5e3) becomes DOUBLE;
 * - a UTF-8 byte order mark is not part of the first column's name, and is never written;
 * - a record longer than DuckDB's default buffer is read with a buffer that fits it (up to
 *   MAX_LINE_BYTES; a longer one is a DataError naming its line);
 * - when writing, NULL is the first of `null_values` and an empty string is written "".
 *
 *   const columns = await csvColumns(engine, file, csv, { amount: 'DECIMAL(10,2)' }, context, false);
 */
import { parse, CsvError } from 'csv-parse';
import { z } from 'zod';
import { ConfigError, DataError, FerryError, type ErrorContext } from '../errors.js';
import { lit, type TableEngine, type Column } from './engine.js';
import { duckDbText } from './duckdb-errors.js';
import { stat } from 'node:fs/promises';
import { openBytes, longestRecord, firstInvalidUtf8Line, streamError, lines } from './text.js';
import { encodingSchema } from './decode.js';

export const csvOptionsSchema = z.strictObject({
  delimiter: z.string().length(1).default(','),
  header: z.boolean().default(true),
  quote: z.string().length(1).default('"'),
  null_values: z.array(z.string()).default(['']).describe('read as NULL (an unquoted empty field always is); the first is written for NULL'),
});
/** What only a reader needs besides the dialect a writer shares. */
export const csvReadOptionsSchema = csvOptionsSchema.extend({
  escape: z.string().length(1).optional().describe('the character before a quote inside a quoted field; default: the quote itself ("" inside "…"); e.g. \\ for \\"'),
  encoding: encodingSchema,
});
/** `escape` is for reading only: a writer always doubles the quote. */
export type CsvOptions = z.infer<typeof csvOptionsSchema> & { escape?: string };
export type CsvReadOptions = z.infer<typeof csvReadOptionsSchema>;

/** The longest CSV line Ferry reads (DuckDB needs a buffer about twice the line). */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;
const DEFAULT_MAX_LINE = 2_000_000;

/** DuckDB's reader options for a CSV dialect; `maxLine` when a line exceeds DuckDB's default. */
export function csvDialect(csv: CsvOptions, maxLine?: number): string {
  const nulls = [...new Set(['', ...csv.null_values])];
  return `delim = ${lit(csv.delimiter)}, quote = ${lit(csv.quote)}, escape = ${lit(csv.escape ?? csv.quote)}, header = ${csv.header}, ` +
    `nullstr = [${nulls.map(lit).join(', ')}], allow_quoted_nulls = false` +
    (maxLine ? `, max_line_size = ${maxLine}, buffer_size = ${Math.max(2 * maxLine, 32 * 1024 * 1024)}` : '');
}

/**
 * Room for the longest record, when DuckDB's default (2 MB) may be too small: DuckDB does not always
 * fail on a longer record, it can silently drop it (a 50 MB last line read as 0 rows). So a file that
 * could hold such a record (larger than 1 MB, or gzipped) is measured first; records longer than
 * MAX_LINE_BYTES are a DataError naming their line.
 */
export async function csvLineRoom(localPath: string, csv: CsvOptions, context: ErrorContext): Promise<number | undefined> {
  if (!localPath.endsWith('.gz') && (await stat(localPath)).size <= SAFE_LINE) return undefined;
  const longest = await longestRecord(localPath, csv.quote, context);
  if (longest.bytes > MAX_LINE_BYTES) {
    throw new DataError(`a record of ${Math.round(longest.bytes / 1048576)} MB starts on this line, longer than the ${MAX_LINE_BYTES / 1048576} MB a CSV record may be`, { ...context, line: longest.line });
  }
  return longest.bytes > SAFE_LINE ? Math.max(DEFAULT_MAX_LINE, longest.bytes + 1024) : undefined;
}
const SAFE_LINE = 1_000_000;

/**
 * The columns of a CSV: names from its first record (read by csv-parse), types from DuckDB's sniffer
 * over the whole file (dates only in ISO form, numbers exact), declared types on top. DuckDB then
 * reads with `auto_detect = false`: with the column count fixed, a row with a field too many or too
 * few is an error, never a silently different dialect.
 */
export async function csvColumns(engine: TableEngine, localPath: string, csv: CsvOptions, declared: Record<string, string>, context: ErrorContext, skipBadRows: boolean, maxLine?: number): Promise<Column[]> {
  const first = await firstRecord(localPath, csv, context);
  // Without a header, declared columns name the fields in order (as DuckDB's `columns` does).
  const declaredNames = Object.keys(declared);
  const names = csv.header ? first : declaredNames.length === first.length ? declaredNames : first.map((_v, i) => `column${i}`);
  const unknown = declaredNames.filter((k) => !names.includes(k));
  if (unknown.length) throw new ConfigError(`declared column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not in the CSV header (${names.join(', ')})`, { ...context, field: 'columns' });
  let sniffed: string[] = [];
  try {
    sniffed = await (async () => {
      const [row] = await engine.rows(
        `SELECT list_transform(Columns, c -> c.type) AS types, DateFormat AS date_format, TimestampFormat AS ts_format FROM sniff_csv(${lit(localPath)}, ${csvDialect(csv, maxLine)}, sample_size = -1${skipBadRows ? ', ignore_errors = true' : ''})`,
      );
      // Dates are typed only when written the ISO way. 01/02/2024 could be January or February:
      // such columns stay text, for a `dates` step that names the format.
      const iso = (format: unknown) => !format || /^%Y-%m-%d([ T]%H:%M:%S(\.%[fgn])?)?(%z)?$/.test(String(format));
      return ((row?.types as string[] | undefined) ?? []).map((type) =>
        (type === 'DATE' && !iso(row?.date_format)) || (type.startsWith('TIMESTAMP') && !iso(row?.ts_format)) ? 'VARCHAR' : type);
    })();
  } catch (err) {
    if (err instanceof FerryError && err.code !== 'DATA' && err.code !== 'UNKNOWN') throw err;
    // A file the sniffer cannot make sense of is read as text, so the strict read names the bad row.
    // (When bad rows are quarantined, the sniffer skips them and types the good ones.)
  }
  if (sniffed.length !== names.length) sniffed = names.map(() => 'VARCHAR');
  const types = names.map((name, i) => declared[name] ?? sniffed[i]!);
  const floats = types.map((t, i) => (t === 'DOUBLE' && !(names[i]! in declared) ? i : -1)).filter((i) => i >= 0);
  if (floats.length) {
    const exact = await exactNumberTypes(engine, localPath, csv, names, floats, skipBadRows, maxLine);
    floats.forEach((i, k) => (types[i] = exact[k]!));
  }
  return names.map((name, i) => ({ name, type: types[i]! }));
}

/**
 * DuckDB's sniffer calls any number with a decimal point, and any integer wider than BIGINT,
 * DOUBLE: that would round 12345678901234567890123 and 0.1. Ferry keeps the digits instead.
 *
 * Two passes at most, each over only the columns that need it: the first measures digits with
 * plain string positions (a third of the cost of regexp_extract) wherever a value is a plain number
 * (sign, digits, one point; no blanks, exponent or leading zero); a column with any other value is
 * measured again by the full patterns. Both give the same digits for a plain value.
 */
async function exactNumberTypes(engine: TableEngine, localPath: string, csv: CsvOptions, names: string[], which: number[], skipBadRows: boolean, maxLine?: number): Promise<string[]> {
  const quick = await numberStats(engine, localPath, csv, names, which, skipBadRows, maxLine, quickStats);
  const odd = which.filter((_i, k) => quick[k]!.odd);
  const full = odd.length ? await numberStats(engine, localPath, csv, names, odd, skipBadRows, maxLine, fullStats) : [];
  return which.map((i, k) => {
    const { int: intDigits, scale, other } = quick[k]!.odd ? full[odd.indexOf(i)]! : quick[k]!;
    if (other) return 'DOUBLE'; // exponent notation, inf, nan: written as floats
    if (scale === 0) return intDigits <= 18 ? 'BIGINT' : intDigits <= 38 ? 'HUGEINT' : 'VARCHAR';
    const precision = Math.max(intDigits + scale, 1);
    return precision <= 38 ? `DECIMAL(${precision},${scale})` : 'VARCHAR';
  });
}

type NumberStats = { int: number; scale: number; other: boolean; odd: boolean };
const PLAIN_NUMBER = `'[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)'`;

/** Digits before and after the point by the full patterns (blanks trimmed, leading zeros not counted). */
const fullStats = (c: string, k: number): string => {
  const v = `trim(${c})`;
  return `max(length(regexp_extract(${v}, '^[+-]?0*([0-9]*)', 1))) AS int${k}, max(length(regexp_extract(${v}, '\\.([0-9]*)$', 1))) AS scale${k}, ` +
    `bool_or(NOT regexp_full_match(${v}, ${PLAIN_NUMBER})) AS other${k}, false AS odd${k}`;
};

/**
 * The same digits from the point's position, valid for plain numbers only: `odd` says another value
 * was seen. A zero alone before the point (0.5, -0) is no digit, as the full pattern counts it.
 */
const quickStats = (c: string, k: number): string => {
  const dot = `strpos(${c}, '.')`;
  const starts = (...prefixes: string[]) => `(${prefixes.map((p) => `starts_with(${c}, ${lit(p)})`).join(' OR ')})`;
  const lone = `(${c} IN ('0', '-0', '+0') OR ${starts('0.', '-0.', '+0.')})`;
  return `max(CASE WHEN ${dot} > 0 THEN ${dot} - 1 ELSE strlen(${c}) END - ${starts('-', '+')}::INT - ${lone}::INT) AS int${k}, ` +
    `max(CASE WHEN ${dot} > 0 THEN strlen(${c}) - ${dot} ELSE 0 END) AS scale${k}, false AS other${k}, ` +
    `bool_or(NOT regexp_full_match(${c}, ${PLAIN_NUMBER}) OR (${starts('0', '-0', '+0')} AND NOT ${lone})) AS odd${k}`;
};

async function numberStats(engine: TableEngine, localPath: string, csv: CsvOptions, names: string[], which: number[], skipBadRows: boolean, maxLine: number | undefined, stats: (c: string, k: number) => string): Promise<NumberStats[]> {
  const cols = `{${names.map((n) => `${lit(n)}: 'VARCHAR'`).join(', ')}}`;
  const picked = which.map((i, k) => `${ident2(names[i]!)} AS column${k}`).join(', ');
  const [row] = await engine.rows(
    `SELECT ${which.map((_i, k) => stats(`column${k}`, k)).join(', ')} FROM (SELECT ${picked} FROM read_csv(${lit(localPath)}, ${csvDialect(csv, maxLine)}, auto_detect = false, columns = ${cols}${skipBadRows ? ', ignore_errors = true' : ''}))`,
  );
  return which.map((_i, k) => ({ int: Number(row?.[`int${k}`] ?? 0), scale: Number(row?.[`scale${k}`] ?? 0), other: !!row?.[`other${k}`], odd: !!row?.[`odd${k}`] }));
}

const ident2 = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The first record (the header), without a byte order mark. */
export async function firstRecord(localPath: string, csv: CsvOptions, context: ErrorContext): Promise<string[]> {
  const parser = parse({ delimiter: csv.delimiter, quote: csv.quote, escape: csv.escape ?? csv.quote, to_line: 1, relax_column_count: true, bom: true });
  const source = openBytes(localPath, parser);
  try {
    for await (const record of source) return record as string[];
  } catch (err) {
    throw csvParseError(err, context);
  } finally {
    source.destroy();
  }
  throw new DataError('the CSV file is empty: expected a header row', context);
}

/** Streams the file through csv-parse: every row must have as many fields as the header, quotes must close. */
export async function checkCsvStructure(localPath: string, csv: CsvOptions, context: ErrorContext): Promise<void> {
  const parser = parse({ delimiter: csv.delimiter, quote: csv.quote, escape: csv.escape ?? csv.quote, relax_column_count: false, skip_empty_lines: true, bom: true, max_record_size: MAX_LINE_BYTES });
  const source = openBytes(localPath, parser);
  try {
    for await (const _row of source); // only the parse errors matter
  } catch (err) {
    throw csvParseError(err, context);
  }
}

function csvParseError(err: unknown, context: ErrorContext): FerryError {
  if (err instanceof FerryError) return err;
  if (!(err instanceof CsvError)) return streamError(err, context);
  const e = err as CsvError & { lines?: number; column?: number | string; record?: unknown[] };
  // csv-parse: "Invalid Record Length: columns length is 7, got 8 on line 4"
  const expected = /(?:columns length is|expect(?:ed)?) (\d+)/i.exec(e.message)?.[1];
  const found = e.record?.length;
  const what = e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' || e.code === 'CSV_RECORD_INCONSISTENT_COLUMNS'
    ? `malformed CSV row: expected ${expected ?? 'the header\'s number of'} fields, found ${found ?? 'a different number'}`
    : `malformed CSV: ${e.message.replace(/^Invalid [^:]*: /, '')}`;
  // For a row that is too long, point at its first extra field.
  const column = found && expected && found > Number(expected) ? Number(expected) + 1 : typeof e.column === 'number' ? e.column + 1 : undefined;
  return new DataError(what, { ...context, line: e.lines, column }, { cause: err });
}

/**
 * A failed strict read, explained: invalid UTF-8 and an unclosed quote at the line DuckDB names
 * (for a quote, the line where it opened); other structural faults at csv-parse's exact line and
 * column; a value that does not convert at its line and field.
 */
export async function explainCsvFailure(err: unknown, localPath: string, csv: CsvOptions, context: ErrorContext): Promise<FerryError> {
  const text = duckDbText(err);
  if (err instanceof FerryError && err.code !== 'DATA' && err.code !== 'UNKNOWN') return err;
  const duckLine = Number(/on Line: (\d+)/.exec(text)?.[1]) || undefined;
  if (/invalid unicode|not utf-8/i.test(text)) {
    const line = (await firstInvalidUtf8Line(localPath, context).catch(() => undefined)) ?? duckLine;
    return new DataError('invalid UTF-8', { ...context, ...(line ? { line } : {}) }, { cause: err });
  }
  if (/unterminated quote/i.test(text)) {
    // DuckDB counts records, not lines: find the physical line where the quote opened.
    const line = (await unclosedQuoteLine(localPath, csv, context).catch(() => undefined)) ?? duckLine;
    return new DataError('unclosed quote: the quoted field opened on this line never closes', { ...context, ...(line ? { line } : {}) }, { cause: err });
  }
  await checkCsvStructure(localPath, csv, context);
  const column = /converting column "([^"]+)"/.exec(text)?.[1];
  const value = /Could not convert string "([^"]*)" to '([^']+)'/.exec(text);
  const message = value ? `value "${value[1]}" is not a valid ${value[2]}` : text.split('\n')[0]!.replace(/^[A-Za-z ]+Error: /, '');
  return new DataError(message, { ...context, ...(duckLine ? { line: duckLine } : {}), ...(column ? { field: column } : {}) }, { cause: err });
}

/** The line where a quoted field opens that is still open at the end of the file. */
async function unclosedQuoteLine(localPath: string, csv: CsvOptions, context: ErrorContext): Promise<number | undefined> {
  const quote = csv.quote.charCodeAt(0);
  let openedAt: number | undefined;
  for await (const { line, bytes } of lines(localPath, context)) {
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] !== quote) continue;
      if (openedAt === undefined) openedAt = line;
      else if (bytes[i + 1] === quote) i++; // a doubled quote inside a quoted field
      else openedAt = undefined;
    }
  }
  return openedAt;
}
