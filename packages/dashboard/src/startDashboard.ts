import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Collector } from './collector.js';
import { resolveOptions, type DashboardOptions } from './options.js';
import { listener } from './server.js';

/** A running dashboard. */
export interface Dashboard {
  /** Where the page is, e.g. `http://127.0.0.1:9470/`. */
  readonly url: string;
  /** Stops serving, ends the event streams and closes the brokers' connections. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * Serves the rxq dashboard: one page with every configured queue (depth, in flight, delayed,
 * dead letters, consumers, from the broker's own counts through `@rxq/console`'s admin layer),
 * every configured consumer process (status, in flight, rates, handler latency percentiles and
 * errors, from its `consumerReporter`), plots over the last minutes, and the dead letters with
 * their reason, error and headers. Updates reach the page by server-sent events each `pollMs`.
 *
 * Read-only unless a `token` is given; then redrive, purge and showing bodies need it. Bodies are
 * never sent to the page unless asked for with the token. Resolves once it listens; an invalid
 * option throws `InvalidOptionError` naming it.
 *
 * @example
 * const dashboard = await startDashboard({
 *   queues: [{ url: 'redis://127.0.0.1:6379', queue: 'orders' }],
 *   consumers: ['http://127.0.0.1:9465'],
 *   token: process.env.RXQ_DASHBOARD_TOKEN,
 * });
 * console.log(`dashboard on ${dashboard.url}`);
 */
export async function startDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  const resolved = resolveOptions(options);
  const collector = new Collector(resolved);
  const streams = new Set<ServerResponse>();
  const loopback = LOOPBACK.has(resolved.host);
  const server = createServer(
    listener({
      collector,
      token: resolved.token,
      allowedHosts: loopback ? new Set([...LOOPBACK, resolved.host]) : null,
      assets: new URL('../assets/', import.meta.url),
      streams,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  void collector.refresh();
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}/`,
    close: () =>
      (closing ??= (async () => {
        for (const s of streams) s.end();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await collector.close();
      })()),
  };
}
