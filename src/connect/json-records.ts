/**
 * API records into a DuckDB table without losing a digit. DuckDB's JSON reader parses numbers as
 * doubles (0.12345678901234567890123 → 0.12345678901234568, and a JSON column re-serialises its
 * numbers the same way), so records are written as NDJSON in which every number is a string
 * holding its exact source text and every nested value is a string holding its exact JSON text.
 * Column types are then chosen from what each column held (`ColumnStats`, saved with each page),
 * and DuckDB casts the text: exact for BIGINT and DECIMAL.
 *
 *   numbers   integers → BIGINT (DECIMAL(38,0) beyond 64 bits); fractions of up to 15 significant digits
 *             → DOUBLE (prints back the same digits); longer ones → DECIMAL(p,s) that holds them;
 *             beyond 38 digits → VARCHAR (the exact text); a column with an exponent (1.5e3) is a DOUBLE
 *             unless it holds more than 15 significant digits that a DECIMAL(38) can hold
 *   nested    objects/arrays → JSON (the exact text), or with `nested: flatten` objects become
 *             columns: address.city → address_city (arrays stay JSON)
 *   strings   DuckDB's own detection (DATE, TIMESTAMP, VARCHAR, …); booleans → BOOLEAN
 *   mixed     → VARCHAR; `columns:` of the source overrides the type of the columns it names
 *
 *   const stats: StatsMap = {};
 *   const lines = recordsToNdjson(arrayNode, 'json', stats);   // throws NotObjectError
 *   await loadRecords(table, 'customers', files, stats, { amount: 'DECIMAL(12,2)' }, 'json');
 */
import type { TableEngine } from '../table/engine.js';
import { ident, lit } from '../table/engine.js';
import { ConfigError } from '../errors.js';
import { compact, type JsonNode } from './json-text.js';

export type NestedMode = 'json' | 'flatten';

/** What one column held across all records so far: counts by kind and the shape of its numbers. */
export type ColumnStats = {
  strings: number;
  numbers: number;
  booleans: number;
  nested: number;
  /** Some number had a fraction or an exponent. */
  fraction: boolean;
  exponent: boolean;
  /** Digits before the point, after it, and significant digits (trailing fraction zeros not counted). */
  intDigits: number;
  scale: number;
  significant: number;
  /** Some integer did not fit a signed 64-bit integer. */
  beyondInt64: boolean;
};
export type StatsMap = Record<string, ColumnStats>;

/** A record that is not a JSON object; `index` counts from 0 within the page. */
export class NotObjectError extends Error {
  constructor(readonly index: number) {
    super(`record ${index + 1} is not a JSON object`);
  }
}

const INT64_MAX = 9223372036854775807n;

const emptyStats = (): ColumnStats => ({ strings: 0, numbers: 0, booleans: 0, nested: 0, fraction: false, exponent: false, intDigits: 0, scale: 0, significant: 0, beyondInt64: false });

/** One NDJSON line per record (see the module comment for how values are written); updates `stats`. */
export function recordsToNdjson(records: JsonNode & { kind: 'array' }, nested: NestedMode, stats: StatsMap): string[] {
  return pageToNdjson(records, nested, stats).lines;
}

/** Child datasets split out of each record (`children:` of the http source). */
export type ChildSplit = {
  /** The record's field holding the array, e.g. items (removed from the parent row). */
  field: string;
  /** The parent's key field, copied into each child row as `keyColumn`. */
  key: string;
  keyColumn: string;
  stats: StatsMap;
};

/** A record that breaks a rule of its page (`index` counts from 0 within the page). */
export class RecordShapeError extends Error {
  constructor(readonly index: number, message: string, readonly field = 'children') {
    super(`record ${index + 1} ${message}`);
  }
}

/** Two fields of one record that `nested: flatten` would write to one column (a_b and a.b). */
class FlattenCollision extends Error {
  constructor(readonly column: string, readonly first: string, readonly second: string) {
    super(`has both '${first}' and '${second}', which nested: flatten both turns into column '${column}'; rename one upstream or use nested: json`);
  }
}

