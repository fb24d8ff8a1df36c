/**
 * A TCP proxy on 127.0.0.1 that a test can cut (every connection destroyed, new ones refused) and
 * restore: a network outage on demand, between a client and a real server.
 *
 *   const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
 *   const conn = { ...pgConn, port: String(proxy.port) };
 *   proxy.cutAfter(5_000_000);   // cut once 5 MB more went towards the server (mid-COPY)
 *   proxy.restore();
 *   await proxy.close();
 */
import net from 'node:net';
import { once } from 'node:events';

export type TcpProxy = {
  port: number;
  /** Bytes sent towards the server so far. */
  readonly bytesToServer: number;
  /** How many times the proxy was cut. */
  readonly cuts: number;
  /** Destroys every connection now; new ones are refused until `restore`. */
  cut(): void;
  /** Cuts as soon as `bytes` more have gone towards the server. */
  cutAfter(bytes: number): void;
  /** Cuts as soon as `bytes` more have come back from the server (mid-read). */
  cutAfterReply(bytes: number): void;
  restore(): void;
  close(): Promise<void>;
};

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let down = false;
  let bytesToServer = 0;
  let cutAt = Infinity;
  let bytesFromServer = 0;
  let cutAtReply = Infinity;
  let cuts = 0;

  const cut = () => {
    cuts++;
    down = true;
    cutAt = Infinity;
    cutAtReply = Infinity;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined); // a cut is the point: errors are expected
  };

  const server = net.createServer((client) => {
    track(client);
    if (down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    client.on('data', (chunk: Buffer) => {
      bytesToServer += chunk.length;
      if (bytesToServer >= cutAt) return cut();
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      bytesFromServer += chunk.length;
      if (bytesFromServer >= cutAtReply) return cut();
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
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
    get cuts() {
      return cuts;
    },
    cut,
    cutAfter(bytes: number) {
      cutAt = bytesToServer + bytes;
    },
    cutAfterReply(bytes: number) {
      cutAtReply = bytesFromServer + bytes;
    },
    restore() {
      down = false;
    },
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
