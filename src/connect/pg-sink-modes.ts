/**
 * The postgres sink's write modes, each inside the load's open transaction (the caller has begun
 * it and claimed the load in ferry_loads; it commits or rolls back all of it).
 *
 *   const notes = await loadMode(client, { mode: 'replace', ref, names, keys: [] }, (into, options) => copy…);
 *
 * - `append`: COPY straight into the table.
 * - `replace`: COPY into a new table `<t>__ferry_new` (LIKE <t> INCLUDING ALL: columns, defaults,
 *   NOT NULL/CHECK constraints, indexes incl. the primary key, comments, storage, statistics), then
 *   in the same transaction rename the old table away, the new one in, drop the old, re-grant the
 *   old table's privileges (from its ACLs, column grants too), copy its comment, storage parameters
 *   and FULL/NOTHING replica identity, and give the indexes their old names.
 *   Readers see the old rows until the commit, wait a moment on the swap's lock, then see all the
 *   new rows; never an empty or half-loaded table. When a swap would lose or break something LIKE
 *   does not carry (a view or foreign key depending on the table, its own foreign keys, triggers,
 *   rules, row security, inheritance or partitions, an owned sequence (serial, identity), an index as
 *   replica identity, unlogged, a tablespace, publication membership) or the loader does not own the
 *   table or may not create in its schema, it loads in place instead (TRUNCATE + COPY in the same
 *   transaction: equally atomic, but readers wait for the whole load) and the detail says why. A
 *   table other tables' foreign keys reference is deleted (not truncated: TRUNCATE refuses it) with
 *   the keys checked at commit; keys that cascade, set NULL/default or RESTRICT are refused.
 * - `upsert`: COPY into a temp table, then INSERT … ON CONFLICT (keys) DO UPDATE; with
 *   `modified_column`, a row is updated only when the incoming value is strictly newer (equal: kept;
 *   an incoming NULL never overwrites; an existing NULL is overwritten by any non-NULL).
 * - `merge`: delete every row whose merge-key values occur in the dataset (NULL matches NULL), then
 *   COPY the dataset in.
 */
import type pg from 'pg';
import { ConfigError } from '../errors.js';
import { ident } from '../table/engine.js';
import { qualified, type TableRef } from './pg-catalog.js';

export type ModeOptions = {
  mode: 'append' | 'replace' | 'upsert' | 'merge';
  ref: TableRef;
  /** Columns the COPY fills, in order. */
  names: string[];
  keys: string[];
  modifiedColumn?: string;
  /** `sink <name>, table <table>`: the start of an error message. */
  where?: string;
  /** Merge: distinct merge-key tuples of the dataset, as text PostgreSQL parses (null: NULL). */
  mergeKeys?: { columns: string[]; types: string[]; values: (string | null)[][] };
};

/** Runs a COPY of the dataset into `into` (a qualified table) with these options (e.g. FREEZE). */
export type CopyInto = (into: string, options?: string) => Promise<void>;

