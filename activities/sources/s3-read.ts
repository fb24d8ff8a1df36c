/**
 * Many S3 objects read as one dataset: each object downloaded (a few ahead of the one being read),
 * read on its own with the exact readers of src/table/formats.ts, then appended by column name.
 *
 *   await readObjects(s3, 'lake', objects, spec, ctx);   // ctx.dataset holds every row of every object
 *
 * Columns are matched by name. Objects whose columns differ are a DataError naming both objects and
 * the column, unless `union_by_name` (then a column an object lacks is NULL in its rows). A column
 * typed differently in two objects (BIGINT here, DECIMAL(5,2) there) takes the type that holds both
 * (DuckDB's UNION BY NAME); a column that becomes text is read again as text in every object (the
 * exact text of each file, not a cast); types that have none are a DataError naming the column, both
 * types and both objects. Quarantined rows of all objects go to one `<dataset>_rejects` with a `file` column.
 */
import { basename, join } from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigError, DataError, FerryError } from '../../src/errors.js';
import { downloadObject, s3Uri } from '../../src/connect/s3.js';
import type { S3Object } from '../../src/connect/s3-objects.js';
import { ident, lit, type Column, type TableEngine } from '../../src/table/engine.js';
import { readTableFile, rejectsOf, type ReadOptions } from '../../src/table/formats.js';
import type { SourceContext } from '../adapter.js';

/** Objects downloaded ahead of the one being read. */
const LOOKAHEAD = 4;

export type ReadSpec = ReadOptions & { union_by_name?: boolean; filename_column?: string };

const OBJ = '__s3_object';

/** A column became text in the union while an earlier object had read it as another type. */
class TextColumns extends Error {
  constructor(readonly names: string[]) {
    super(`columns read again as text: ${names.join(', ')}`);
  }
}

/** Reads `objects` (at least one) into ctx.dataset; returns how many rows were quarantined, if any. */
export async function readObjects(s3: S3Client, bucket: string, objects: S3Object[], spec: ReadSpec, ctx: SourceContext, withFileColumn: boolean): Promise<{ rejects?: number; bytes: number }> {
  // A column that is a number or a time in one object and text in another is text: read again as
  // text, so every value keeps the exact text of its file (5 stays 5, not the 5.00 of a cast).
  const text = new Set<string>();
  for (;;) {
    try {
      return await readAll(s3, bucket, objects, spec, ctx, withFileColumn, text);
    } catch (err) {
      if (!(err instanceof TextColumns)) throw err;
      for (const name of err.names) text.add(name);
    }
  }
}

async function readAll(s3: S3Client, bucket: string, objects: S3Object[], spec: ReadSpec, ctx: SourceContext, withFileColumn: boolean, text: Set<string>): Promise<{ rejects?: number; bytes: number }> {
  const dir = join(ctx.workdir, 's3-objects');
  await mkdir(dir, { recursive: true });
  const downloads = new Map<number, Promise<{ file: string; bytes: number }>>();
  const fetch = (i: number) => {
    if (i >= objects.length || downloads.has(i)) return;
    const obj = { bucket, key: objects[i]!.key };
    // Keep the object's file name: the format and compression come from its extension.
    const file = join(dir, `${i}-${basename(obj.key)}`);
    const p = downloadObject(s3, obj, file, { signal: ctx.signal }).then((bytes) => ({ file, bytes }));
    p.catch(() => undefined); // awaited in order below; an early failure must not go unhandled
    downloads.set(i, p);
  };
  const union = new Union(ctx.table, ctx.dataset, spec.union_by_name ?? false, text);
  let bytes = 0;
  let rejects: number | undefined;
  try {
    for (let i = 0; i < objects.length; i++) {
      for (let k = i; k < i + LOOKAHEAD; k++) fetch(k);
      const { file, bytes: n } = await downloads.get(i)!;
      downloads.delete(i);
      bytes += n;
      const uri = s3Uri({ bucket, key: objects[i]!.key });
      ctx.progress({ note: `object ${i + 1} of ${objects.length}: ${uri}` });
      let read = await readTableFile(ctx.table, OBJ, file, spec, { dataset: ctx.dataset, file: uri });
      const retext = text.size ? (await ctx.table.columns(OBJ)).filter((c) => text.has(c.name.toLowerCase()) && c.type !== 'VARCHAR' && !spec.columns?.[c.name]) : [];
      if (retext.length) {
        const columns = { ...spec.columns, ...Object.fromEntries(retext.map((c) => [c.name, 'VARCHAR'])) };
        if (read.rejects !== undefined) await ctx.table.run(`DROP TABLE IF EXISTS ${ident(rejectsOf(OBJ))}`);
        read = await readTableFile(ctx.table, OBJ, file, { ...spec, columns }, { dataset: ctx.dataset, file: uri });
      }
      await rm(file, { force: true });
      if (spec.filename_column) await addKeyColumn(ctx.table, spec.filename_column, objects[i]!.key, uri);
      await union.add(OBJ, uri);
      if (read.rejects !== undefined) {
        rejects = (rejects ?? 0) + read.rejects;
        await appendRejects(ctx.table, ctx.dataset, withFileColumn ? uri : undefined, rejects === read.rejects);
      }
    }
  } finally {
    // Downloads still running (a failed read) are left to finish into the work directory, which the
    // activity removes; their results are ignored.
    downloads.clear();
  }
  return { bytes, ...(rejects !== undefined ? { rejects } : {}) };
}

