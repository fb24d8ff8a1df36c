/**
 * How `ferry catalog` prints: aligned tables and short sections, values as text (NULL as `null`,
 * the text 'null' quoted; tabs and line breaks escaped, so a value never breaks the table).
 * Pure functions over catalog entries and diffs, so the output is tested without a store.
 */
import type { CatalogEntry } from '../catalog/entry.js';
import type { RowsDiff, TextRow, VersionDiff } from '../catalog/diff.js';
import type { ColumnProfile } from '../run.js';

const ESCAPES: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\' };

/** A data value as one cell: NULL is `null`; a text that reads like it is quoted; control characters escaped. */
export const cellText = (v: string | number | null | undefined): string => {
  if (v === null) return 'null';
  if (v === undefined) return '';
  const text = String(v);
  if (/^'*null'*$/i.test(text)) return `'${text}'`;
  return [...text].map((c) => ESCAPES[c] ?? (c < ' ' || c === '\u007f' ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c)).join('');
};

/** Columns left-aligned, two spaces apart, each line indented; no trailing blanks. */
export function table(header: string[], rows: (string | number | null | undefined)[][], indent = '  '): string[] {
  const cells = [header, ...rows.map((r) => r.map(cellText))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => `${indent}${r.map((v, i) => (v ?? '').padEnd(widths[i]!)).join('  ')}`.trimEnd());
}

