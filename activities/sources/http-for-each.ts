/**
 * Parent → child requests of the http source: one request sequence (with its pages) per DISTINCT
 * row of another source's dataset, `{name}` in the path and query replaced by that row's values.
 *
 *   orders:
 *     type: http
 *     connection: shop
 *     path: /customers/{customer_id}/orders
 *     for_each: { dataset: customers, params: { customer_id: id }, include: [name] }
 *     # every order row gets _customers_id (the parent's id, with its type) and _customers_name
 *
 * The parent rows are read in a stable order (ORDER BY every column used), so a resumed attempt
 * sees the same list and its saved parent index still points at the same row.
 */
import type { TableEngine } from '../../src/table/engine.js';
import { ident } from '../../src/table/engine.js';
import { ConfigError, DataError } from '../../src/errors.js';
import type { PageRequest } from '../../src/connect/paginators.js';

export type ForEach = { dataset: string; params: Record<string, string>; include?: string[] };

/** One parent row: its values as exact text, by parent column. */
export type ParentRow = Record<string, string>;

export type Parents = {
  rows: ParentRow[];
  /** The columns added to every child row (`_<parent>_<column>`) and their DuckDB types. */
  columns: { column: string; name: string; type: string }[];
};

/** The placeholders `{name}` in a text (not `${…}`, which is the incremental window's syntax). */
export const placeholders = (text: string): string[] => [...text.matchAll(/(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);

/** The for_each source's single pseudo-parent when there is no for_each: nothing to substitute. */
export const NO_PARENTS: Parents = { rows: [{}], columns: [] };

export async function readParents(table: TableEngine, forEach: ForEach | undefined): Promise<Parents> {
  if (!forEach) return NO_PARENTS;
  const available = await table.columns(forEach.dataset);
  const typeOf = new Map(available.map((c) => [c.name, c.type]));
  const used = [...new Set([...Object.values(forEach.params), ...(forEach.include ?? [])])];
  for (const [param, column] of Object.entries(forEach.params)) {
    if (!typeOf.has(column)) throw new ConfigError(`dataset '${forEach.dataset}' has no column '${column}'; it has: ${available.map((c) => c.name).join(', ')}`, { field: `for_each.params.${param}` });
  }
  (forEach.include ?? []).forEach((column, i) => {
    if (!typeOf.has(column)) throw new ConfigError(`dataset '${forEach.dataset}' has no column '${column}'; it has: ${available.map((c) => c.name).join(', ')}`, { field: `for_each.include.${i}` });
  });
  const alias = (i: number) => ident(`v${i}`);
  const select = used.map((c, i) => `CAST(s.${ident(c)} AS VARCHAR) AS ${alias(i)}`).join(', ');
  const order = used.map((c) => `s.${ident(c)} NULLS LAST`).join(', ');
  const rows = await table.rows(`SELECT ${select} FROM (SELECT DISTINCT ${used.map(ident).join(', ')} FROM ${ident(forEach.dataset)}) s ORDER BY ${order}`);
  const parentRows = rows.map((r, n) => {
    const row: ParentRow = {};
    used.forEach((c, i) => {
      const value = r[`v${i}`];
      if (value === null || value === undefined) {
        if (Object.values(forEach.params).includes(c)) {
          throw new DataError(`parent row ${n + 1} of '${forEach.dataset}' has no value in column '${c}', so its request cannot be built`, { field: 'for_each.params' });
        }
        return;
      }
      row[c] = String(value);
    });
    return row;
  });
  const columns = used.map((column) => ({ column, name: `_${forEach.dataset}_${column}`, type: typeOf.get(column)! }));
  return { rows: parentRows, columns };
}

/** The request of one parent row: `{name}` in the path (URL-encoded) and in query values (sent encoded once). */
export function substitute(base: PageRequest, forEach: ForEach | undefined, row: ParentRow): PageRequest {
  if (!forEach) return base;
  const value = (name: string) => row[forEach.params[name]!] ?? '';
  const fill = (text: string, encode: boolean) => text.replace(/(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (all, name: string) =>
    (name in forEach.params ? (encode ? encodeURIComponent(value(name)) : value(name)) : all));
  const query = Object.fromEntries(Object.entries(base.query).map(([k, v]) => [k, typeof v === 'string' ? fill(v, false) : v]));
  return { path: fill(base.path, true), query };
}

/** The parent's values added to each child row: [column name, exact text]. */
export const appendedValues = (parents: Parents, row: ParentRow): [string, string][] =>
  parents.columns.filter((c) => row[c.column] !== undefined).map((c) => [c.name, row[c.column]!]);