async function addKeyColumn(table: TableEngine, column: string, key: string, uri: string): Promise<void> {
  const clash = (await table.columns(OBJ)).find((c) => c.name.toLowerCase() === column.toLowerCase());
  if (clash) throw new ConfigError(`filename_column "${column}" is already a column of ${uri}: choose another name`, { file: uri, field: 'filename_column' });
  await table.run(`CREATE OR REPLACE TABLE ${ident(OBJ)} AS SELECT *, ${lit(key)} AS ${ident(column)} FROM ${ident(OBJ)}`);
}

async function appendRejects(table: TableEngine, dataset: string, uri: string | undefined, first: boolean): Promise<void> {
  const from = ident(rejectsOf(OBJ));
  const select = uri === undefined ? `SELECT * FROM ${from}` : `SELECT ${lit(uri)} AS file, * FROM ${from}`;
  await table.run(first ? `CREATE OR REPLACE TABLE ${ident(rejectsOf(dataset))} AS ${select}` : `INSERT INTO ${ident(rejectsOf(dataset))} ${select}`);
  await table.run(`DROP TABLE ${from}`);
}

/** The dataset being built, with the object each column (and its type) came from. */
class Union {
  private columns = new Map<string, { name: string; type: string; from: string }>();
  constructor(private table: TableEngine, private dataset: string, private byName: boolean, private text: Set<string>) {}

  async add(table: string, uri: string): Promise<void> {
    const cols = await this.table.columns(table);
    if (this.columns.size === 0) {
      await this.table.run(`DROP TABLE IF EXISTS ${ident(this.dataset)}`);
      await this.table.run(`ALTER TABLE ${ident(table)} RENAME TO ${ident(this.dataset)}`);
      for (const c of cols) this.columns.set(c.name.toLowerCase(), { ...c, from: uri });
      return;
    }
    const fresh = cols.some((c) => !this.columns.has(c.name.toLowerCase()));
    const differ = cols.filter((c) => this.columns.has(c.name.toLowerCase()) && this.columns.get(c.name.toLowerCase())!.type !== c.type);
    this.checkNames(cols, uri);
    if (differ.length === 0 && !fresh) {
      // The common case: same columns, same types. Columns the object lacks are NULL.
      await this.table.run(`INSERT INTO ${ident(this.dataset)} BY NAME SELECT * FROM ${ident(table)}`);
    } else {
      try {
        await this.table.run(`CREATE OR REPLACE TABLE ${ident(this.dataset)} AS SELECT * FROM ${ident(this.dataset)} UNION ALL BY NAME SELECT * FROM ${ident(table)}`);
      } catch (err) {
        throw this.typeConflict(differ, uri, err);
      }
      const now = await this.table.columns(this.dataset);
      // Text now, another type in an object already read (or in this one): read them again as text.
      const retext = now.filter((c) => c.type === 'VARCHAR' && !this.text.has(c.name.toLowerCase())
        && (differ.some((d) => d.name.toLowerCase() === c.name.toLowerCase()))).map((c) => c.name.toLowerCase());
      if (retext.length) throw new TextColumns(retext);
      for (const c of now) {
        const known = this.columns.get(c.name.toLowerCase());
        if (!known || known.type !== c.type) this.columns.set(c.name.toLowerCase(), { ...c, from: known && known.type === c.type ? known.from : uri });
      }
    }
    await this.table.run(`DROP TABLE IF EXISTS ${ident(table)}`);
  }

  private checkNames(cols: Column[], uri: string): void {
    const mine = new Set(cols.map((c) => c.name.toLowerCase()));
    const extra = cols.find((c) => !this.columns.has(c.name.toLowerCase()));
    const missing = [...this.columns.values()].find((c) => !mine.has(c.name.toLowerCase()));
    if (this.byName) {
      for (const c of cols) if (!this.columns.has(c.name.toLowerCase())) this.columns.set(c.name.toLowerCase(), { ...c, from: uri });
      return;
    }
    const hint = 'set union_by_name: true to read them together (a column an object lacks is NULL)';
    if (extra) {
      const first = [...this.columns.values()][0]!.from;
      throw new DataError(`${uri} has a column "${extra.name}" that ${first} does not have: ${hint}`, { file: uri, field: extra.name });
    }
    if (missing) throw new DataError(`${uri} has no column "${missing.name}", which ${missing.from} has: ${hint}`, { file: uri, field: missing.name });
  }

  private typeConflict(differ: Column[], uri: string, err: unknown): FerryError {
    const c = differ[0];
    if (!c) return err instanceof FerryError ? err : new DataError(`cannot append ${uri}: ${(err as Error).message}`, { file: uri }, { cause: err });
    const known = this.columns.get(c.name.toLowerCase());
    return new DataError(`column "${c.name}" is ${known?.type ?? 'absent'} in ${known?.from ?? 'the earlier objects'} but ${c.type} in ${uri}, and no type holds both`, { file: uri, field: c.name }, { cause: err });
  }
}