/**
 * `recordsToNdjson` with extras: `append` adds fields (exact text, typed by the caller's declared
 * columns) to every row; `children` splits arrays out into child rows, one per element, with the
 * parent's key and `_index` (0-based position). A child element that is not an object becomes
 * `value`. Returns the parent's lines and each child's lines, in the order of `children`.
 */
export function pageToNdjson(
  records: JsonNode & { kind: 'array' },
  nested: NestedMode,
  stats: StatsMap,
  options: { append?: [string, string][]; children?: ChildSplit[] } = {},
): { lines: string[]; children: string[][] } {
  const children = options.children ?? [];
  const childLines: string[][] = children.map(() => []);
  const appended = (options.append ?? []).map(([name, text]): [string, JsonNode] => [name, { kind: 'string', value: text, raw: JSON.stringify(text) }]);
  const lines = records.items.map((record, index) => {
    if (record.kind !== 'object') throw new NotObjectError(index);
    let entries = record.entries;
    children.forEach((child, c) => {
      const value = findField(entries, child.field);
      entries = entries.filter(([k]) => k !== child.field);
      if (!value || (value.kind === 'literal' && value.value === null)) return;
      if (value.kind !== 'array') throw new RecordShapeError(index, `has ${child.field} as ${value.kind}, expected an array (children)`);
      const key = findField(record.entries, child.key);
      if (!key || (key.kind === 'literal' && key.value === null) || key.kind === 'object' || key.kind === 'array') {
        throw new RecordShapeError(index, `has no value for its key '${child.key}' (children need the parent's key)`);
      }
      value.items.forEach((item, i) => {
        const own: [string, JsonNode][] = item.kind === 'object' ? item.entries : [['value', item]];
        const taken = own.find(([k]) => k === child.keyColumn || k === '_index');
        if (taken) throw new RecordShapeError(index, `has ${child.field}[${i}] with its own field '${taken[0]}', the column Ferry adds to child rows (children)`);
        const row: JsonNode = { kind: 'object', entries: [[child.keyColumn, key], ['_index', { kind: 'number', text: String(i) }], ...own] };
        try {
          childLines[c]!.push(objectLine(row, nested, child.stats));
        } catch (err) {
          if (err instanceof FlattenCollision) throw new RecordShapeError(index, `${child.field}[${i}] ${err.message}`, 'nested');
          throw err;
        }
      });
    });
    const taken = appended.find(([name]) => findField(entries, name));
    if (taken) throw new RecordShapeError(index, `has its own field '${taken[0]}', the column for_each adds from the parent row`, 'for_each');
    try {
      return objectLine({ kind: 'object', entries: [...entries, ...appended] }, nested, stats);
    } catch (err) {
      if (err instanceof FlattenCollision) throw new RecordShapeError(index, err.message, 'nested');
      throw err;
    }
  });
  return { lines, children: childLines };
}

function findField(entries: [string, JsonNode][], name: string): JsonNode | undefined {
  for (let k = entries.length - 1; k >= 0; k--) if (entries[k]![0] === name) return entries[k]![1];
  return undefined;
}

function objectLine(record: JsonNode & { kind: 'object' }, nested: NestedMode, stats: StatsMap): string {
  const fields = new Map<string, JsonNode>();
  collect(record, '', '', nested, fields, new Map());
  const parts: string[] = [];
  for (const [name, value] of fields) {
    const s = (stats[name] ??= emptyStats());
    parts.push(`${JSON.stringify(name)}:${encode(value, s)}`);
  }
  return `{${parts.join(',')}}`;
}

