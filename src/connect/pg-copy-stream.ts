/**
 * Streams a DuckDB query into a PostgreSQL COPY … FROM STDIN, in one pass and concurrently: DuckDB's
 * COPY TO writes CSV into a named pipe (mkfifo) in the work directory while Node reads the pipe and
 * sends it to PostgreSQL. No CSV file is written, and neither side waits for the other to finish.
 *
 *   await copyQuery(client, table, {
 *     select: 'SELECT CAST(id AS VARCHAR) AS c0 FROM items', quote: ['c0'],
 *     copy: 'COPY s.t (id) FROM STDIN WITH (FORMAT csv)', fifo: join(workdir, 'db.pipe'), progress,
 *   });
 *
 * Failure semantics: a failure on either side fails both (PostgreSQL's error first); the pipe is
 * drained until DuckDB stops, so no DuckDB thread stays blocked on it, and is removed. The COPY is
 * part of the caller's transaction: the caller rolls back. Nothing here is retried.
 *
 * The pipe is opened for reading non-blocking (so no thread of libuv's pool ever blocks in open(2),
 * whatever else the worker does) and read as a libuv pipe; DuckDB's open for writing then returns at once.
 */
import { constants, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { from as copyFrom } from 'pg-copy-streams';
import type pg from 'pg';
import { lit, ident, type TableEngine } from '../table/engine.js';

type Progress = (p: { note?: string }) => void;

export type CopyQuery = {
  /** DuckDB SELECT whose columns are rendered as text in the order of `copy`'s column list. */
  select: string;
  /**
   * Output columns quoted always. DuckDB quotes '' by itself (PostgreSQL reads an unquoted empty
   * field as NULL); this is for a lone column whose value may be `\.`, the end-of-data marker.
   */
  quote: string[];
  /** `COPY <table> (<columns>) FROM STDIN WITH (FORMAT csv[, FREEZE])`. */
  copy: string;
  /** Path of the pipe to create (in the work directory). */
  fifo: string;
  progress: Progress;
};

export async function copyQuery(client: pg.PoolClient, engine: TableEngine, q: CopyQuery): Promise<void> {
  await rm(q.fifo, { force: true });
  await promisify(execFile)('mkfifo', ['-m', '600', q.fifo]);
  const reader = () => new net.Socket({ fd: openSync(q.fifo, constants.O_RDONLY | constants.O_NONBLOCK), readable: true, writable: false });
  const source = reader();
  const force = q.quote.length ? `, FORCE_QUOTE (${q.quote.map(ident).join(', ')})` : '';
  const writing = engine.run(`COPY (${q.select}) TO ${lit(q.fifo)} (FORMAT csv, HEADER false, USE_TMP_FILE false${force})`);
  // DuckDB failing (before or while writing) ends the read with its error.
  writing.catch((err: unknown) => source.destroy(err as Error));
  let ok = false;
  try {
    await pipeline(source, copyProgress(q.progress), client.query(copyFrom(q.copy)));
    await writing;
    ok = true;
  } finally {
    if (!ok) {
      source.destroy();
      // DuckDB may still be writing (or about to open the pipe): drain it until it stops.
      const drain = reader();
      drain.on('error', () => undefined);
      drain.resume();
      await writing.catch(() => undefined);
      drain.destroy();
    }
    await rm(q.fifo, { force: true });
  }
}

/** Reports how much CSV went to PostgreSQL (every 8 MB): a long COPY shows progress, not silence. */
function copyProgress(progress: Progress): Transform {
  let sent = 0;
  let reported = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      if (sent - reported >= 8_000_000) {
        reported = sent;
        progress({ note: `COPY ${(sent / 1e6).toFixed(1)} MB sent` });
      }
      done(null, chunk);
    },
  });
}