/** Returns notes for the detail ('' when none). */
export async function loadMode(client: pg.PoolClient, o: ModeOptions, copy: CopyInto): Promise<string> {
  const target = qualified(o.ref);
  const cols = o.names.map(ident).join(', ');
  switch (o.mode) {
    case 'append':
      await copy(target);
      return '';
    case 'merge': {
      const deleted = await deleteMerged(client, target, o.mergeKeys!);
      await copy(target);
      return ` (deleted ${deleted} rows with the dataset's ${o.mergeKeys!.columns.join(', ')} values)`;
    }
    case 'upsert': {
      await client.query(`CREATE TEMP TABLE ferry_stage ON COMMIT DROP AS SELECT ${cols} FROM ${target} WITH NO DATA`);
      await copy('ferry_stage');
      const updates = o.names.filter((n) => !o.keys.includes(n)).map((n) => `${ident(n)} = EXCLUDED.${ident(n)}`);
      const m = o.modifiedColumn && ident(o.modifiedColumn);
      const newer = m ? ` WHERE EXCLUDED.${m} IS NOT NULL AND (${target}.${m} IS NULL OR ${target}.${m} < EXCLUDED.${m})` : '';
      const written = await client.query(`INSERT INTO ${target} (${cols}) SELECT ${cols} FROM ferry_stage ON CONFLICT (${o.keys.map(ident).join(', ')}) DO ${updates.length ? `UPDATE SET ${updates.join(', ')}${newer}` : 'NOTHING'}`);
      if (!m) return '';
      const staged = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM ferry_stage')).rows[0]!.n);
      const kept = staged - (written.rowCount ?? 0);
      return kept ? ` (${kept} rows not newer than the table's by ${o.modifiedColumn}: kept the table's)` : '';
    }
    case 'replace': {
      // One replace of a table at a time: two swaps each holding the table's share lock (LIKE) while
      // waiting for the other's exclusive one (RENAME) would deadlock; readers and other modes are not held.
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`ferry replace ${target}`]);
      const blocker = await swapBlocker(client, o.ref);
      if (blocker) {
        // TRUNCATE refuses a table other tables' foreign keys reference: delete, checking them at commit.
        const where = o.where ?? `table ${o.ref.schema}.${o.ref.table}`;
        if (await referenced(client, o.ref, where)) {
          await client.query('SET CONSTRAINTS ALL DEFERRED');
          await client.query(`DELETE FROM ${target}`).catch((err: unknown) => {
            if ((err as { code?: string }).code !== '23503') throw err;
            throw new ConfigError(`${where}: replace deletes every row and loads the dataset, but ${(err as Error).message}, which is checked at once; nothing was written. Make that foreign key DEFERRABLE (checked at commit, when the dataset's keys are back), or use mode upsert or merge`, { field: 'mode' }, { cause: err });
          });
          await copy(target);
          return ` (in place, delete and load: ${blocker})`;
        }
        await client.query(`TRUNCATE ${target}`);
        await copy(target);
        return ` (in place, truncate and load: ${blocker})`;
      }
      await swap(client, o.ref, copy);
      return '';
    }
  }
}

/**
 * Whether foreign keys of other tables reference the table. One whose ON DELETE would change the
 * other table (CASCADE, SET NULL, SET DEFAULT) or that may not wait until commit (RESTRICT) makes
 * replace a ConfigError: deleting and loading again would change or break that table's rows.
 */
async function referenced(client: pg.PoolClient, ref: TableRef, where: string): Promise<boolean> {
  const { rows } = await client.query<{ name: string; child: string; action: string }>(
    `SELECT k.conname AS name, k.conrelid::regclass::text AS child, k.confdeltype AS action FROM pg_constraint k
      WHERE k.contype = 'f' AND k.conrelid <> k.confrelid AND k.confrelid = (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2)`,
    [ref.schema, ref.table],
  );
  const actions: Record<string, string> = { r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };
  const acting = rows.find((k) => k.action in actions);
  if (acting) {
    throw new ConfigError(`${where}: mode replace would delete every row, and foreign key ${acting.name} of ${acting.child} references the table ON DELETE ${actions[acting.action]}; nothing was written. Use mode upsert or merge, or make that foreign key ON DELETE NO ACTION DEFERRABLE`, { field: 'mode' });
  }
  return rows.length > 0;
}