function collect(object: JsonNode & { kind: 'object' }, prefix: string, path: string, nested: NestedMode, into: Map<string, JsonNode>, origins: Map<string, string>): void {
  for (const [key, value] of object.entries) {
    const name = prefix ? `${prefix}_${key}` : key;
    const at = path ? `${path}.${key}` : key;
    if (nested === 'flatten' && value.kind === 'object') collect(value, name, at, nested, into, origins);
    else {
      // A duplicate key (the same path): the last one wins, in its own position. Another path to the same name would lose a value.
      const earlier = origins.get(name);
      if (earlier !== undefined && earlier !== at) throw new FlattenCollision(name, earlier, at);
      origins.set(name, at);
      into.delete(name);
      into.set(name, value);
    }
  }
}

function encode(value: JsonNode, s: ColumnStats): string {
  switch (value.kind) {
    case 'string':
      s.strings++;
      return value.raw;
    case 'number':
      s.numbers++;
      measure(value.text, s);
      return `"${value.text}"`;
    case 'literal':
      if (value.value !== null) s.booleans++;
      return String(value.value);
    default:
      s.nested++;
      return JSON.stringify(compact(value));
  }
}

function measure(text: string, s: ColumnStats): void {
  const m = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text)!;
  const [, int, frac = '', exp] = m;
  if (exp !== undefined) s.exponent = true;
  if (frac) s.fraction = true;
  // An exponent moves the point: 1.5e3 has 4 integer digits and scale 0, 2e-5 scale 5 (for a DECIMAL that holds them).
  const shift = exp === undefined ? 0 : Number(exp);
  const point = int!.length + shift;
  const intDigits = point <= 0 ? 0 : `${int}${frac}`.slice(0, point).padEnd(point, '0').replace(/^0+/, '').length;
  const significant = `${int === '0' ? '' : int}${frac.replace(/0+$/, '')}`.replace(/^0+/, '').length;
  s.intDigits = Math.max(s.intDigits, intDigits);
  s.scale = Math.max(s.scale, frac.length - shift);
  s.significant = Math.max(s.significant, significant);
  if (!frac && exp === undefined && intDigits >= 19 && BigInt(text) > INT64_MAX) s.beyondInt64 = true;
  if (!frac && exp === undefined && intDigits >= 19 && BigInt(text) < -INT64_MAX - 1n) s.beyondInt64 = true;
}

/** Adds the stats of `more` (a page) to `into` (the pages before it). */
export function mergeStats(into: StatsMap, more: StatsMap): StatsMap {
  for (const [name, m] of Object.entries(more)) {
    const s = (into[name] ??= emptyStats());
    s.strings += m.strings;
    s.numbers += m.numbers;
    s.booleans += m.booleans;
    s.nested += m.nested;
    s.fraction ||= m.fraction;
    s.exponent ||= m.exponent;
    s.beyondInt64 ||= m.beyondInt64;
    s.intDigits = Math.max(s.intDigits, m.intDigits);
    s.scale = Math.max(s.scale, m.scale);
    s.significant = Math.max(s.significant, m.significant);
  }
  return into;
}

const DOUBLE_DIGITS = 15;
const MAX_DECIMAL = 38;

/** The type a column gets from what it held; `undefined`: strings only, DuckDB's detection decides. */
export function columnType(s: ColumnStats): string | undefined {
  const kinds = [s.strings, s.numbers, s.booleans, s.nested].filter((n) => n > 0).length;
  if (kinds === 0) return 'VARCHAR'; // nulls only
  if (kinds > 1) return 'VARCHAR';
  if (s.strings) return undefined;
  if (s.booleans) return 'BOOLEAN';
  if (s.nested) return 'JSON';
  if (s.exponent) {
    // A DOUBLE when it keeps every digit; else the DECIMAL that does (0.12345678901234567890123 beside -1.5e3).
    const precision = Math.max(1, s.intDigits + s.scale);
    return s.significant <= DOUBLE_DIGITS || precision > MAX_DECIMAL ? 'DOUBLE' : `DECIMAL(${precision},${s.scale})`;
  }
  // Not HUGEINT: Parquet has no 128-bit integer, and DuckDB would stage it as a DOUBLE.
  if (!s.fraction) return !s.beyondInt64 ? 'BIGINT' : s.intDigits <= MAX_DECIMAL ? `DECIMAL(${MAX_DECIMAL},0)` : 'VARCHAR';
  if (s.significant <= DOUBLE_DIGITS) return 'DOUBLE';
  const precision = Math.max(1, s.intDigits + s.scale);
  return precision <= MAX_DECIMAL ? `DECIMAL(${precision},${s.scale})` : 'VARCHAR';
}

