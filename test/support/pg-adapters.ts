/**
 * Runs the postgres source and sink adapters directly (no Temporal), each call with its own table
 * engine and work directory, as two activity attempts on two workers would have.
 *
 *   const pg = await pgAdapters();
 *   const t = await pg.read(`SELECT * FROM s.items`);          // a TableEngine holding dataset 'items'
 *   await pg.write(t, { table: 's.copy' }, { runKey: 'r1' });   // generation: '' (every earlier load is this execution's)
 *   await pg.close();
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresSource } from '../../activities/sources/postgres.js';
import { postgresSink } from '../../activities/sinks/postgres.js';
import type { Progress, SinkContext, SinkResult, SourceContext } from '../../activities/adapter.js';
import { TableEngine } from '../../src/table/engine.js';
import { resolveConnection } from '../../src/connect/connections.js';
import { loadConnections } from '../../src/pipeline/load.js';
import { pgPool, closePgPools } from '../../src/connect/pg.js';
import { testEnv } from './harness.js';

export type PgConn = ReturnType<typeof resolveConnection<'postgres'>>;

export async function pgAdapters() {
  testEnv();
  const conn: PgConn = resolveConnection(await loadConnections('config/connections.yaml'), 'warehouse', 'postgres');
  const root = await mkdtemp(join(tmpdir(), 'ferry-pg-'));
  const engines: TableEngine[] = [];
  const engine = async () => {
    const t = await TableEngine.open(await mkdtemp(join(root, 'a-')));
    engines.push(t);
    return t;
  };
  const base = (table: TableEngine, over: { conn?: PgConn; signal?: AbortSignal; progress?: (p: Progress) => void; runKey?: string; generation?: string; runStartedAt?: string }) => ({
    workdir: table.workdir, table, resume: undefined, connections: {}, checkpoint: {},
    signal: over.signal ?? new AbortController().signal, progress: over.progress ?? (() => undefined),
    connection: () => over.conn ?? conn, runKey: over.runKey ?? 'run-1', generation: over.generation ?? '',
  });
  return {
    conn,
    engine,
    /** SQL on the test's own pool. */
    sql: async <T = Record<string, unknown>>(text: string, values: unknown[] = []) => (await pgPool(conn).query(text, values)).rows as T[],
    /** The source over `query` into dataset `dataset` of a fresh engine (or `into`). */
    async read(query: string, extra: Record<string, unknown> = {}, over: Parameters<typeof base>[1] & { into?: TableEngine; dataset?: string } = {}) {
      const table = over.into ?? (await engine());
      const ctx = { ...base(table, over), dataset: over.dataset ?? 'items' } as unknown as SourceContext;
      await postgresSource.read(postgresSource.schema.parse({ type: 'postgres', connection: 'warehouse', query, ...extra }), ctx);
      return table;
    },
    /** The sink delivering `dataset` (default 'items') of `table`. */
    async write(table: TableEngine, spec: Record<string, unknown>, over: Parameters<typeof base>[1] & { dataset?: string; sink?: string } = {}): Promise<SinkResult> {
      const dataset = over.dataset ?? 'items';
      const ctx = { ...base(table, over), sink: over.sink ?? 'db', dataset, rows: await table.count(dataset), runStartedAt: over.runStartedAt ?? '2024-01-01T00:00:00Z' } as unknown as SinkContext;
      return postgresSink.write(postgresSink.schema.parse({ type: 'postgres', connection: 'warehouse', input: dataset, ...spec }), ctx);
    },
    async close() {
      for (const t of engines) t.close();
      await rm(root, { recursive: true, force: true });
      await closePgPools();
    },
  };
}
