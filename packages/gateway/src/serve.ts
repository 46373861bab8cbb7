import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Connection } from './connection.js';
import { Dispatcher } from './dispatcher.js';
import { startHttp, type HttpServer } from './http.js';
import { LeaseTable } from './leases.js';
import { resolveOptions, type ServeOptions } from './options.js';
import { reply } from './protocol.js';
import { Topics } from './topics.js';

/** A running gateway. */
export interface Gateway {
  /** The TCP port it listens on. */
  readonly port: number;
  /** The HTTP port, when HTTP is on. */
  readonly httpPort: number | undefined;
  /** Open TCP connections, live leases and pulls in progress, for monitoring. */
  stats(): { connections: number; leases: number; pulling: number };
  /**
   * Graceful shutdown: stops accepting, closes every connection (a pull still waiting takes
   * nothing), returns every lease to its queue with `attempt + 1`, and closes the backends.
   * Resolves with the number of items returned.
   */
  close(): Promise<number>;
}

/**
 * Starts a gateway: the queues over TCP (the lean queue server's line protocol) and, with
 * `httpPort`, over HTTP. Resolves once it listens.
 *
 * @example
 * const orders = new MemoryQueue<unknown>();
 * const gw = await serve({ queues: { orders }, port: 3000 });
 * process.once('SIGTERM', () => void gw.close());
 */
export async function serve(options: ServeOptions = {}): Promise<Gateway> {
  const o = resolveOptions(options);
  const log = o.logger;
  const leases = new LeaseTable(log, Math.max(10, Math.min(1_000, o.leaseMs / 4)));
  const dispatcher = new Dispatcher(o.queues, o.defaultQueue, leases, o.leaseMs, log);
  const connections = new Set<Connection>();
  // The topic routes: `@rxq/postgres` loaded, the schema migrated, before anything listens.
  const topics = o.postgres === undefined ? undefined : await Topics.open(o.postgres, log);
  const ctx = { dispatcher, token: o.token, maxLineBytes: o.maxLineBytes, lineTimeoutMs: o.lineTimeoutMs, logger: log };

  const tcp: Server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
    if (connections.size >= o.maxConnections) {
      log.warn({ maxConnections: o.maxConnections }, 'connection refused: too many connections');
      const r = reply('error:unknown', 'too many connections');
      socket.on('error', () => undefined);
      socket.end(JSON.stringify([r.status, r.result]) + '\r\n');
      return;
    }
    const connection = new Connection(socket, ctx);
    connections.add(connection);
    void connection.closed.then(() => connections.delete(connection));
  });
  tcp.listen(o.port, o.host);
  await once(tcp, 'listening').catch(async (error: unknown) => {
    await topics?.close();
    throw error;
  });
  let http: HttpServer | undefined;
  if (o.httpPort !== undefined)
    http = await startHttp(dispatcher, o, o.httpPort, topics).catch(async (error: unknown) => {
      tcp.close();
      await topics?.close();
      await leases.returnAll();
      throw error;
    });
  const port = (tcp.address() as AddressInfo).port;
  log.info(
    {
      port,
      httpPort: http?.port,
      queues: [...o.queues.keys()],
      topics: topics === undefined ? undefined : o.postgres?.schema,
    },
    'gateway listening',
  );

  let closing: Promise<number> | undefined;
  return {
    port,
    httpPort: http?.port,
    stats: () => ({ connections: connections.size, leases: leases.size, pulling: dispatcher.pulling }),
    close() {
      closing ??= (async () => {
        const outstanding = leases.items;
        tcp.close();
        const httpClosed = http?.close();
        const all = [...connections];
        for (const c of all) c.destroy();
        await Promise.all(all.map((c) => c.closed));
        await httpClosed;
        await topics?.close();
        // Connections gave back their own leases as they closed; the rest (HTTP) go back now.
        await leases.returnAll();
        for (const backend of o.queues.values()) await backend.close?.();
        log.info({ returned: outstanding }, 'gateway closed');
        return outstanding;
      })();
      return closing;
    },
  };
}
