/**
 * The README's "Operating Ferry" section is a script that works: its `sh` blocks run, in order, as
 * one bash script (with `ferry` = `node bin/ferry.js`, background jobs stopped at the end) on the
 * real services, and what they did is checked: the schedule deployed and deleted, three backfilled
 * runs for their own days, the manual run's file, the metrics, the viz page and the JSON API.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectClient } from '../../src/client.js';
import type { Client } from '@temporalio/client';
import type { RunReport } from '../../src/run.js';

let client: Client;
const SCHEDULE = 'daily-sales';
const DAYS = ['2024-01-05', '2024-01-06', '2024-01-07'];
const backfilled = DAYS.map((d) => `daily-sales-${d}T22:30:00Z`);
const manual = 'daily-sales-2024-01-08T22:30:00Z';
const retried = 'daily-sales-2024-01-09T22:30:00Z';

/** The section's sh blocks, in order. */
async function operatingScript(): Promise<string> {
  const readme = await readFile('README.md', 'utf8');
  const start = readme.indexOf('## Operating Ferry');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 3));
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  assert.ok(blocks.length >= 4, 'the section has its sh blocks');
  return blocks.join('\n');
}

async function reset(): Promise<void> {
  await client.schedule.getHandle(SCHEDULE).delete().catch(() => undefined);
  for (const id of [...backfilled, manual, retried]) await client.workflow.getHandle(id).terminate('test reset').catch(() => undefined);
  await rm('.ferry/out/daily-sales', { recursive: true, force: true });
  await rm('.ferry/retail.html', { force: true });
}

before(async () => {
  client = await connectClient();
  await reset();
});
after(async () => {
  await client.schedule.getHandle(SCHEDULE).delete().catch(() => undefined);
  // A backfilled run the script's worker did not finish would wait on the default queue forever.
  for (const id of backfilled) {
    const handle = client.workflow.getHandle(id);
    if ((await handle.describe().catch(() => undefined))?.status.name === 'RUNNING') await handle.terminate('README test ended');
  }
  await client.connection.close();
});

test('the commands of "Operating Ferry" run as written, and do what the README says', async () => {
  // `ferry` on PATH execs node, so a background `ferry worker &` is the node process the trap stops.
  const bin = await mkdtemp(join(tmpdir(), 'ferry-readme-bin-'));
  await writeFile(join(bin, 'ferry'), `#!/bin/sh\nexec "${process.execPath}" "${resolve('bin/ferry.js')}" "$@"\n`, { mode: 0o755 });
  const script = `set -euo pipefail
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null || true' EXIT
${(await operatingScript()).replace(/^(ferry (worker|serve)[^\n]*&)/gm, '$1\nsleep 3')}`;
  const res = await new Promise<{ code: number | null; out: string }>((done) => {
    const child = spawn('bash', ['-c', script], { env: { ...process.env, NO_COLOR: '1', PATH: `${bin}:${process.env.PATH}` } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => done({ code, out }));
  });
  assert.equal(res.code, 0, res.out);
  const out = res.out;
  assert.match(out, /^created +daily-sales +cron 30 23 \* \* \* Europe\/Berlin/m);
  assert.match(out, /^backfill of daily-sales from 2024-01-05 to 2024-01-07 \(Europe\/Berlin\): 3 runs/m);
  assert.match(out, /^paused daily-sales \(source migration\)$/m);
  assert.match(out, /^unpaused daily-sales$/m);
  assert.ok(out.includes(`started daily-sales as ${manual}`), out);
  assert.match(out, new RegExp(`^${manual} {2}COMPLETED`, 'm'));
  assert.match(out, /^ferry_rows_total\{.*pipeline="daily-sales".*\} \d+/m);
  assert.match(out, /^deleted schedule daily-sales/m);

  // Every run read and wrote its own day: the three backfilled, the manual one, the retried one.
  const header = 'sale_id,sale_date,customer_id,product_id,quantity,amount,currency\n';
  const expected: Record<string, string> = {
    '2024-01-05': 'S001,2024-01-05,C01,P01,2,39.98,USD\nS002,2024-01-05,C02,P02,1,15.50,EUR\n',
    '2024-01-06': 'S003,2024-01-06,C03,P03,,120.00,GBP\n',
    '2024-01-07': 'S004,2024-01-07,C01,P02,3,46.50,EUR\nS005,2024-01-07,C04,P04,1,99999.00,USD\n',
    '2024-01-08': 'S006,2024-01-08,C05,P01,1,19.99,USD\n',
    '2024-01-09': 'S007,2024-01-09,C02,P05,4,,USD\n',
  };
  for (const [day, rows] of Object.entries(expected)) assert.equal(await readFile(`.ferry/out/daily-sales/${day}.csv`, 'utf8'), header + rows, day);
  // The viz page is one self-contained file.
  const page = await readFile('.ferry/retail.html', 'utf8');
  assert.ok(page.startsWith('<!doctype html>') || page.startsWith('<!DOCTYPE html>'), page.slice(0, 40));
  assert.ok(!/<script[^>]+src=|<link[^>]+href="http/i.test(page), 'no external script or stylesheet');
  // The JSON API answered with the runs.
  assert.match(out, /"workflowId":"daily-sales-/);

  // The backfill: three runs, each for its own day, started by the schedule.
  for (const [i, id] of backfilled.entries()) {
    const report = (await client.workflow.getHandle(id).result()) as RunReport;
    assert.deepEqual([report.status, report.run.date, report.run.trigger], ['completed', DAYS[i], 'schedule'], id);
  }
  const again = (await client.workflow.getHandle(retried).result()) as RunReport;
  assert.deepEqual([again.status, again.run.date, again.run.trigger], ['completed', '2024-01-09', 'retry']);
  assert.match(out, new RegExp(`^${retried.replace(/[.]/g, '\\.')} {2}COMPLETED|started retry of ${retried}`, 'm'));
});
