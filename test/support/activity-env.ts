/** Runs an activity function the way a worker would, at the default 20 s heartbeat timeout, quietly. */
import type { IngestOutput, IngestResult } from '../../src/run.js';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';

export const runActivity = <A, R>(fn: (input: A) => Promise<R>, input: A): Promise<R> =>
  new MockActivityEnvironment({ heartbeatTimeoutMs: 20_000 }, { logger: new DefaultLogger('ERROR') }).run(fn, input);

/** The ingest activity of a source that is read whole: its result is always staged (never `pending`). */
export const stagedIngest = <A>(ingest: (input: A) => Promise<IngestResult>) => async (input: A): Promise<IngestOutput> => {
  const out = await ingest(input);
  if ('pending' in out) throw new Error(`ingest returned pending: ${out.detail}`);
  return out;
};