/** Reads the NDJSON files written by `recordsToNdjson` into `dataset`, typed as described above. */
export async function loadRecords(table: TableEngine, dataset: string, files: string[], stats: StatsMap, declared: Record<string, string> = {}, nested: NestedMode = 'json'): Promise<void> {
  const held = (s: ColumnStats) => s.strings + s.numbers + s.booleans + s.nested > 0;
  const all = Object.keys(stats);
  // Flattened, `"address": null` is no column of its own: address_city and the rest are null in that row.
  const flattenedAway = (n: string) => nested === 'flatten' && !held(stats[n]!) && !(n in declared) && all.some((o) => o.startsWith(`${n}_`) && held(stats[o]!));
  const names = [...all.filter((n) => !flattenedAway(n)), ...Object.keys(declared).filter((n) => !(n in stats))];
  if (files.length === 0) {
    const columns = Object.entries(declared).map(([name, type]) => ({ name, type }));
    await table.loadNdjson(dataset, [], columns);
    return;
  }
  // The engine may read only its own folders: saved pages elsewhere are linked or copied in first.
  const admitted: string[] = [];
  for (const f of files) admitted.push(await table.admit(f));
  const list = `[${admitted.map(lit).join(', ')}]`;
  const types = new Map<string, string | undefined>(names.map((n) => [n, declared[n] ?? (stats[n] ? columnType(stats[n]) : 'VARCHAR')]));
  if ([...types.values()].some((t) => t === undefined)) {
    // Strings only: let DuckDB's detection type them (dates, timestamps, …); text with Z or an offset is TIMESTAMPTZ.
    const detected = await table.jsonColumns(`${list}, format = 'newline_delimited'`);
    for (const c of detected) if (types.has(c.name) && types.get(c.name) === undefined) types.set(c.name, c.type);
  }
  // Nested values arrive as their JSON text: read as text, then cast (exact for JSON, converted for STRUCT or LIST).
  const readAs = (name: string, type: string) => (stats[name]?.nested || /^JSON$/i.test(type) ? 'VARCHAR' : type);
  const columns = names.map((n) => `${lit(n)}: ${lit(readAs(n, types.get(n) ?? 'VARCHAR'))}`).join(', ');
  const select = names.map((n) => {
    const type = types.get(n) ?? 'VARCHAR';
    if (readAs(n, type) === type) return ident(n);
    return /^JSON$/i.test(type) ? `CAST(${ident(n)} AS JSON) AS ${ident(n)}` : `json_transform(CAST(${ident(n)} AS JSON), ${typeLiteral(type)}) AS ${ident(n)}`;
  }).join(', ');
  await table.run(`CREATE OR REPLACE TABLE ${ident(dataset)} AS SELECT ${select} FROM read_json(${list}, format = 'newline_delimited', columns = {${columns}})`);
}

/** A type as a string literal for json_transform: a declared type never becomes SQL text. */
const typeLiteral = (type: string): string => lit(JSON.stringify(type));

/** Declared column types must be DuckDB types: a CONFIG error naming the column, before any request. */
export async function checkColumnTypes(table: TableEngine, declared: Record<string, string> = {}): Promise<void> {
  for (const [name, type] of Object.entries(declared)) {
    try {
      await table.run(`SELECT json_transform('null', ${typeLiteral(type)})`);
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0]!.replace(/^[A-Za-z ]+Error: /, '');
      throw new ConfigError(`${JSON.stringify(type)} is not a DuckDB type (${reason})`, { field: `columns.${name}` }, { cause: err });
    }
  }
}