/** Why a new-table swap would lose or break something, or undefined when it is safe. */
async function swapBlocker(client: pg.PoolClient, ref: TableRef): Promise<string | undefined> {
  const { rows } = await client.query<{ reason: string }>(
    `WITH t AS (SELECT c.oid, c.relowner, c.relkind, c.relrowsecurity, c.relnamespace, c.relpersistence, c.reltablespace, c.relreplident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2)
     SELECT reason FROM (
       SELECT 'the loader does not own the table' AS reason FROM t WHERE t.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user)
       UNION ALL SELECT 'the loader may not create tables in schema ' || quote_ident($1) FROM t WHERE NOT has_schema_privilege(t.relnamespace, 'CREATE')
       UNION ALL SELECT 'it is partitioned' FROM t WHERE t.relkind = 'p'
       UNION ALL SELECT 'it has row security' FROM t WHERE t.relrowsecurity OR EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.oid)
       UNION ALL SELECT 'view ' || v.oid::regclass::text || ' depends on it' FROM t JOIN pg_depend d ON d.refobjid = t.oid AND d.refclassid = 'pg_class'::regclass AND d.classid = 'pg_rewrite'::regclass
         JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class WHERE v.oid <> t.oid
       UNION ALL SELECT 'foreign key ' || k.conname || ' of ' || k.conrelid::regclass::text || ' references it' FROM t JOIN pg_constraint k ON k.confrelid = t.oid AND k.conrelid <> t.oid
       UNION ALL SELECT 'its foreign key ' || k.conname || ' references ' || k.confrelid::regclass::text FROM t JOIN pg_constraint k ON k.conrelid = t.oid AND k.contype = 'f'
       UNION ALL SELECT 'it has trigger ' || g.tgname FROM t JOIN pg_trigger g ON g.tgrelid = t.oid AND NOT g.tgisinternal
       UNION ALL SELECT 'it has rule ' || r.rulename FROM t JOIN pg_rewrite r ON r.ev_class = t.oid
       UNION ALL SELECT 'it is unlogged' FROM t WHERE t.relpersistence <> 'p'
       UNION ALL SELECT 'it is in tablespace ' || s.spcname FROM t JOIN pg_tablespace s ON s.oid = t.reltablespace
       UNION ALL SELECT 'its replica identity is an index' FROM t WHERE t.relreplident = 'i'
       UNION ALL SELECT 'it has inheritance children or parents' FROM t WHERE EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = t.oid OR i.inhrelid = t.oid)
       UNION ALL SELECT 'it owns sequence ' || d.objid::regclass::text FROM t JOIN pg_depend d ON d.refobjid = t.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
         JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
       UNION ALL SELECT 'it is in publication ' || p.pubname FROM t JOIN pg_publication_rel pr ON pr.prrelid = t.oid JOIN pg_publication p ON p.oid = pr.prpubid
     ) r LIMIT 1`,
    [ref.schema, ref.table],
  );
  return rows[0]?.reason;
}

