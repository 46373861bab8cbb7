import { ack, fromQueue, handle, type Message, type QueueObservable } from '@rxq/core';
import pg from 'pg';
import { Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, pgQueue, pgTopic, publishMany, publishTopicMany } from '../src/index.js';
import { PrivateCluster } from './privateCluster.js';
import { until } from '@rxq/core/testing';

const N = 3_000;
const cluster = new PrivateCluster(55_432 + Math.floor(Math.random() * 1_000));
let admin: pg.Pool;

beforeAll(async () => {
  cluster.start();
  admin = new pg.Pool({ connectionString: cluster.url, max: 2 });
  admin.on('error', () => undefined);
  await migrate({ connection: admin });
}, 60_000);

afterAll(async () => {
  await admin?.end();
  cluster.destroy();
});

/**
 * Consumes, restarting the server once after 1,000 were handled, until `finished` holds in the
 * database (what failed to settle during the outage comes back once its lease ends).
 */
async function consumeAcrossRestart(
  source: QueueObservable<{ n: number }>,
  stop: Subject<void>,
  finished: () => Promise<boolean>,
): Promise<string[]> {
  const seen = new Set<number>();
  const statuses: string[] = [];
  source.status$.subscribe((e) => statuses.push(e.status));
  let restarted: Promise<void> | undefined;
  const done = new Promise<void>((resolve) =>
    source
      .pipe(
        handle(
          async (m: Message<{ n: number }>) => {
            seen.add(m.body.n);
            if (seen.size >= 1_000 && restarted === undefined) restarted = cluster.restart();
          },
          { concurrency: 8 },
        ),
        ack(),
      )
      .subscribe({ complete: resolve }),
  );
  await until(async () => seen.size === N, { what: 'every message handled', timeoutMs: 60_000 });
  await restarted;
  await until(finished, { what: 'everything settled in the database', timeoutMs: 20_000 });
  stop.next();
  await done;
  expect(seen.size).toBe(N);
  return statuses;
}

describe('a PostgreSQL restart mid-stream (a private cluster)', { timeout: 90_000 }, () => {
  it('queue: the consumer reconnects by itself and nothing is lost', async () => {
    await publishMany(
      admin,
      'r',
      Array.from({ length: N }, (_, n) => ({ n })),
    );
    const stop = new Subject<void>();
    const source = fromQueue<{ n: number }>(pgQueue('r', { connection: cluster.url, leaseMs: 1_000, pollMs: 100 }), {
      maxInFlight: 64,
      stop,
      reconnect: { initialMs: 50, maxMs: 500 },
    });
    const statuses = await consumeAcrossRestart(
      source,
      stop,
      async () => Number((await admin.query('SELECT count(*) AS c FROM rxq.jobs')).rows[0].c) === 0,
    );
    expect(statuses.filter((s) => s === 'connected').length).toBeGreaterThanOrEqual(2);
  });

  it('topic: the subscriber reconnects by itself, nothing is lost, and the offset reaches the end', async () => {
    await publishTopicMany(
      admin,
      'r',
      Array.from({ length: N }, (_, n) => ({ n })),
    );
    const stop = new Subject<void>();
    const source = fromQueue<{ n: number }>(
      pgTopic('r', { subscriber: 's', start: 'beginning', connection: cluster.url, leaseMs: 1_000, pollMs: 100 }),
      { maxInFlight: 64, stop, reconnect: { initialMs: 50, maxMs: 500 } },
    );
    const statuses = await consumeAcrossRestart(
      source,
      stop,
      async () =>
        Number((await admin.query(`SELECT committed FROM rxq.subscribers WHERE name = 's'`)).rows[0].committed) === N,
    );
    expect(statuses.filter((s) => s === 'connected').length).toBeGreaterThanOrEqual(2);
  });
});
