import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ack, fromQueue, handle, type SourceStatus } from '@rxq/core';
import { tap } from 'rxjs';
import type { AmqpConnector } from '../../src/index.js';

/** The three nodes of `scripts/cluster.d/rabbitmq.sh` (rxqN@localhost on 5680 + N). */
export const NODE_URLS = [1, 2, 3].map((n) => `amqp://guest:guest@127.0.0.1:${5680 + n}`);

const script = fileURLToPath(new URL('../../../../scripts/cluster.d/rabbitmq.sh', import.meta.url));

/** `scripts/cluster.d/rabbitmq.sh ARGS` (start, stop-app N, start-node N, kill N, ctl N ...); its stdout. */
export async function rabbit(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [script, ...args], { timeout: 180_000 });
  return stdout;
}

/** The node number (1-3) of the quorum queue's leader, asked of node `via`. */
export async function leaderOf(queue: string, via: number): Promise<number> {
  const out = await rabbit('ctl', String(via), 'list_queues', 'name', 'leader', '--formatter', 'json', '-q');
  const row = (JSON.parse(out) as { name: string; leader: string }[]).find((q) => q.name === queue);
  const match = /^rxq([123])@/.exec(row?.leader ?? '');
  if (!match) throw new Error(`no leader for ${queue} (${row?.leader ?? 'queue not listed'})`);
  return Number(match[1]);
}

/** A consumer of `{ n }` bodies counting every delivery of each `n`, for the failover tests. */
export interface CountingConsumer {
  readonly deliveries: Map<number, number>;
  readonly acked: Set<number>;
  readonly statuses: SourceStatus[];
  /** When each `n` was first handled (ms since the epoch). */
  readonly firstHandledAt: Map<number, number>;
  /** The brokers connected to, in order (from the connector's `amqp: connected` log records). */
  readonly connectedTo: string[];
  allAcked(count: number): Promise<void>;
  duplicates(): number;
  stop(): void;
}

export function countingConsumer(connector: AmqpConnector, maxInFlight: number): CountingConsumer {
  const deliveries = new Map<number, number>();
  const firstHandledAt = new Map<number, number>();
  const acked = new Set<number>();
  const statuses: SourceStatus[] = [];
  const connectedTo: string[] = [];
  const bodyOf = new Map<string, number>();
  const waiters: { count: number; resolve: () => void }[] = [];
  const quiet = () => undefined;
  const source = fromQueue<{ n: number }>(connector, {
    maxInFlight,
    reconnect: { initialMs: 100, maxMs: 1_000 },
    logger: {
      debug: quiet,
      warn: quiet,
      error: quiet,
      info: (fields: Record<string, unknown>, message: string) => {
        if (message === 'amqp: connected') connectedTo.push(String(fields.broker));
      },
    },
  });
  source.status$.subscribe((s) => statuses.push(s.status));
  const subscription = source
    .pipe(
      handle(
        async (m) => {
          const n = m.body.n;
          bodyOf.set(m.id, n);
          deliveries.set(n, (deliveries.get(n) ?? 0) + 1);
          if (!firstHandledAt.has(n)) firstHandledAt.set(n, Date.now());
          await new Promise((r) => setTimeout(r, 2));
        },
        { concurrency: 8 },
      ),
      ack(),
      tap((r) => {
        const n = bodyOf.get(r.id);
        bodyOf.delete(r.id);
        if (r.settlement !== 'acked' || n === undefined) return;
        acked.add(n);
        for (const w of waiters) if (acked.size >= w.count) w.resolve();
      }),
    )
    .subscribe();
  return {
    deliveries,
    acked,
    statuses,
    firstHandledAt,
    connectedTo,
    allAcked: (count) =>
      acked.size >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
    duplicates: () => [...deliveries.values()].reduce((sum, d) => sum + d - 1, 0),
    stop: () => subscription.unsubscribe(),
  };
}
