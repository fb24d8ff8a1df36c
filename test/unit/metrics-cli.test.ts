/**
 * `ferry worker --metrics` in-process, before any connection to Temporal: a bad address (flag or
 * FERRY_METRICS) is a usage error, exit 2, one line; an address another process listens on, or an
 * IP this machine does not have, is one line, exit 1, no stack. (The endpoint itself is tested on a real worker: test/integration/metrics.test.ts.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ferry } from './cli/support.js';

const USAGE = 'expected IP:PORT such as 127.0.0.1:9464, 0.0.0.0:9464, [::1]:9464 or localhost:9464';

describe('ferry worker --metrics', () => {
  it('rejects an address that is not IP:PORT with one line and exit code 2', async () => {
    const res = await ferry(['worker', '--metrics', 'metrics.example.com:9464']);
    assert.deepEqual(res, { code: 2, out: '', err: `error: option '--metrics <address>' argument 'metrics.example.com:9464' is invalid. ${USAGE}\n`, connected: 0 });
  });

  it('rejects port 0 (the endpoint would be on a port nobody knows)', async () => {
    const res = await ferry(['worker', '--metrics', '127.0.0.1:0']);
    assert.equal(res.code, 2);
    assert.equal(res.err, "error: option '--metrics <address>' argument '127.0.0.1:0' is invalid. expected a port from 1 to 65535\n");
  });

  it('reads FERRY_METRICS and says so when it is wrong', async () => {
    process.env.FERRY_METRICS = '9464';
    try {
      const res = await ferry(['worker']);
      assert.equal(res.code, 2);
      assert.equal(res.err, `error: option '--metrics <address>' value '9464' from env 'FERRY_METRICS' is invalid. ${USAGE}\n`);
    } finally {
      delete process.env.FERRY_METRICS;
    }
  });

  it('is listed in the help with its variable', async () => {
    const res = await ferry(['worker', '--help']);
    assert.match(res.out.replace(/\s+/g, ' '), /--metrics <address> serve Prometheus metrics on IP:PORT at \/metrics \(docs\/metrics\.md\) \(env: FERRY_METRICS\)/);
  });

  it('an address in use is one line and exit code 1, without a stack, before connecting anywhere', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const res = await ferry(['worker', '--metrics', `127.0.0.1:${port}`]);
      assert.deepEqual(res, {
        code: 1,
        out: '',
        err: `error: cannot serve metrics on 127.0.0.1:${port}: the address is already in use (another process listens there; choose another --metrics address)\n`,
        connected: 0,
      });
    } finally {
      server.close();
    }
  });

  it("an IP that is not one of this machine's addresses is one line and exit code 1", async () => {
    const res = await ferry(['worker', '--metrics', '192.0.2.1:9464']); // TEST-NET-1: documentation only
    assert.deepEqual(res, {
      code: 1,
      out: '',
      err: "error: cannot serve metrics on 192.0.2.1:9464: Cannot assign requested address (os error 99) (the IP is not one of this machine's addresses)\n",
      connected: 0,
    });
  });
});
