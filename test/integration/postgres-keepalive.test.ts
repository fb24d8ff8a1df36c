/**
 * Every session Ferry opens asks PostgreSQL to probe its client after 30 s of silence: a worker cut
 * off mid-COPY without a FIN (a partition, a frozen VM) otherwise leaves a backend holding the
 * load's (run, sink) claim for the server's default two hours, and every retry of the run waits on
 * it (observed: attempts blocked on the claim, failing by stall one after another).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConnection } from '../../src/connect/connections.js';
import { loadConnections } from '../../src/pipeline/load.js';
import { withPgClient, closePgPools } from '../../src/connect/pg.js';
import { testEnv } from '../support/harness.js';

after(() => closePgPools());

test('a session of the pool has server-side TCP keepalive: first probe after 30 s, every 10 s, 3 missed probes end it', async () => {
  testEnv();
  const conn = resolveConnection(await loadConnections('config/connections.yaml'), 'warehouse', 'postgres');
  const settings = await withPgClient(conn, { context: {} }, async (client) => {
    const names = ['tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count'];
    const res = await client.query<{ name: string; setting: string }>('SELECT name, setting FROM pg_settings WHERE name = ANY($1) ORDER BY name', [names]);
    return Object.fromEntries(res.rows.map((r) => [r.name, r.setting]));
  });
  assert.deepEqual(settings, { tcp_keepalives_count: '3', tcp_keepalives_idle: '30', tcp_keepalives_interval: '10' });
});
