/**
 * `ferry terminate` and `ferry cancel` against a fake client: a running run is stopped (the run
 * that is running, by its run id), with the reason given; a finished run is refused with one line
 * and exit 1; the help says how terminate differs from cancel.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ferry } from './support.js';
import { fakeClient } from './fake-client.js';

describe('ferry terminate and cancel', () => {
  it('terminate stops a running run with the reason given, or a default one', async () => {
    const calls: string[] = [];
    const res = await ferry(['terminate', 'run-1', '--reason', 'stuck on a dead API'], { connect: fakeClient({ status: 'RUNNING' }, calls) });
    assert.equal(res.code, 0, res.err);
    assert.equal(res.out, 'terminated run-1: stuck on a dead API\n  http://127.0.0.1:8233/namespaces/default/workflows/run-1\n');
    await ferry(['terminate', 'run-1'], { connect: fakeClient({ status: 'RUNNING' }, calls) });
    assert.deepEqual(calls, ['terminate run-1 r1: stuck on a dead API', 'terminate run-1 r1: terminated with ferry terminate']);
  });

  it('cancel asks a running run to stop', async () => {
    const calls: string[] = [];
    const res = await ferry(['cancel', 'run-1'], { connect: fakeClient({ status: 'RUNNING' }, calls) });
    assert.equal(res.code, 0, res.err);
    assert.deepEqual(calls, ['cancel run-1 r1']);
  });

  for (const verb of ['terminate', 'cancel']) {
    it(`${verb} refuses a finished run with one line, exit 1, and touches nothing`, async () => {
      const calls: string[] = [];
      const res = await ferry([verb, 'run-1'], { connect: fakeClient({ status: 'COMPLETED', closeTime: new Date('2026-01-01T00:00:05Z') }, calls) });
      assert.deepEqual(res, {
        code: 1, out: '', connected: 0,
        err: `error: run run-1 has already ended (completed at 2026-01-01T00:00:05.000Z); only a running run can be ${verb === 'cancel' ? 'cancelled' : 'terminated'}\n`,
      });
      assert.deepEqual(calls, []);
    });
    it(`${verb} of an unknown id: one line, exit 1`, async () => {
      const res = await ferry([verb, 'nope'], { connect: fakeClient(undefined) });
      assert.deepEqual(res, { code: 1, out: '', err: 'error: no run with id nope (ferry runs lists the recent ones)\n', connected: 0 });
    });
  }

  it('the help of terminate and cancel says how they differ; ferry --help lists cancel, terminate and retry', async () => {
    for (const verb of ['terminate', 'cancel']) {
      const help = (await ferry([verb, '--help'])).out;
      assert.match(help, /terminate vs cancel:\n {2}ferry cancel <id> {5}asks the run to stop: running activities stop at their next heartbeat/);
      assert.match(help, /\n {2}ferry terminate <id> {2}stops the run at once, without running any more workflow code: no cleanup,\n/);
    }
    const overview = (await ferry(['--help'])).out.replace(/\s+/g, ' ');
    assert.ok(overview.includes(' cancel <workflow-id> stop a run cleanly: its activities stop, its report is kept '), overview);
    assert.ok(overview.includes(' terminate [options] <workflow-id> stop a run at once: no cleanup, no report (see cancel) '), overview);
    assert.ok(overview.includes(' retry [options] <workflow-id> run a failed or cancelled run again as the same logical run'), overview);
  });
});