/** `name  value` lines, names padded to one width. */
const pairs = (rows: [string, string][]): string[] => {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`.trimEnd());
};

const short = (sha: string): string => sha.slice(0, 12);
const num = (v: number | string | null | undefined): string =>
  v === undefined ? '' : v === null ? 'null' : typeof v === 'number' ? String(Number.isInteger(v) ? v : Number(v.toPrecision(6))) : v;
/** A recorded value (min, max, a count): printed as it is, never rounded (a rounded max can hide a change). */
const exact = (v: number | string | null | undefined): string => (v === undefined ? '' : v === null ? 'null' : String(v));
/** Means and ratios are derived: 6 significant digits say enough. */
const ROUNDED = new Set(['mean', 'null_ratio']);

export type ListRow = { pipeline: string; dataset: string; versions: number; latest?: CatalogEntry };

export function listText(root: string, rows: ListRow[]): string {
  if (!rows.length) return `no datasets in the catalog at ${root} (runs record theirs when they end)\n`;
  const lines = [`catalog at ${root}: ${rows.length} dataset${rows.length === 1 ? '' : 's'}`, ...table(
    ['PIPELINE', 'DATASET', 'LATEST', 'ROWS', 'RUN TIME', 'VERSIONS'],
    rows.map((r) => [r.pipeline, r.dataset, r.latest?.version ?? '(none completed)', r.latest?.rows, r.latest?.run.time, r.versions]),
  )];
  return `${lines.join('\n')}\n`;
}

export type VersionNotes = { latest?: string; pins: Set<string>; inUse: Map<string, string[]> };

export function versionsText(pipeline: string, dataset: string, entries: CatalogEntry[], notes: VersionNotes): string {
  const note = (e: CatalogEntry): string => [
    e.version === notes.latest ? 'latest' : '',
    notes.pins.has(e.version) ? 'pinned' : '',
    notes.inUse.has(e.version) ? `in use by ${notes.inUse.get(e.version)!.join(', ')}` : '',
    e.pruned ? `pruned ${e.pruned.at.slice(0, 10)} (data deleted)` : '',
  ].filter(Boolean).join(', ');
  const lines = [`${dataset} of ${pipeline}: ${entries.length} version${entries.length === 1 ? '' : 's'}, newest first`, ...table(
    ['VERSION', 'STATUS', 'ROWS', 'RUN TIME', 'SHA256', 'NOTE'],
    entries.map((e) => [e.version, e.status, e.rows, e.run.time, short(e.sha256), note(e)]),
  )];
  return `${lines.join('\n')}\n`;
}

export function showText(e: CatalogEntry, notes: VersionNotes, rows: TextRow[] | undefined, limit: number): string {
  const lines = [`${e.dataset} of ${e.pipeline}, version ${e.version}`];
  lines.push(...pairs([
    ['status', `${e.status}${e.version === notes.latest ? ' (latest)' : ''}${notes.pins.has(e.version) ? ', pinned' : ''}${e.pruned ? `, pruned ${e.pruned.at} by ${e.pruned.by}: data deleted` : ''}`],
    ['run', `${e.run.key} at ${e.run.time} (${e.run.trigger})`],
    ['file', `${e.uri} (${e.rows} rows, ${e.bytes} bytes, sha256 ${short(e.sha256)})`],
    ['stages', e.stages.map((s) => `${s.stage} ${s.rows}`).join(' → ')],
    ['delivered', e.delivered.map((d) => `${d.sink} → ${d.target} (${d.rows} rows)`).join('; ') || 'nowhere'],
  ]));
  lines.push('', 'lineage', ...pairs([
    ['sources', e.lineage.sources.join(', ') || '(none)'],
    ['steps', e.lineage.steps.join(' → ') || '(none)'],
  ]));
  const profile = new Map<string, ColumnProfile>((e.profile?.columns ?? []).map((c) => [c.name, c]));
  lines.push('', `schema${e.profile ? ' and profile' : ''}`, ...table(
    ['COLUMN', 'TYPE', 'NULLS', 'DISTINCT', 'MIN', 'MAX', 'MEAN'],
    e.columns.map((c) => {
      const p = profile.get(c.name);
      return [c.name, c.type, p?.nulls, p?.distinct, exact(p?.min), exact(p?.max), num(p?.mean)];
    }),
  ));
  if (rows) {
    lines.push('', rows.length ? `first ${rows.length} of ${e.rows} rows` : `no rows (limit ${limit})`);
    if (rows.length) lines.push(...table(e.columns.map((c) => c.name), rows.map((r) => e.columns.map((c) => r[c.name] ?? null))));
  } else if (e.pruned) {
    lines.push('', 'rows: none to show, the data of this version was pruned');
  }
  return `${lines.join('\n')}\n`;
}

export function diffText(pipeline: string, dataset: string, v1: string, v2: string, d: VersionDiff, rows: RowsDiff | undefined): string {
  const lines = [`${dataset} of ${pipeline}: ${v1} → ${v2}`, '', 'schema'];
  const { added, removed, retyped } = d.schema;
  if (!added.length && !removed.length && !retyped.length) lines.push('  unchanged');
  for (const c of added) lines.push(`  + ${c.name} ${c.type}`);
  for (const c of removed) lines.push(`  - ${c.name} ${c.type}`);
  for (const c of retyped) lines.push(`  ~ ${c.name} ${c.from} → ${c.to}`);
  const delta = d.rows.to - d.rows.from;
  lines.push('', `rows ${d.rows.from} → ${d.rows.to} (${delta >= 0 ? '+' : ''}${delta})`, '', 'statistics');
  if (!d.stats.length) lines.push('  unchanged (of the columns both versions have)');
  else lines.push(...table(['COLUMN', 'STAT', 'FROM', 'TO'], d.stats.map((s) => [s.column, s.stat, ...(ROUNDED.has(s.stat) ? [num(s.from), num(s.to)] : [exact(s.from), exact(s.to)])])));
  lines.push('');
  if (!rows) {
    lines.push('rows by key: not compared (pass --rows --key <column>[,<column>] to list added, removed and changed rows)');
    return `${lines.join('\n')}\n`;
  }
  const keyText = (r: TextRow) => rows.key.map((k) => `${k}=${r[k] ?? 'null'}`).join(' ');
  const rowText = (r: TextRow) => Object.entries(r).map(([k, v]) => `${k}=${v ?? 'null'}`).join(' ');
  lines.push(`rows by ${rows.key.join(', ')}: ${rows.added} added, ${rows.removed} removed, ${rows.changed} changed, ${rows.unchanged} unchanged`);
  for (const r of rows.examples.added) lines.push(`  + ${rowText(r)}`);
  for (const r of rows.examples.removed) lines.push(`  - ${rowText(r)}`);
  for (const c of rows.examples.changed) lines.push(`  ~ ${keyText(c.key)}: ${c.changes.map((x) => `${x.column} ${x.before ?? 'null'} → ${x.after ?? 'null'}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
