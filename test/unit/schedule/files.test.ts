/** Which pipelines `ferry schedule apply <dir>` deploys: the example folder has one scheduled pipeline. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { schedulePlans, pipelineFiles } from '../../../src/schedule/files.js';
import { scheduleOptions } from '../../../src/schedule/options.js';

describe('schedulePlans of config/pipelines', () => {
  it('daily-sales is scheduled (23:30 Berlin), retail is skipped, nothing is wrong', async () => {
    assert.deepEqual(await pipelineFiles('config/pipelines'), { files: ['config/pipelines/daily-sales.yaml', 'config/pipelines/retail.yaml'], isDirectory: true });
    const found = await schedulePlans('config/pipelines');
    assert.deepEqual(found.issues, []);
    assert.deepEqual(found.skipped, [{ pipeline: 'retail', file: 'config/pipelines/retail.yaml' }]);
    assert.deepEqual(found.plans.map((p) => p.pipeline), ['daily-sales']);
    const { options } = scheduleOptions(found.plans[0]!, { taskQueue: 'ferry' });
    assert.deepEqual([options.spec, options.policies], [
      { cronExpressions: ['30 23 * * *'], timezone: 'Europe/Berlin' },
      { overlap: 'SKIP', catchupWindow: 86_400_000, pauseOnFailure: false },
    ]);
    // The run date is resolved when each run happens, not when the schedule is deployed.
    const plan = options.action.args![0] as typeof found.plans[0];
    assert.equal(plan.spec.sinks.day!.type === 'file' && plan.spec.sinks.day!.path, '.ferry/out/daily-sales/{run_date}.csv');
    assert.match(JSON.stringify(plan.spec.standardize), /DATE '\$\{run\.date\}'/);
  });

  it('a file is itself; a missing one is reported as such', async () => {
    assert.deepEqual(await pipelineFiles('config/pipelines/retail.yaml'), { files: ['config/pipelines/retail.yaml'], isDirectory: false });
    const missing = await schedulePlans('no/such.yaml');
    assert.deepEqual(missing.issues, [{ file: 'no/such.yaml', path: '', message: 'file not found or not readable' }]);
  });
});
