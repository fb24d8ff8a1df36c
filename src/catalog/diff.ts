/**
 * What changed between two versions of a dataset: the schema (columns added, removed, retyped),
 * row counts and per-column statistics (from the recorded profiles: no data read), and, by key,
 * the rows added, removed and changed (DuckDB over both versions' staged files).
 *
 *   const d = diffEntries(v1, v2);                        // schema + statistics
 *   await loadVersion(engine, 'a', v1); await loadVersion(engine, 'b', v2);
 *   const rows = await diffRows(engine, 'a', 'b', ['id'], 5);
 */
import { DataError, ConfigError } from '../errors.js';
import { ident, type TableEngine } from '../table/engine.js';
import type { ColumnProfile } from '../run.js';
import type { CatalogEntry } from './entry.js';

type Column = { name: string; type: string };
export type SchemaDiff = { added: Column[]; removed: Column[]; retyped: { name: string; from: string; to: string }[] };
export type StatChange = { column: string; stat: string; from: number | string | null; to: number | string | null };
export type VersionDiff = { schema: SchemaDiff; rows: { from: number; to: number }; stats: StatChange[] };

export function diffSchema(a: Column[], b: Column[]): SchemaDiff {
  const before = new Map(a.map((c) => [c.name, c.type]));
  const after = new Map(b.map((c) => [c.name, c.type]));
  return {
    added: b.filter((c) => !before.has(c.name)),
    removed: a.filter((c) => !after.has(c.name)),
    retyped: b.filter((c) => before.has(c.name) && before.get(c.name) !== c.type).map((c) => ({ name: c.name, from: before.get(c.name)!, to: c.type })),
  };
}

const STATS = ['nulls', 'null_ratio', 'distinct', 'mean', 'min', 'max'] as const;

/** Statistics that changed, per column both versions have (profiles recorded by each run). */
export function diffStats(a: ColumnProfile[] = [], b: ColumnProfile[] = []): StatChange[] {
  const before = new Map(a.map((c) => [c.name, c]));
  const out: StatChange[] = [];
  for (const col of b) {
    const old = before.get(col.name);
    if (!old) continue;
    for (const stat of STATS) {
      const from = old[stat] ?? null;
      const to = col[stat] ?? null;
      if (from !== to) out.push({ column: col.name, stat, from, to });
    }
  }
  return out;
}

export function diffEntries(a: CatalogEntry, b: CatalogEntry): VersionDiff {
  return { schema: diffSchema(a.columns, b.columns), rows: { from: a.rows, to: b.rows }, stats: diffStats(a.profile?.columns, b.profile?.columns) };
}

/** Values as text (NULL as null), as `catalog show` prints them. */
export type TextRow = Record<string, string | null>;
export type ChangedRow = { key: TextRow; changes: { column: string; before: string | null; after: string | null }[] };
export type RowsDiff = { key: string[]; added: number; removed: number; changed: number; unchanged: number; examples: { added: TextRow[]; removed: TextRow[]; changed: ChangedRow[] } };

/**
 * Rows of `b` whose key is not in `a` (added), of `a` not in `b` (removed), and in both with a
 * different value in a column both have (changed; compared as values when the types are the same
 * or both numeric, so 4.00 → 4.0 is no change, else as text). The key must be unique in both versions. Up to `limit` examples
 * each, in key order.
 */
