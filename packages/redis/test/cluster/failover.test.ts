import { ack, fromQueue, handle, type Connector, type Message, type SourceStatus } from '@rxq/core';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { redis, redisStream } from '../../src/index.js';
import { uniqueName } from '../helpers.js';
import { awaitFailover, cleanupCluster, clusterClient, killNode, masterOf, restoreCluster } from './helpers.js';
import { until } from '@rxq/core/testing';

// A master SIGKILLed while a source consumes from it: its replica takes over (the cluster's node
// timeout is 2 s), the source reconnects by itself, and every message is handled at least once.
// Duplicates are expected (acks the dead master took with it) and reported, never losses.
const admin = clusterClient();
afterAll(() => admin.quit());
afterEach(() => restoreCluster(), 180_000);

const TOTAL = 3_000;

interface Mode {
  readonly name: string;
  connector(key: string, connection: ReturnType<typeof clusterClient>): Connector<never, { n: number }>;
  /**
   * Adds bodies and waits until `replicas` replicas have them (WAIT): a write acknowledged by a
   * master that dies before its replica got it is lost by Redis Cluster (replication is
   * asynchronous), whatever the consumer does.
   */
  publish(key: string, from: number, to: number, replicas: number): Promise<void>;
}

const modes: Mode[] = [
  {
    name: 'reliable list',
    connector: (q, connection) =>
      redis(q, { connection, blockMs: 250, consumerTtlMs: 3_000 }) as unknown as Connector<never, { n: number }>,
    publish: async (q, from, to, replicas) => {
      const bodies = Array.from({ length: to - from }, (_, i) => JSON.stringify({ n: from + i }));
      const [, waited] =
        (await admin
          .pipeline()
          .rpush(q, ...bodies)
          .call('WAIT', replicas, 10_000)
          .exec()) ?? [];
      expect(waited?.[1]).toBeGreaterThanOrEqual(replicas);
    },
  },
  {
    name: 'stream',
    connector: (s, connection) =>
      redisStream(s, { group: 'g', connection, blockMs: 250, minIdleMs: 1_000 }) as unknown as Connector<
        never,
        { n: number }
      >,
    publish: async (s, from, to, replicas) => {
      const pipeline = admin.pipeline();
      for (let n = from; n < to; n++) pipeline.xadd(s, '*', 'body', JSON.stringify({ n }));
      const replies = (await pipeline.call('WAIT', replicas, 10_000).exec()) ?? [];
      expect(replies.at(-1)?.[1]).toBeGreaterThanOrEqual(replicas);
    },
  },
];

describe.each(modes)('a master killed mid-stream ($name)', (mode) => {
  it('loses nothing: the replica takes over and the source resumes by itself', async () => {
    const key = uniqueName('failover').replaceAll(':', '-');
    const connection = clusterClient();
    let stop = (): Promise<void> => Promise.resolve();
    try {
      const master = await masterOf(key);
      await mode.publish(key, 0, TOTAL, 1);
      const seen = new Map<number, number>();
      const statuses: SourceStatus[] = [];
      let killedAt = 0;
      let resolveAll!: () => void;
      const all = new Promise<void>((resolve) => (resolveAll = resolve));
      const source = fromQueue(mode.connector(key, connection), {
        maxInFlight: 64,
        reconnect: { initialMs: 100, maxMs: 1_000 },
      });
      stop = () => source.stop();
      source.status$.subscribe((e) => statuses.push(e.status));
      const closed = firstValueFrom(source.status$.pipe(filter((e) => e.status === 'closed')));
      source
        .pipe(
          handle(
            async (m: Message<{ n: number }>) => {
              await new Promise((r) => setTimeout(r, 1));
              seen.set(m.body.n, (seen.get(m.body.n) ?? 0) + 1);
              if (seen.size === TOTAL / 3 && killedAt === 0) {
                killedAt = Date.now();
                killNode(master);
              }
              if (seen.size === TOTAL) resolveAll();
            },
            { concurrency: 8 },
          ),
          ack(),
        )
        .subscribe();
      // Messages published after the kill reach the new master and the resumed source too.
      await until(() => killedAt > 0, { timeoutMs: 120_000 });
      await awaitFailover(admin, key, master);
      expect(await masterOf(key)).not.toBe(master);
      // (The new master has no replica until the killed node is back.)
      await mode.publish(key, TOTAL, TOTAL + 100, 0);
      await all;
      await until(() => seen.size === TOTAL + 100, { timeoutMs: 120_000 });
      await source.stop();
      await closed;
      const missing = Array.from({ length: TOTAL + 100 }, (_, n) => n).filter((n) => !seen.has(n));
      expect(missing).toEqual([]);
      const duplicates = [...seen.values()].filter((c) => c > 1).length;
      console.info(`${mode.name}: ${TOTAL + 100} handled after a failover, ${duplicates} more than once`);
      // The source lost its connection and reopened by itself.
      expect(statuses).toContain('reconnecting');
      expect(statuses.lastIndexOf('connected')).toBeGreaterThan(statuses.indexOf('reconnecting'));
    } finally {
      await stop();
      await connection.quit().catch(() => connection.disconnect());
      await cleanupCluster(admin, key).catch(() => undefined);
    }
  });
});
