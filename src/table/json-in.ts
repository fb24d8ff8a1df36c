/**
 * JSON and NDJSON files read exactly, like records from an API (connect/json-records.ts). DuckDB's
 * JSON reader parses every number as a double: 99999999999999.999999 becomes 100000000000000, a
 * declared DECIMAL(20,6) then fails, and numbers inside nested values lose their tail. So the file
 * is parsed by Ferry's lossless reader (connect/json-text.ts), written as NDJSON whose numbers and
 * nested values are text, and typed from what each column held: integers BIGINT (DECIMAL(38,0)
 * beyond 64 bits), short fractions DOUBLE, long ones DECIMAL, arrays of strings, booleans, 64-bit
 * integers or short fractions lists (PostgreSQL arrays), other nested values JSON, strings by
 * DuckDB's detection (zoned timestamps TIMESTAMPTZ), declared `columns` on top.
 *
 * A JSON file holds one array of records, or records one after another (json-values.ts); NDJSON
 * is read line by line. Both stream, so a file's size is not bounded by memory. Errors name the line.
 *
 *   await readJsonFile(engine, 'orders', '/tmp/orders.ndjson', 'ndjson', { amount: 'DECIMAL(12,2)' }, { file: 's3://b/orders.ndjson' });
 */
import { isUtf8 } from 'node:buffer';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { DataError, type ErrorContext } from '../errors.js';
import { parseJsonText, JsonSyntaxError, type JsonNode } from '../connect/json-text.js';
import { recordsToNdjson, loadRecords, NotObjectError, type StatsMap } from '../connect/json-records.js';
import { lines } from './text.js';
import { jsonRecords } from './json-values.js';
import type { TableEngine } from './engine.js';

export async function readJsonFile(engine: TableEngine, dataset: string, localPath: string, format: 'json' | 'ndjson', declared: Record<string, string> | undefined, context: ErrorContext): Promise<void> {
  const stats: StatsMap = {};
  const exact = join(engine.workdir, `${dataset}.exact.ndjson`);
  const out = createWriteStream(exact);
  const failed = once(out, 'error').then(([err]) => Promise.reject(err as Error));
  failed.catch(() => undefined);
  const lists = new Map<string, Set<ItemKind> | false>();
  let count = 0;
  const write = async (record: JsonNode, line: number | undefined) => {
    let text: string;
    try {
      [text] = recordsToNdjson({ kind: 'array', items: [record] }, 'json', stats) as [string];
    } catch (err) {
      if (err instanceof NotObjectError) throw new DataError(`record ${count + 1} is not a JSON object`, { ...context, ...(line ? { line } : {}) });
      throw err;
    }
    if (record.kind === 'object') for (const [name, value] of record.entries) noteList(lists, name, value);
    count++;
    pending.push(text);
    if (pending.length >= 1000) await flush();
  };
  const pending: string[] = [];
  const flush = async () => {
    const chunk = `${pending.join('\n')}\n`;
    pending.length = 0;
    if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
  };
  try {
    if (format === 'json') {
      for await (const { text, line } of jsonRecords(localPath, context)) await write(parse(text, context, line), line);
    } else {
      for await (const { line, bytes } of lines(localPath, context)) {
        if (!isUtf8(bytes)) throw new DataError('invalid UTF-8', { ...context, line });
        const text = bytes.toString('utf8');
        if (!/\S/.test(text)) continue;
        await write(parse(text, context, line), line);
      }
    }
    if (pending.length) await flush();
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
  } finally {
    if (!out.closed) out.destroy();
  }
  try {
    await loadRecords(engine, dataset, count ? [exact] : [], stats, { ...listTypes(lists, stats), ...declared }, 'json');
  } catch (err) {
    // A value that does not fit a declared type: DuckDB names the line of the rewritten file, which is the record's number.
    const m = /in line (\d+): ([^\n]*)/.exec((err as Error).message);
    if (!m) throw err;
    throw new DataError(`record ${m[1]}: ${m[2]} (a value that does not fit its column type)`, { ...context, field: 'columns' }, { cause: err });
  }
}

function parse(text: string, context: ErrorContext, line: number): JsonNode {
  try {
    return parseJsonText(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    throw new DataError(`malformed JSON: ${err.message.replace(/ at position \d+$/, '')}`, { ...context, line });
  }
}

/** What the items of a column's arrays were; `false`: the column held something else than arrays (or null). */
type ItemKind = 'string' | 'boolean' | 'integer' | 'short' | 'other';
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

function noteList(lists: Map<string, Set<ItemKind> | false>, name: string, value: JsonNode): void {
  if (value.kind === 'literal' && value.value === null) return;
  const kinds = lists.get(name);
  if (kinds === false) return;
  if (value.kind !== 'array') return void lists.set(name, false);
  const into = kinds ?? new Set<ItemKind>();
  for (const item of value.items) if (!(item.kind === 'literal' && item.value === null)) into.add(itemKind(item));
  lists.set(name, into);
}

function itemKind(item: JsonNode): ItemKind {
  if (item.kind === 'string') return 'string';
  if (item.kind === 'literal') return 'boolean';
  if (item.kind !== 'number') return 'other';
  if (/^-?\d+$/.test(item.text)) return BigInt(item.text) >= INT64.min && BigInt(item.text) <= INT64.max ? 'integer' : 'other';
  // A fraction of up to 15 significant digits prints back the same from a double (as for columns).
  const digits = item.text.replace(/[eE].*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').replace(/0+$/, '');
  return digits.length <= 15 ? 'short' : 'other';
}

/**
 * Arrays of strings, booleans, 64-bit integers or short fractions keep being lists (VARCHAR[],
 * BOOLEAN[], BIGINT[], DOUBLE[]: PostgreSQL arrays), exactly; other nested values stay JSON text.
 */
function listTypes(lists: Map<string, Set<ItemKind> | false>, stats: StatsMap): Record<string, string> {
  const types: Record<string, string> = {};
  const LIST: Partial<Record<ItemKind, string>> = { string: 'VARCHAR[]', boolean: 'BOOLEAN[]', integer: 'BIGINT[]', short: 'DOUBLE[]' };
  for (const [name, kinds] of lists) {
    if (!kinds || kinds.size !== 1 || stats[name]!.nested !== stats[name]!.strings + stats[name]!.numbers + stats[name]!.booleans + stats[name]!.nested) continue;
    const type = LIST[[...kinds][0]!];
    if (type) types[name] = type;
  }
  return types;
}