export async function diffRows(engine: TableEngine, a: string, b: string, key: string[], limit: number, labels: Record<string, string> = {}): Promise<RowsDiff> {
  const colsA = await engine.columns(a);
  const colsB = await engine.columns(b);
  const missing = key.filter((k) => !colsA.some((c) => c.name === k) || !colsB.some((c) => c.name === k));
  if (missing.length) throw new ConfigError(`key column ${missing.join(', ')} is not in both versions; columns: ${colsB.map((c) => c.name).join(', ')}`, { field: '--key' });
  for (const t of [a, b]) await requireUniqueKey(engine, t, key, labels[t] ?? t);
  const k = key.map(ident);
  const on = key.map((c) => `x.${ident(c)} IS NOT DISTINCT FROM y.${ident(c)}`).join(' AND ');
  const typeA = new Map(colsA.map((c) => [c.name, c.type]));
  const common = colsB.filter((c) => typeA.has(c.name) && !key.includes(c.name)).map((c) => ({ name: c.name, same: comparable(typeA.get(c.name)!, c.type) }));
  // Same type (or both numeric: 4.00 equals 4.0): compared as values; otherwise as text.
  const distinct = (c: { name: string; same: boolean }) => (c.same ? `x.${ident(c.name)} IS DISTINCT FROM y.${ident(c.name)}` : `x.${ident(c.name)}::VARCHAR IS DISTINCT FROM y.${ident(c.name)}::VARCHAR`);
  const differs = common.length ? common.map(distinct).join(' OR ') : 'false';
  const only = (from: string, other: string) => `SELECT * FROM ${ident(from)} x WHERE NOT EXISTS (SELECT 1 FROM ${ident(other)} y WHERE ${on})`;
  const count = async (sql: string) => Number((await engine.rows(`SELECT count(*) AS n FROM (${sql})`))[0]!.n);
  const text = async (sql: string): Promise<TextRow[]> => (await engine.rows(`SELECT COLUMNS(*)::VARCHAR FROM (${sql}) ORDER BY ${k.join(', ')} LIMIT ${limit}`)) as TextRow[];
  const joined = `FROM ${ident(a)} x JOIN ${ident(b)} y ON ${on} WHERE ${differs}`;
  const changedSql = `SELECT ${k.map((c) => `x.${c}`).join(', ')} ${joined}`;
  const both = `SELECT 1 FROM ${ident(a)} x JOIN ${ident(b)} y ON ${on}`;
  const cells = common.flatMap((c, i) => [`${distinct(c)} AS "d${i}"`, `x.${ident(c.name)}::VARCHAR AS "x${i}"`, `y.${ident(c.name)}::VARCHAR AS "y${i}"`]);
  const examples = await engine.rows(`SELECT ${[...key.map((c, i) => `x.${ident(c)}::VARCHAR AS "k${i}"`), ...cells].join(', ')} ${joined} ORDER BY ${key.map((c) => `x.${ident(c)}`).join(', ')} LIMIT ${limit}`);
  const changed: ChangedRow[] = examples.map((r) => ({
    key: Object.fromEntries(key.map((c, i) => [c, (r[`k${i}`] ?? null) as string | null])),
    changes: common.flatMap((c, i) => (r[`d${i}`] ? [{ column: c.name, before: (r[`x${i}`] ?? null) as string | null, after: (r[`y${i}`] ?? null) as string | null }] : [])),
  }));
  const nChanged = await count(changedSql);
  return {
    key,
    added: await count(only(b, a)),
    removed: await count(only(a, b)),
    changed: nChanged,
    unchanged: (await count(both)) - nChanged,
    examples: { added: await text(only(b, a)), removed: await text(only(a, b)), changed },
  };
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/i;
const comparable = (a: string, b: string): boolean => a === b || (NUMERIC.test(a) && NUMERIC.test(b));

async function requireUniqueKey(engine: TableEngine, table: string, key: string[], label: string): Promise<void> {
  const k = key.map(ident).join(', ');
  const [row] = await engine.rows(`SELECT count(*) AS n FROM (SELECT ${k} FROM ${ident(table)} GROUP BY ${k} HAVING count(*) > 1)`);
  const repeated = Number(row!.n);
  if (repeated) throw new DataError(`key ${key.join(', ')} is not unique in version ${label}: ${repeated} key value${repeated === 1 ? '' : 's'} repeat; diff by a key that identifies one row`, { field: '--key' });
}
