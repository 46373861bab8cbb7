import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { createServer, connect as tcpConnect, type AddressInfo, type Socket } from 'node:net';
import { until } from '@rxq/core/testing';

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

const answers = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

/**
 * A nats-server of the test's own on another port, with JetStream in a store directory of its
 * own: for what the shared server must never go through (a restart, credentials).
 */
export interface PrivateServer {
  readonly url: string;
  readonly port: number;
  /** Stops it (SIGTERM) and waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store. */
  start(): Promise<void>;
  /** Stops it and deletes its store. */
  dispose(): Promise<void>;
}

export async function privateServer(extraArgs: readonly string[] = []): Promise<PrivateServer> {
  const port = await freePort();
  const store = `/tmp/rxq-nats-test-${randomUUID().slice(0, 8)}`;
  let child: ChildProcess | undefined;
  const server: PrivateServer = {
    url: `127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store, ...extraArgs], {
        stdio: 'ignore',
      });
      await until(() => answers(port), { what: `nats-server answering on ${port}` });
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      child = undefined;
    },
    async dispose() {
      await server.stop();
      await rm(store, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** A TCP proxy to `targetPort` whose client sockets the test can cut, as a network failure would. */
export interface CuttableProxy {
  readonly url: string;
  /** Destroys every open connection through the proxy (new ones are accepted). */
  cut(): number;
  close(): Promise<void>;
}

export async function cuttableProxy(targetPort: number): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
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
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `127.0.0.1:${port}`,
    cut() {
      const n = sockets.size;
      for (const s of sockets) s.destroy();
      return n;
    },
    async close() {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
