/** Runs an activity function the way a worker would, at the default 20 s heartbeat timeout, quietly. */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';

export const runActivity = <A, R>(fn: (input: A) => Promise<R>, input: A): Promise<R> =>
  new MockActivityEnvironment({ heartbeatTimeoutMs: 20_000 }, { logger: new DefaultLogger('ERROR') }).run(fn, input);
