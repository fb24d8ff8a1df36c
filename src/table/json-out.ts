/**
 * Datasets as JSON text, exactly, for the JSON/NDJSON file writers and the http sink. DuckDB's own
 * JSON writer re-parses JSON columns into doubles (0.12345678901234567890123 → 0.12345678901234568)
 * and writes NaN and Infinity, which no strict JSON parser reads. Here each record is built by
 * DuckDB as text: `to_json` of each value (exact for 128-bit integers), a DECIMAL's text with its
 * scale (12.10, not 12.1), the text itself of a JSON column (its line breaks, which JSON allows
 * only between tokens, become spaces so a record stays one line), and NaN/±Infinity as the strings
 * "NaN", "Infinity", "-Infinity", as PostgreSQL's to_json writes them.
 *
 *   const rows = `SELECT ${recordSql(await engine.columns('sales'))} AS j FROM sales`;
 *   await writeJsonFile(engine, 'sales', '/tmp/out.json', 'json');
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { ident, lit, type Column, type TableEngine } from './engine.js';

/** SQL for one record's JSON text (a single line) over the dataset's columns. */
export function recordSql(columns: Column[]): string {
  const fields = columns.map((c, i) => `${lit(`${i ? ',' : ''}${JSON.stringify(c.name)}:`)} || coalesce(${jsonValueSql(ident(c.name), c.type)}, 'null')`);
  return fields.length ? `'{' || ${fields.join(' || ')} || '}'` : `'{}'`;
}

/** SQL for the JSON text of `v` (an SQL expression) of DuckDB type `type`; NULL stays NULL. */
export function jsonValueSql(v: string, type: string, depth = 0): string {
  if (/^JSON$/i.test(type)) return `replace(replace(CAST(${v} AS VARCHAR), chr(10), ' '), chr(13), ' ')`;
  if (/^(DOUBLE|FLOAT|REAL|FLOAT4|FLOAT8)$/i.test(type)) {
    return `CASE WHEN isnan(${v}) THEN '"NaN"' WHEN isinf(${v}) AND ${v} > 0 THEN '"Infinity"' WHEN isinf(${v}) THEN '"-Infinity"' ELSE CAST(to_json(${v}) AS VARCHAR) END`;
  }
  // to_json writes a narrow DECIMAL through a double (12.10 → 12.1); its text keeps the scale, as PostgreSQL's to_json does.
  if (/^DECIMAL\([^)]*\)$/i.test(type)) return `regexp_replace(CAST(${v} AS VARCHAR), '^(-?)\\.', '\\10.')`;
  // A list of such items, item by item (to_json would write [NaN] and [1.1] for DECIMAL 1.10).
  const item = /^(.*)\[\d*\]$/.exec(type)?.[1];
  if (item && !/^(STRUCT|MAP|UNION)\(/i.test(item) && /DOUBLE|FLOAT|REAL|DECIMAL|JSON/i.test(item)) {
    const x = `x${depth}`;
    return `'[' || array_to_string(list_transform(${v}, lambda ${x}: coalesce(${jsonValueSql(x, item, depth + 1)}, 'null')), ',') || ']'`;
  }
  return `CAST(to_json(${v}) AS VARCHAR)`;
}

/**
 * Writes `dataset` to `path` as NDJSON (one record per line) or as a JSON array (one record per
 * line between `[` and `]`), gzipped when the path ends in `.gz`. Records keep the staged order.
 */
export async function writeJsonFile(engine: TableEngine, dataset: string, path: string, format: 'json' | 'ndjson'): Promise<void> {
  const gz = path.endsWith('.gz');
  const lines = format === 'ndjson' ? path : `${path}.lines`;
  // A one-column CSV without quoting is the lines as they are: every record is one line of JSON text.
  const select = `SELECT ${recordSql(await engine.columns(dataset))} FROM ${ident(dataset)}`;
  await engine.run(`COPY (${select}) TO ${lit(lines)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE ''${gz && format === 'ndjson' ? ", COMPRESSION 'gzip'" : ''})`);
  if (format === 'ndjson') return;
  try {
    if (gz) await pipeline(createReadStream(lines, 'utf8'), asArray, createGzip(), createWriteStream(path));
    else await pipeline(createReadStream(lines, 'utf8'), asArray, createWriteStream(path));
  } finally {
    await rm(lines, { force: true });
  }
}

async function* asArray(source: AsyncIterable<string>): AsyncGenerator<string> {
  yield '[\n';
  let rest = '';
  let first = true;
  for await (const chunk of source) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    if (parts.length === 0) continue;
    yield `${first ? '\t' : ',\n\t'}${parts.join(',\n\t')}`;
    first = false;
  }
  if (rest) yield `${first ? '\t' : ',\n\t'}${rest}`;
  yield first && !rest ? ']\n' : '\n]\n';
}
