/** applySchedule: Temporal refusing the cron values becomes one ConfigError naming the file and pipeline. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { applySchedule } from '../../../src/schedule/deploy.js';
import { ConfigError } from '../../../src/errors.js';
import { pipelineSchema } from '../../../src/pipeline/schema.js';
import type { RunPlan } from '../../../src/run.js';

const plan: RunPlan = {
  pipeline: 'nightly',
  file: 'config/pipelines/nightly.yaml',
  spec: pipelineSchema.parse({
    name: 'nightly',
    sources: { sales: { type: 'file', path: 'data/sales.csv' } },
    sinks: { out: { type: 'file', input: 'sales', path: 'out/{run_date}.csv' } },
    schedule: { cron: '61 25 * * *', timezone: 'Asia/Kolkata' },
  }),
  connections: {},
  params: {},
};

// What @temporalio/client does on INVALID_ARGUMENT from CreateSchedule: a TypeError with the server's text.
const refusingClient = (error: Error) => ({
  options: { namespace: 'default' },
  schedule: {
    getHandle: () => ({ describe: async () => { throw new ScheduleNotFoundError('not found', 'nightly'); } }),
    create: async () => { throw error; },
  },
}) as unknown as Client;

describe('applySchedule', () => {
  it('a cron Temporal refuses: a ConfigError with the file, the pipeline, the spec and the reason', async () => {
    const err = await applySchedule(refusingClient(new TypeError('Minute is not in range [0-59], Hour is not in range [0-23]')), plan, { taskQueue: 'q' })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ConfigError);
    assert.equal(err.describe(), 'config/pipelines/nightly.yaml: schedule (cron 61 25 * * * Asia/Kolkata) of pipeline nightly refused by Temporal: Minute is not in range [0-59], Hour is not in range [0-23]');
  });

  it('other failures pass through unchanged', async () => {
    const boom = new Error('connection refused');
    const err = await applySchedule(refusingClient(boom), plan, { taskQueue: 'q' }).then(() => undefined, (e: unknown) => e);
    assert.equal(err, boom);
  });
});
