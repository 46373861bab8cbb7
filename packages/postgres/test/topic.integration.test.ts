import { ack, fromQueue, handle, silentLogger, type Message } from '@rxq/core';
import { collectUntil, gracefulStop, until } from '@rxq/core/testing';
import pg from 'pg';
import { Subject, tap } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  pgTopic,
  pruneTopic,
  publishTopic,
  publishTopicMany,
  resetSubscriber,
  subscriberOffsets,
  type PgDelivery,
} from '../src/index.js';
import { adminPool, freshSchema, terminate, PG_URL } from './helpers.js';

const admin = adminPool();
afterAll(() => admin.end());

interface N {
  n: number;
}
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const bodies = (count: number, from = 0): N[] => Array.from({ length: count }, (_, i) => ({ n: from + i }));
const committed = async (schema: string, topic: string, subscriber: string): Promise<number> => {
  const all = await subscriberOffsets({ connection: admin, topic, schema });
  return Number(all.find((o) => o.subscriber === subscriber)?.committed ?? -1);
};

describe('pgTopic', { timeout: 60_000 }, () => {
  it('offsets are gapless from 1 under concurrent publishers, the very first message included, with rollbacks', async () => {
    const { schema, drop } = await freshSchema(admin, 'gapless');
    const pools = Array.from({ length: 8 }, () => new pg.Pool({ connectionString: PG_URL, max: 1 }));
    try {
      let committedCount = 0;
      await Promise.all(
        pools.map(async (pool, p) => {
          for (let i = 0; i < 25; i++) {
            const client = await pool.connect();
            try {
              await client.query('BEGIN');
              await publishTopicMany(
                client,
                'g',
                [
                  { p, i },
                  { p, i, second: true },
                ],
                { schema },
              );
              if (i % 5 === 4) await client.query('ROLLBACK');
              else {
                await client.query('COMMIT');
                committedCount += 2;
              }
            } finally {
              client.release();
            }
          }
        }),
      );
      const { rows } = await admin.query<{ offset: string }>(
        `SELECT "offset" FROM "${schema}".messages WHERE topic = 'g' ORDER BY "offset"`,
      );
      expect(rows.map((r) => Number(r.offset))).toEqual(Array.from({ length: committedCount }, (_, i) => i + 1));
      expect(committedCount).toBe(8 * 20 * 2);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await drop();
    }
  });

  it('N subscribers each see every message exactly once, in offset order', async () => {
    const { schema, drop } = await freshSchema(admin, 'nsubs');
    const N = 2_000;
    try {
      await publishTopicMany(admin, 't', bodies(N), { schema });
      const runs = ['a', 'b', 'c', 'd'].map(async (subscriber) => {
        const source = fromQueue<N>(pgTopic('t', { subscriber, start: 'beginning', connection: PG_URL, schema }), {
          maxInFlight: 100,
        });
        const got = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === N);
        await source.stop();
        return got.map((m) => m.body.n);
      });
      for (const seen of await Promise.all(runs)) expect(seen).toEqual(bodies(N).map((b) => b.n));
      for (const s of ['a', 'b', 'c', 'd']) expect(await committed(schema, 't', s)).toBe(N);
    } finally {
      await drop();
    }
  });

  it('out-of-order acks commit only the contiguous settled prefix', async () => {
    const { schema, drop } = await freshSchema(admin, 'ooo');
    try {
      await publishTopicMany(admin, 'o', bodies(10), { schema });
      const session = await pgTopic('o', { subscriber: 's', start: 'beginning', connection: PG_URL, schema }).open({
        maxInFlight: 10,
        lost: () => undefined,
        logger: silentLogger,
        inFlight: 0,
        settled: () => Promise.resolve(),
      });
      const ds = await session.receive(10);
      expect(ds.map((d) => d.offset)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
      const byOffset = new Map(ds.map((d) => [d.offset, d] as const));
      const at = (o: string): PgDelivery => byOffset.get(o) as PgDelivery;
      await Promise.all(['1', '2', '4', '5', '6', '7', '8', '9', '10'].map(async (o) => session.ack(at(o))));
      expect(await committed(schema, 'o', 's')).toBe(2);
      await session.ack(at('3'));
      expect(await committed(schema, 'o', 's')).toBe(10);
      await session.close();
    } finally {
      await drop();
    }
  });

  it('several consumers of one subscriber share its stream without handling a message twice', async () => {
    const { schema, drop } = await freshSchema(admin, 'share');
    const N = 3_000;
    try {
      await publishTopicMany(admin, 's', bodies(N), { schema });
      const seen: number[][] = [[], [], []];
      const stops = seen.map(() => new Subject<void>());
      const runs = seen.map((list, i) => {
        const source = fromQueue<N>(pgTopic('s', { subscriber: 'x', start: 'beginning', connection: PG_URL, schema }), {
          maxInFlight: 50,
          stop: stops[i] as Subject<void>,
        });
        return new Promise<void>((resolve) =>
          source
            .pipe(
              handle(
                async (m: Message<N>) => {
                  await pause(Math.random() * 2);
                  list.push(m.body.n);
                },
                { concurrency: 16 },
              ),
              ack(),
            )
            .subscribe({ complete: resolve }),
        );
      });
      await until(async () => seen.flat().length >= N, { what: 'all handled', timeoutMs: 30_000 });
      for (const s of stops) s.next();
      await Promise.all(runs);
      const all = seen.flat();
      expect(all.length).toBe(N);
      expect(new Set(all).size).toBe(N);
      expect(seen.filter((l) => l.length > 0).length).toBeGreaterThanOrEqual(2);
      expect(await committed(schema, 's', 'x')).toBe(N);
    } finally {
      await drop();
    }
  });

  it('a new subscriber starts at the end or at the beginning, as asked', async () => {
    const { schema, drop } = await freshSchema(admin, 'start');
    try {
      await publishTopicMany(admin, 'st', bodies(5), { schema });
      const fromEnd = fromQueue<N>(pgTopic('st', { subscriber: 'late', connection: PG_URL, schema, pollMs: 100 }));
      const fromStart = fromQueue<N>(
        pgTopic('st', { subscriber: 'early', start: 'beginning', connection: PG_URL, schema, pollMs: 100 }),
      );
      const late = collectUntil(fromEnd.pipe(tap((m) => void m.ack())), (ms) => ms.length === 1);
      const early = collectUntil(fromStart.pipe(tap((m) => void m.ack())), (ms) => ms.length === 6);
      await until(async () => (await subscriberOffsets({ connection: admin, topic: 'st', schema })).length === 2, {
        timeoutMs: 20_000,
      });
      await publishTopic(admin, 'st', { n: 99 }, { schema });
      expect((await late).map((m) => m.body.n)).toEqual([99]);
      expect((await early).map((m) => m.body.n)).toEqual([0, 1, 2, 3, 4, 99]);
      await Promise.all([fromEnd.stop(), fromStart.stop()]);
    } finally {
      await drop();
    }
  });

  it('reset replays one subscriber from an offset or a timestamp, or every subscriber of the topic', async () => {
    const { schema, drop } = await freshSchema(admin, 'reset');
    const read = async (subscriber: string, count: number): Promise<number[]> => {
      const source = fromQueue<N>(pgTopic('r', { subscriber, start: 'beginning', connection: PG_URL, schema }));
      const got = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === count);
      await source.stop();
      return got.map((m) => m.body.n);
    };
    try {
      await publishTopicMany(admin, 'r', bodies(10), { schema });
      await pause(20);
      const middle = Date.now();
      await pause(20);
      await publishTopicMany(admin, 'r', bodies(10, 10), { schema });
      expect(await read('a', 20)).toHaveLength(20);
      expect(await read('b', 20)).toHaveLength(20);
      expect(
        await resetSubscriber({ connection: admin, schema, topic: 'r', subscriber: 'a', to: { offset: 16 } }),
      ).toBe('16');
      expect(await read('a', 5)).toEqual([15, 16, 17, 18, 19]);
      expect(await committed(schema, 'r', 'b')).toBe(20);
      await resetSubscriber({ connection: PG_URL, schema, topic: 'r', subscriber: 'a', to: { timestamp: middle } });
      expect(await read('a', 10)).toEqual(bodies(10, 10).map((b) => b.n));
      await resetSubscriber({ connection: admin, schema, topic: 'r', to: 'beginning' });
      expect(await committed(schema, 'r', 'a')).toBe(0);
      expect(await committed(schema, 'r', 'b')).toBe(0);
      expect(await read('b', 20)).toEqual(bodies(20).map((b) => b.n));
    } finally {
      await drop();
    }
  });

  it('retention deletes what every subscriber has passed, or what is older than maxAgeMs', async () => {
    const { schema, drop } = await freshSchema(admin, 'prune');
    try {
      await publishTopicMany(admin, 'p', bodies(10), { schema });
      await resetSubscriber({ connection: admin, schema, topic: 'p', subscriber: 'fast', to: { offset: 8 } });
      await resetSubscriber({ connection: admin, schema, topic: 'p', subscriber: 'slow', to: { offset: 4 } });
      expect(await pruneTopic({ connection: admin, schema, topic: 'p' })).toBe(3);
      const left = async (): Promise<number[]> =>
        (await admin.query(`SELECT "offset" FROM "${schema}".messages ORDER BY 1`)).rows.map((r: { offset: string }) =>
          Number(r.offset),
        );
      expect(await left()).toEqual([4, 5, 6, 7, 8, 9, 10]);
      await pause(30);
      await publishTopic(admin, 'p', { n: 10 }, { schema });
      expect(await pruneTopic({ connection: admin, schema, topic: 'p', passedByAll: false, maxAgeMs: 25 })).toBe(7);
      expect(await left()).toEqual([11]);
      // A subscriber behind the pruned range goes on from what is left.
      const source = fromQueue<N>(pgTopic('p', { subscriber: 'slow', connection: PG_URL, schema }));
      const got = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 1);
      expect(got.map((m) => m.body.n)).toEqual([10]);
      await source.stop();
    } finally {
      await drop();
    }
  });

  it("a dead consumer's range is taken over when its lease ends, with attempt + 1", async () => {
    const { schema, drop } = await freshSchema(admin, 'takeover');
    try {
      await publishTopicMany(admin, 'k', bodies(5), { schema });
      const opts = {
        subscriber: 's',
        start: 'beginning' as const,
        connection: PG_URL,
        schema,
        leaseMs: 400,
        pollMs: 50,
      };
      const dying = await pgTopic('k', opts).open({
        maxInFlight: 3,
        lost: () => undefined,
        logger: silentLogger,
        inFlight: 0,
        settled: () => Promise.resolve(),
      });
      const first = await dying.receive(3);
      expect(first.map((d) => d.offset)).toEqual(['1', '2', '3']);
      if (first[0]) await dying.ack(first[0]);
      // The consumer stops renewing (as a dead one would): its lease runs out.
      await admin.query(`UPDATE "${schema}".claims SET owner = 'dead', expires_at = now() - interval '1 second'`);
      const source = fromQueue<N>(pgTopic('k', opts));
      const got = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 4);
      expect(got.map((m) => [m.body.n, m.attempt])).toEqual([
        [1, 2],
        [2, 2],
        [3, 1],
        [4, 1],
      ]);
      await source.stop();
      expect(await committed(schema, 'k', 's')).toBe(5);
      await dying.release?.(first.slice(1));
      await dying.close();
    } finally {
      await drop();
    }
  });
  it('a graceful stop under load settles everything in flight and commits it; the next consumer goes on from there', async () => {
    const { schema, drop } = await freshSchema(admin, 'tgrace');
    const N = 5_000;
    try {
      await publishTopicMany(admin, 'g', bodies(N), { schema });
      const opts = { subscriber: 's', start: 'beginning' as const, connection: PG_URL, schema };
      const {
        handled,
        snapshot: snap,
        rest,
      } = await gracefulStop({
        connector: () => pgTopic('g', opts),
        total: N,
        stopAfter: 1_000,
        maxInFlight: 128,
        concurrency: 64,
      });
      expect(snap).toMatchObject({ inFlight: 0, released: 0, acked: handled.length });
      // Everything handled was settled and committed: the committed offset is the count.
      expect(await committed(schema, 'g', 's')).toBe(handled.length);
      expect(new Set(handled)).toEqual(new Set(bodies(handled.length).map((b) => b.n)));
      const second = await rest({ maxInFlight: 256 });
      expect(second.map((m) => m.body.n)).toEqual(bodies(N - handled.length, handled.length).map((b) => b.n));
    } finally {
      await drop();
    }
  });
  it('reconnects by itself when its connections are terminated (pg_terminate_backend), loses nothing, commits to the end', async () => {
    const { schema, drop } = await freshSchema(admin, 'tterm');
    const N = 3_000;
    const topic = `term_${Math.random().toString(36).slice(2, 8)}`;
    try {
      await publishTopicMany(admin, topic, bodies(N), { schema });
      const stop = new Subject<void>();
      const source = fromQueue<N>(
        pgTopic(topic, {
          subscriber: 's',
          start: 'beginning',
          connection: PG_URL,
          schema,
          leaseMs: 1_000,
          pollMs: 100,
        }),
        { maxInFlight: 64, stop, reconnect: { initialMs: 20, maxMs: 200 } },
      );
      const statuses: string[] = [];
      source.status$.subscribe((e) => statuses.push(e.status));
      const seen = new Set<number>();
      const terminated: number[] = [];
      const finished = new Promise<void>((resolve) =>
        source
          .pipe(
            handle(
              async (m: Message<N>) => {
                await pause(Math.random());
                seen.add(m.body.n);
                if ((seen.size === 500 || seen.size === 1_500) && terminated.length < 2)
                  terminated.push(await terminate(admin, `rxq:${topic}`));
              },
              { concurrency: 16 },
            ),
            ack(),
          )
          .subscribe({ complete: resolve }),
      );
      try {
        await until(async () => seen.size === N && (await committed(schema, topic, 's')) === N, {
          what: 'all committed',
          timeoutMs: 30_000,
        });
      } finally {
        stop.next();
        await finished;
      }
      expect(terminated).toHaveLength(2);
      expect(terminated.every((n) => n >= 1)).toBe(true);
      expect(statuses.filter((x) => x === 'connected').length).toBeGreaterThanOrEqual(2);
    } finally {
      await drop();
    }
  });
});