/** Loads `<t>__ferry_new` and swaps it in (see the header). */
async function swap(client: pg.PoolClient, ref: TableRef, copy: CopyInto): Promise<void> {
  const target = qualified(ref);
  const newName = `${ref.table}__ferry_new`;
  const oldName = `${ref.table}__ferry_old`;
  const fresh = qualified({ schema: ref.schema, table: newName });
  await client.query(`DROP TABLE IF EXISTS ${fresh}`); // left by nothing (each load is one transaction), but cheap to be sure
  type Grant = { grantee: string; privilege: string; grantable: boolean; column?: string };
  type Before = { acl: Grant[] | null; columnAcl: Grant[] | null; options: string[] | null; replident: string; comment: string | null; indexes: { name: string; def: string }[] | null };
  const grantee = `CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END`;
  const before = await client.query<Before>(
    `SELECT (SELECT json_agg(json_build_object('grantee', ${grantee}, 'privilege', a.privilege_type, 'grantable', a.is_grantable))
               FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner) AS acl,
            (SELECT json_agg(json_build_object('grantee', ${grantee}, 'privilege', a.privilege_type, 'grantable', a.is_grantable, 'column', quote_ident(t.attname)))
               FROM pg_attribute t, aclexplode(t.attacl) a WHERE t.attrelid = c.oid AND t.attnum > 0 AND NOT t.attisdropped AND a.grantee <> c.relowner) AS "columnAcl",
            c.reloptions AS options, c.relreplident AS replident,
            obj_description(c.oid, 'pg_class') AS comment,
            (SELECT json_agg(json_build_object('name', i.relname, 'def', regexp_replace(pg_get_indexdef(i.oid), '^CREATE (UNIQUE )?INDEX \\S+ ON \\S+', '\\1'))) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid) AS indexes
       FROM pg_class c WHERE c.oid = $1::regclass`,
    [target],
  );
  const old = before.rows[0]!;
  await client.query(`CREATE TABLE ${fresh} (LIKE ${target} INCLUDING ALL)`);
  // LIKE leaves out the storage parameters (fillfactor, autovacuum_*: set before the COPY, so fillfactor
  // applies) and the replica identity (an index as identity is a swap blocker).
  const options = (old.options ?? []).map((o) => /^([a-z_]+)=(.*)$/s.exec(o)).filter((m) => m !== null);
  if (options.length) await client.query(`ALTER TABLE ${fresh} SET (${options.map((m) => `${m[1]} = ${client.escapeLiteral(m[2]!)}`).join(', ')})`);
  if (old.replident === 'f' || old.replident === 'n') await client.query(`ALTER TABLE ${fresh} REPLICA IDENTITY ${old.replident === 'f' ? 'FULL' : 'NOTHING'}`);
  // Created in this transaction: FREEZE writes the rows frozen (no later hint-bit or freeze pass).
  await copy(fresh, 'FREEZE');
  const fresher = await client.query<{ name: string; def: string }>(
    `SELECT i.relname AS name, regexp_replace(pg_get_indexdef(i.oid), '^CREATE (UNIQUE )?INDEX \\S+ ON \\S+', '\\1') AS def FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = $1::regclass`,
    [fresh],
  );
  // The swap: readers of the old table block from here to the commit.
  await client.query(`ALTER TABLE ${target} RENAME TO ${ident(oldName)}`);
  await client.query(`ALTER TABLE ${fresh} RENAME TO ${ident(ref.table)}`);
  await client.query(`DROP TABLE ${qualified({ schema: ref.schema, table: oldName })}`);
  for (const g of [...old.acl ?? [], ...old.columnAcl ?? []]) {
    await client.query(`GRANT ${g.privilege}${g.column ? ` (${g.column})` : ''} ON ${target} TO ${g.grantee}${g.grantable ? ' WITH GRANT OPTION' : ''}`);
  }
  if (old.comment !== null) await client.query(`COMMENT ON TABLE ${target} IS ${client.escapeLiteral(old.comment)}`);
  const free = new Set((old.indexes ?? []).map((i) => i.name));
  for (const index of fresher.rows) {
    const was = (old.indexes ?? []).find((i) => i.def === index.def && free.has(i.name));
    if (!was || was.name === index.name) continue;
    free.delete(was.name);
    await client.query(`ALTER INDEX ${qualified({ schema: ref.schema, table: index.name })} RENAME TO ${ident(was.name)}`);
  }
}

/** Deletes the rows whose merge-key tuple occurs in the dataset; NULL matches NULL. */
async function deleteMerged(client: pg.PoolClient, target: string, k: NonNullable<ModeOptions['mergeKeys']>): Promise<number> {
  const cols = k.columns.map(ident);
  const whole = k.values.filter((v) => v.every((x) => x !== null));
  let deleted = 0;
  if (whole.length) {
    const arrays = k.columns.map((_, i) => whole.map((v) => v[i]));
    const casts = k.columns.map((_, i) => `v.k${i}::${k.types[i]}`).join(', ');
    const unnest = `unnest(${k.columns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS v(${k.columns.map((_, i) => `k${i}`).join(', ')})`;
    deleted += (await client.query(`DELETE FROM ${target} WHERE (${cols.join(', ')}) IN (SELECT ${casts} FROM ${unnest})`, arrays)).rowCount ?? 0;
  }
  for (const v of k.values.filter((t) => t.some((x) => x === null))) {
    const where = cols.map((c, i) => `${c} IS NOT DISTINCT FROM $${i + 1}::${k.types[i]}`).join(' AND ');
    deleted += (await client.query(`DELETE FROM ${target} WHERE ${where}`, v)).rowCount ?? 0;
  }
  return deleted;
}
