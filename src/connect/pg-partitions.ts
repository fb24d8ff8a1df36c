/**
 * Partitioned reads of a postgres source: `partition: { column, count }` splits the query into
 * `count` ranges of one numeric or date/time column, each read by its own ingest activity.
 *
 *   partition: { column: id, count: 8 }                    # min/max read from the query
 *   partition: { column: day, count: 12, bounds: ['2024-01-01', '2024-12-31'], concurrency: 4 }
 *
 * The ranges cover everything: the first is open below (and takes the rows whose column IS NULL),
 * the last open above, and each boundary belongs to exactly one range (`>= lo AND < hi`), so rows
 * inserted beyond the observed min/max between planning and reading are read too. Numeric columns
 * split on whole numbers, dates on days, timestamps on instants; cut points are computed by
 * PostgreSQL and travel as its own text, so nothing is rounded on the way.
 */
import { z } from 'zod';
import type pg from 'pg';
import { ConfigError, type ErrorContext } from '../errors.js';
import { ident } from '../table/engine.js';
import { escapeLiteral } from './pg-params.js';
import { notAQuery } from './pg-copy-read.js';

export const partitionSchema = z.strictObject({
  column: z.string().min(1).describe('a numeric, date or timestamp column of the query to split on'),
  count: z.number().int().min(1).max(10_000).describe('how many ranges (one ingest activity each)'),
  bounds: z.tuple([z.union([z.string(), z.number()]), z.union([z.string(), z.number()])]).optional()
    .describe('[min, max] to split between instead of reading min/max of the column (rows outside still land in the first or last range)'),
  concurrency: z.number().int().positive().default(4).describe('how many ranges are read at once'),
});

export type PartitionSpec = z.infer<typeof partitionSchema>;

/** One range: `lo <= column < hi` (either side open when absent), plus the NULLs when `nulls`. */
export type PgPart = { name: string; lo?: string; hi?: string; nulls?: boolean };

const WRAP = 'SELECT * FROM (\n';

/** `query` restricted to one part's range. */
export function partQuery(query: string, column: string, part: PgPart): string {
  const col = `q.${ident(column)}`;
  const range = [part.lo !== undefined ? `${col} >= ${escapeLiteral(part.lo)}` : '', part.hi !== undefined ? `${col} < ${escapeLiteral(part.hi)}` : ''].filter(Boolean).join(' AND ');
  const where = part.nulls ? (range ? `(${range}) OR ${col} IS NULL` : '') : range;
  return where ? `${WRAP}${query}\n) q WHERE ${where}` : query;
}

type Kind = 'number' | 'date' | 'time';
const KINDS: Record<number, Kind> = { 20: 'number', 21: 'number', 23: 'number', 1700: 'number', 1082: 'date', 1114: 'time', 1184: 'time' };

/**
 * The parts of `query` on `spec.column`, planned in the caller's transaction: the column's type
 * from the query's description, its min/max (unless `bounds`), and `count` cut points.
 */
export async function planPartitions(client: pg.PoolClient, query: string, spec: PartitionSpec, context: ErrorContext): Promise<PgPart[]> {
  const where = { ...context, field: 'partition.column' };
  const col = `q.${ident(spec.column)}`;
  const probe = `${WRAP}${query}\n) q LIMIT 0`;
  const described = await client.query(probe).catch((err: unknown) => {
    throw notAQuery(err, query, WRAP.length, context) ?? err;
  });
  const field = described.fields.find((f) => f.name === spec.column);
  if (!field) throw new ConfigError(`partition.column ${spec.column} is not a column of the query; its columns: ${described.fields.map((f) => f.name).join(', ')}`, where);
  const kind = KINDS[field.dataTypeID];
  if (!kind) {
    const type = (await client.query<{ t: string }>('SELECT format_type($1::oid, NULL) AS t', [field.dataTypeID])).rows[0]?.t;
    throw new ConfigError(`partition.column ${spec.column} is ${type}: a partition column must be an integer, numeric, date or timestamp column`, where);
  }
  const type = kind === 'number' ? 'numeric' : kind === 'date' ? 'date' : field.dataTypeID === 1184 ? 'timestamptz' : 'timestamp';
  let lo: string | null;
  let hi: string | null;
  if (spec.bounds) [lo, hi] = spec.bounds.map(String) as [string, string];
  else {
    const found = await client.query<{ lo: string | null; hi: string | null }>(`SELECT min(${col})::text AS lo, max(${col})::text AS hi FROM (\n${query}\n) q`);
    ({ lo, hi } = found.rows[0]!);
  }
  if (lo === null || hi === null || spec.count === 1) return [{ name: partName(0, 1), nulls: true }];
  const cut = kind === 'number'
    ? 'floor($1::numeric) + div((floor($2::numeric) - floor($1::numeric) + 1) * g, $3::int)'
    : kind === 'date'
      ? '$1::date + ((($2::date - $1::date) + 1) * g / $3::int)'
      : `to_timestamp((extract(epoch FROM $1::${type}) + (extract(epoch FROM $2::${type}) - extract(epoch FROM $1::${type})) * g / $3::int)::float8)::${type}`;
  const cuts = await client.query<{ c: string }>(`SELECT DISTINCT (${cut})::text AS c, (${cut}) AS v FROM generate_series(1, $3::int - 1) g WHERE (${cut}) > $1::${type} ORDER BY v`, [lo, hi, spec.count])
    .catch((err: unknown) => {
      throw new ConfigError(`partition of ${spec.column}: cannot split ${lo} … ${hi} into ${spec.count} ranges (PostgreSQL: ${(err as Error).message}); give partition.bounds`, where, { cause: err });
    });
  const points = cuts.rows.map((r) => r.c);
  const n = points.length + 1;
  return Array.from({ length: n }, (_, i) => ({
    name: partName(i, n),
    ...(i > 0 ? { lo: points[i - 1]! } : {}),
    ...(i < n - 1 ? { hi: points[i]! } : {}),
    ...(i === 0 ? { nulls: true } : {}),
  }));
}

export const partName = (i: number, n: number): string => `p${String(i + 1).padStart(String(n).length, '0')}-of-${n}`;
