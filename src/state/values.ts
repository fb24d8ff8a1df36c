/**
 * Watermark values: exact text of one of five types, and the arithmetic the window needs (minus a
 * lookback, compare). Never a JS float or a JS Date on the way: a bigint beyond 2^53 and a
 * timestamp's microseconds survive as written.
 *
 *   timestamptz  2024-01-05T10:00:00.123456Z   (UTC, microseconds; from TIMESTAMPTZ columns, s3 last_modified)
 *   timestamp    2024-01-05T10:00:00.123456    (no zone; from TIMESTAMP columns)
 *   date         2024-01-05
 *   number       9007199254740993, 12.50       (integers and decimals, exact)
 *   text         any string, compared byte-wise (ISO strings of one format, s3 keys)
 *
 *   subtractLookback('2024-01-05T10:00:00.000000Z', 'timestamptz', '1h')  // '2024-01-05T09:00:00.000000Z'
 *   compareValues('10', '9', 'number')                                     // 1
 */
import { ConfigError, type ErrorContext } from '../errors.js';
import { parseDuration } from '../pipeline/duration.js';

export const WATERMARK_TYPES = ['timestamptz', 'timestamp', 'date', 'number', 'text'] as const;
export type WatermarkType = (typeof WATERMARK_TYPES)[number];

/** The watermark type of a DuckDB column type, or undefined for one that cannot be a cursor. */
export function typeOfColumn(duckType: string): WatermarkType | undefined {
  const t = duckType.toUpperCase();
  if (t === 'TIMESTAMP WITH TIME ZONE' || t === 'TIMESTAMPTZ') return 'timestamptz';
  if (/^TIMESTAMP(_S|_MS|_NS)?$/.test(t)) return 'timestamp';
  if (t === 'DATE') return 'date';
  if (/^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|DECIMAL\(\d+,\d+\)|DOUBLE|FLOAT|REAL)$/.test(t)) return 'number';
  if (t === 'VARCHAR') return 'text';
  return undefined;
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const NUMBER = /^-?\d+(\.\d+)?$/;

/** Microseconds since the epoch of a date or ISO time (a time without zone is read as UTC). */
export function parseInstant(text: string): bigint | undefined {
  const m = INSTANT.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(ms);
  if (Number.isNaN(ms) || check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1) return undefined;
  let micros = BigInt(ms) * 1000n + BigInt((frac + '000000').slice(0, 6));
  if (zone && zone.toUpperCase() !== 'Z') {
    const [, sign, zh, zm = '0'] = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const offset = BigInt((Number(zh) * 60 + Number(zm)) * 60_000_000);
    micros += sign === '+' ? -offset : offset;
  }
  return micros;
}

/** An instant as `YYYY-MM-DDTHH:MM:SS.ffffff` (+ `Z` for timestamptz), or `YYYY-MM-DD` for a date. */
export function formatInstant(micros: bigint, type: 'timestamptz' | 'timestamp' | 'date'): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const sub = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const iso = new Date(Number(ms)).toISOString();
  if (type === 'date') return iso.slice(0, 10);
  return `${iso.slice(0, 19)}.${String(sub).padStart(6, '0')}${type === 'timestamptz' ? 'Z' : ''}`;
}

/** A decimal string as (digits, scale): exact arithmetic without floats. */
function decimal(text: string): { n: bigint; scale: number } {
  const [int, frac = ''] = text.split('.');
  return { n: BigInt(`${int}${frac}`), scale: frac.length };
}

function alignDecimals(a: string, b: string): [bigint, bigint, number] {
  const x = decimal(a);
  const y = decimal(b);
  const scale = Math.max(x.scale, y.scale);
  return [x.n * 10n ** BigInt(scale - x.scale), y.n * 10n ** BigInt(scale - y.scale), scale];
}

function formatDecimal(n: bigint, scale: number): string {
  if (scale === 0) return String(n);
  const negative = n < 0n;
  const digits = String(negative ? -n : n).padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/**
 * A value checked (and normalised) as `type`: times to UTC microseconds, dates to YYYY-MM-DD.
 * Throws a ConfigError naming what was expected (for `ferry state set` and `initial`).
 */
export function normalizeValue(text: string, type: WatermarkType, context: ErrorContext = {}): string {
  const bad = (what: string) => new ConfigError(`${JSON.stringify(text)} is not ${what}`, context);
  if (type === 'text') return text;
  if (type === 'number') {
    // Scientific notation (a DOUBLE column's max) is kept as written.
    if (!NUMBER.test(text.trim()) && Number.isNaN(Number(text))) throw bad('a number');
    return text.trim();
  }
  const micros = parseInstant(text);
  if (micros === undefined) throw bad(type === 'date' ? 'a date (YYYY-MM-DD)' : 'a time (YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±HH:MM])');
  return formatInstant(micros, type);
}

/** Orders two values of one type: negative, 0 or positive. */
export function compareValues(a: string, b: string, type: WatermarkType): number {
  if (type === 'text') return a < b ? -1 : a > b ? 1 : 0;
  if (type === 'number') {
    if (NUMBER.test(a) && NUMBER.test(b)) {
      const [x, y] = alignDecimals(a, b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    return Math.sign(Number(a) - Number(b));
  }
  const x = parseInstant(a);
  const y = parseInstant(b);
  if (x === undefined || y === undefined) throw new ConfigError(`cannot compare ${JSON.stringify(a)} and ${JSON.stringify(b)} as ${type}`);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The window's start: `value` minus `lookback` (a duration for time types, a number for numbers).
 * A date minus a duration rounds down to its day. No lookback: the value itself.
 */
export function subtractLookback(value: string, type: WatermarkType, lookback: string | number | undefined, context: ErrorContext = {}): string {
  if (lookback === undefined || lookback === 0 || lookback === '0s') return value;
  if (type === 'text') throw new ConfigError(`lookback does not apply to a text cursor (watermark ${JSON.stringify(value)}): remove it, or cast the cursor to a time or number`, context);
  if (type === 'number') {
    if (typeof lookback !== 'number') throw new ConfigError(`lookback ${JSON.stringify(lookback)} is a duration but the cursor is a number: give a number (e.g. lookback: 100)`, context);
    if (!NUMBER.test(value)) return String(Number(value) - lookback);
    const [x, y, scale] = alignDecimals(value, String(lookback));
    return formatDecimal(x - y, scale);
  }
  if (typeof lookback === 'number') throw new ConfigError(`lookback ${lookback} is a number but the cursor is a ${type}: give a duration (e.g. lookback: 1h)`, context);
  const micros = parseInstant(value);
  if (micros === undefined) throw new ConfigError(`watermark ${JSON.stringify(value)} is not a ${type}`, context);
  return formatInstant(micros - BigInt(Math.round(parseDuration(lookback) * 1000)), type);
}
