/**
 * The postgres sink's claim on `<schema>.ferry_loads`: one row per (logical run, sink) saying what
 * was loaded, when, and by which execution (Temporal run id; for a `ferry retry`, the run it
 * continues). Taken inside the load's transaction, so the claim and the rows commit together.
 *
 *   await client.query('BEGIN');
 *   const claim = await claimLoad(client, { schema, runKey, sink, target, rows, generation, runStartedAt, reloads, ledgerExecution });
 *   if (!claim.load) return claim;          // rolled back: loaded already (detail says why)
 *   … load, then COMMIT
 *
 * - The same execution (another attempt of it, or a `ferry retry` of it): nothing again —
 *   "already loaded by an earlier attempt". A concurrent attempt's claim is waited for (the
 *   INSERT blocks on its row) and its outcome seen.
 * - Another execution of the same logical run (`ferry run --date D` again, a backfill): a sink
 *   that `reloads` (replace, upsert, append with run_column) takes the claim over and loads again;
 *   append without run_column loads nothing and says so ("skipped: …", with how to reload).
 * - An execution that started before the one whose load it finds (a terminated run's attempt still
 *   going): never overwrites the newer load. Executions are ordered by their start times (both
 *   Temporal's), recorded in `started_at`, so a late commit of an old run is not taken for new.
 * - Privileges: SELECT, INSERT on ferry_loads, and UPDATE to load a run again.
 * - A ledger without the `execution` and `started_at` columns (created by an older Ferry, and the loader is not its
 *   owner, who would add it): every earlier load is taken for an attempt's, as before.
 */
import type pg from 'pg';
import { ConfigError, TransientError } from '../errors.js';
import { loadsTable } from './pg-catalog.js';

export type ClaimOptions = {
  schema: string;
  runKey: string;
  sink: string;
  target: string;
  rows: number;
  /** The execution loading (SinkContext.generation); empty: unknown, every earlier load is its own. */
  generation: string;
  /** When this execution started (ISO): a load committed after it is never overwritten by it. */
  runStartedAt: string;
  reloads: boolean;
  /** ferry_loads has the `execution` column. */
  ledgerExecution: boolean;
};

/** `load`: go on in the open transaction (`replaced`: the earlier load being replaced); else rolled back. */
export type Claim =
  | { load: true; replaced?: { rows: number; loadedAt: string } }
  | { load: false; rows: number; detail: string };

type LedgerRow = { rows: string | null; loaded_at: Date; execution: string | null; started_at: Date | null; version: string };

export async function claimLoad(client: pg.PoolClient, o: ClaimOptions): Promise<Claim> {
  const t = loadsTable(o.schema);
  const insert = o.ledgerExecution
    ? { text: `INSERT INTO ${t} (run_id, sink, target, rows, execution, started_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (run_id, sink) DO NOTHING RETURNING rows`, values: [o.runKey, o.sink, o.target, o.rows, o.generation || null, o.runStartedAt] }
    : { text: `INSERT INTO ${t} (run_id, sink, target, rows) VALUES ($1, $2, $3, $4) ON CONFLICT (run_id, sink) DO NOTHING RETURNING rows`, values: [o.runKey, o.sink, o.target, o.rows] };
  // The INSERT waits for a concurrent claim of the same (run, sink); once that committed, the row is there.
  if ((await client.query(insert)).rowCount) return { load: true };
  // A plain read (FOR UPDATE would need UPDATE, which a loader that never reloads does not have).
  const found = await client.query<LedgerRow>(
    `SELECT rows, loaded_at, ${o.ledgerExecution ? 'execution, started_at' : 'NULL::text AS execution, NULL::timestamptz AS started_at'}, xmin::text AS version FROM ${t} WHERE run_id = $1 AND sink = $2`,
    [o.runKey, o.sink],
  );
  const row = found.rows[0];
  if (!row) {
    // Deleted by hand between the two statements: claim again, once.
    if ((await client.query(insert)).rowCount) return { load: true };
    throw new TransientError(`the ferry_loads row of run ${o.runKey}, sink ${o.sink} changed while it was claimed`);
  }
  const rows = Number(row.rows ?? 0);
  const loadedAt = row.loaded_at.toISOString();
  // An attempt of this execution finds its own load: those rows are this run's delivery. A load of
  // another execution that is kept (skipped) delivered nothing in this run: 0 rows, or `ferry runs`
  // and ferry_rows_total would count that day's rows again on every re-run.
  const done = async (detail: string, delivered = rows): Promise<Claim> => {
    await client.query('ROLLBACK');
    return { load: false, rows: delivered, detail };
  };
  // Ours: an attempt of this execution (or of the run this retry continues), or we cannot tell.
  const ours = !o.generation || !o.ledgerExecution || row.execution === o.generation;
  if (ours) return done('already loaded by an earlier attempt');
  if (!o.reloads) {
    return done(`skipped: an earlier run of ${o.runKey} loaded it at ${loadedAt}, and an append sink loads each run once; set run_column on the sink to replace that run's rows when it runs again`, 0);
  }
  // Executions are ordered by their start (Temporal's clock); a load from before the column, by its time.
  if ((row.started_at ?? row.loaded_at).getTime() > Date.parse(o.runStartedAt)) {
    return done(`skipped: a later run of ${o.runKey} loaded it at ${loadedAt}; this run started before that one and never overwrites its load`, 0);
  }
  // Take the claim over, only as it was read: the UPDATE locks the row until this load commits.
  const taken = await client.query(
    `UPDATE ${t} SET execution = $3, rows = $4, target = $5, loaded_at = now(), started_at = $7 WHERE run_id = $1 AND sink = $2 AND xmin::text = $6`,
    [o.runKey, o.sink, o.generation, o.rows, o.target, row.version, o.runStartedAt],
  ).catch((err: unknown) => {
    if ((err as { code?: string }).code !== '42501') throw err;
    throw new ConfigError(`to load run ${o.runKey} again the loader needs UPDATE on ${t} (an earlier run loaded it at ${loadedAt}); run once as its owner: GRANT UPDATE ON ${t} TO <loader role>`, {}, { cause: err });
  });
  if (!taken.rowCount) throw new TransientError(`another run of ${o.runKey} took over sink ${o.sink}'s load at the same moment`);
  return { load: true, replaced: { rows, loadedAt } };
}
