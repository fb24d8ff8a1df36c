/**
 * A TCP proxy on 127.0.0.1 that slows the bytes going towards the server to `bytesPerSecond`: a slow
 * network on demand, so a test can act (kill a worker) while a large upload is under way. With
 * `swallowPutReplies` set, the server's answer to an HTTP PUT never reaches the client: the object
 * is written, the writer does not know it (to kill it "after the PUT").
 *
 *   const proxy = await startThrottleProxy({ host: '127.0.0.1', port: 9000 }, 8 * 1024 * 1024);
 *   process.env.S3_ENDPOINT = `http://127.0.0.1:${proxy.port}`;
 *   await proxy.close();
 */
import net from 'node:net';
import { once } from 'node:events';

export type ThrottleProxy = { port: number; readonly bytesToServer: number; swallowPutReplies: boolean; close(): Promise<void> };

export async function startThrottleProxy(target: { host: string; port: number }, bytesPerSecond: number): Promise<ThrottleProxy> {
  const sockets = new Set<net.Socket>();
  let bytesToServer = 0;
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };
  const state = { swallowPutReplies: false };
  const server = net.createServer((client) => {
    track(client);
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    const started = Date.now();
    let sent = 0;
    let swallow = false;
    client.on('data', (chunk: Buffer) => {
      if (state.swallowPutReplies && chunk.toString('latin1', 0, 4) === 'PUT ') swallow = true;
      sent += chunk.length;
      bytesToServer += chunk.length;
      upstream.write(chunk);
      // Ahead of the allowed rate: stop reading until the clock catches up.
      const ahead = (sent / bytesPerSecond) * 1000 - (Date.now() - started);
      if (ahead > 5) {
        client.pause();
        setTimeout(() => client.resume(), ahead).unref();
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!swallow) client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    get bytesToServer() {
      return bytesToServer;
    },
    get swallowPutReplies() {
      return state.swallowPutReplies;
    },
    set swallowPutReplies(on: boolean) {
      state.swallowPutReplies = on;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
