/**
 * A worker that prints every DuckDB statement it runs with its time and the gap before it (JS-side
 * work: downloads, checksums, COPY to PostgreSQL): where an activity's time goes.
 *
 *   node --import tsx bench/trace-worker.ts <task-queue>
 */
import { TableEngine } from '../src/table/engine.js';
import { createWorker } from '../src/worker.js';

let last = Date.now();
for (const name of ['run', 'rows'] as const) {
  const original = TableEngine.prototype[name] as (this: TableEngine, sql: string, params?: unknown[]) => Promise<unknown>;
  (TableEngine.prototype as unknown as Record<string, unknown>)[name] = async function (this: TableEngine, sql: string, params?: unknown[]) {
    const t0 = Date.now();
    const gap = t0 - last;
    try {
      return await original.call(this, sql, params);
    } finally {
      last = Date.now();
      console.log(`${String(last - t0).padStart(6)} ms  (gap ${String(gap).padStart(5)} ms)  ${sql.replace(/\s+/g, ' ').slice(0, 150)}`);
    }
  };
}
const { worker } = await createWorker({ taskQueue: process.argv[2], report: (r) => console.log(`== ${r.label} ${r.durationMs} ms ${r.summary ?? r.error ?? ''}`) });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
console.log('ferry worker on task queue');
await worker.run();
process.exit(0);
