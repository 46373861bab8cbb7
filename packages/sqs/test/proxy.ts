import { once } from 'node:events';
import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';

/** A TCP proxy to a loopback port that the test can take down (refusing connections) and bring back. */
export interface OutageProxy {
  readonly endpoint: string;
  /** Closes every connection and refuses new ones, as a network outage would. */
  down(): Promise<void>;
  /** Accepts connections again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function outageProxy(targetPort: number): Promise<OutageProxy> {
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server | undefined;
  const listen = async (): Promise<void> => {
    server = createServer((client) => {
      const upstream = tcpConnect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  };
  const down = async (): Promise<void> => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (s) {
      s.close();
      await once(s, 'close');
    }
  };
  await listen();
  return { endpoint: `http://127.0.0.1:${port}`, down, up: listen, close: down };
}
