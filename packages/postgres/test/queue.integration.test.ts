import { ack, fromQueue, handle, silentLogger, type Message } from '@rxq/core';
import { collectUntil, gracefulStop, until } from '@rxq/core/testing';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { Subject, tap } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, pgQueue, publish, publishMany, publishTopic } from '../src/index.js';
import { adminPool, dropSchema, freshSchema, terminate, uniqueSchema, PG_URL } from './helpers.js';

const admin = adminPool();
afterAll(() => admin.end());

interface N {
  n: number;
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const count = async (schema: string, where = 'true'): Promise<number> =>
  Number((await admin.query(`SELECT count(*) AS c FROM "${schema}".jobs WHERE ${where}`)).rows[0].c);

describe('pgQueue', { timeout: 60_000 }, () => {
  it('migrate() is idempotent and safe from several processes at once', async () => {
    const schema = uniqueSchema('mig');
    const pools = Array.from({ length: 6 }, () => new pg.Pool({ connectionString: PG_URL, max: 1 }));
    try {
      await Promise.all(pools.map((pool) => migrate({ connection: pool, schema })));
      await migrate({ connection: PG_URL, schema });
      const { rows } = await admin.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
        [schema],
      );
      expect(rows.map((r: { table_name: string }) => r.table_name)).toEqual([
        'claims',
        'dead_letters',
        'jobs',
        'messages',
        'schema_version',
        'subscribers',
        'topics',
      ]);
      expect((await admin.query(`SELECT version FROM "${schema}".schema_version`)).rows).toEqual([{ version: 1 }]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await dropSchema(admin, schema);
    }
  });

  it('publish joins the caller’s transaction: a rollback publishes nothing, a commit wakes the consumer', async () => {
    const { schema, drop } = await freshSchema(admin, 'outbox');
    try {
      const client = await admin.connect();
      try {
        await client.query('BEGIN');
        await publish(client, 'outbox', { n: 1 }, { schema });
        await client.query('ROLLBACK');
        await client.query('BEGIN');
        await publish(client, 'outbox', { n: 2 }, { schema, headers: { traceparent: '00-abc-def-01' } });
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      const source = fromQueue<N>(pgQueue('outbox', { connection: PG_URL, schema }));
      const got = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 1);
      expect(got.map((m) => m.body.n)).toEqual([2]);
      expect(got[0]?.headers.traceparent).toBe('00-abc-def-01');
      await source.stop();
      await until(async () => (await count(schema)) === 0, { what: 'acked message deleted', timeoutMs: 5_000 });
    } finally {
      await drop();
    }
  });

  it('wakes on NOTIFY, not on the poll interval', async () => {
    const { schema, drop } = await freshSchema(admin, 'notify');
    try {
      const source = fromQueue<N>(pgQueue('n', { connection: PG_URL, schema, pollMs: 20_000 }));
      const stamps: number[] = [];
      const done = collectUntil(
        source.pipe(tap((m) => void (stamps.push(Date.now() - m.body.n), m.ack()))),
        (ms) => ms.length === 3,
      );
      await until(async () => source.metrics.snapshot() !== undefined && (await listening(schema)), {
        what: 'listening',
      });
      for (let i = 0; i < 3; i++) {
        await publish(admin, 'n', { n: Date.now() }, { schema });
        await pause(50);
      }
      await done;
      await source.stop();
      // Each arrived long before the 20 s poll would have found it.
      for (const latency of stamps) expect(latency).toBeLessThan(5_000);
    } finally {
      await drop();
    }
  });

  it('a publish without NOTIFY (notify: false) is found by the poll', async () => {
    const { schema, drop } = await freshSchema(admin, 'nonotify');
    try {
      const source = fromQueue<N>(pgQueue('nn', { connection: PG_URL, schema, pollMs: 300 }));
      const got = collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 2);
      await until(async () => listening(schema), { what: 'listening' });
      await publish(admin, 'nn', { n: 1 }, { schema, notify: false });
      await publishTopic(admin, 'unrelated', { n: 0 }, { schema, notify: false });
      await publish(admin, 'nn', { n: 2 }, { schema, notify: false });
      expect((await got).map((m) => m.body.n)).toEqual([1, 2]);
      await source.stop();
      await expect(publish(admin, 'nn', 1, { schema, notify: 'yes' as never })).rejects.toThrow(/notify/);
    } finally {
      await drop();
    }
  });

  it('holds back a delayed message until its time', async () => {
    const { schema, drop } = await freshSchema(admin, 'delay');
    try {
      const at = Date.now();
      await publish(admin, 'd', { n: 1 }, { schema, delayMs: 600 });
      const source = fromQueue<N>(pgQueue('d', { connection: PG_URL, schema, pollMs: 5_000 }));
      await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 1);
      const waited = Date.now() - at;
      await source.stop();
      expect(waited).toBeGreaterThanOrEqual(550);
      // Found by the next due time, not by the 5 s poll.
      expect(waited).toBeLessThan(4_000);
    } finally {
      await drop();
    }
  });

  it('a live consumer renews its lease while the handler runs: no other consumer gets the message', async () => {
    const { schema, drop } = await freshSchema(admin, 'lease');
    try {
      await publish(admin, 'l', { n: 1 }, { schema });
      const opts = { connection: PG_URL, schema, leaseMs: 400, pollMs: 50 };
      const slow = fromQueue<N>(pgQueue('l', opts));
      let started!: () => void;
      const handling = new Promise<void>((r) => (started = r));
      const records = collectUntil(
        slow.pipe(
          handle(async () => {
            started();
            await pause(1_500);
          }),
          ack(),
        ),
        (rs) => rs.length === 1,
      );
      await handling;
      // A second consumer polls every 50 ms through more than three lease lengths.
      const other = fromQueue<N>(pgQueue('l', opts));
      const seenByOther: number[] = [];
      const sub = other.pipe(tap((m) => void (seenByOther.push(m.body.n), m.ack()))).subscribe();
      expect((await records)[0]).toMatchObject({ settlement: 'acked', attempt: 1 });
      expect(seenByOther).toEqual([]);
      sub.unsubscribe();
      await Promise.all([slow.stop(), other.stop()]);
    } finally {
      await drop();
    }
  });

  it("a dead consumer's lease ends and its message comes back with attempt + 1", async () => {
    const { schema, drop } = await freshSchema(admin, 'dead');
    try {
      const [id] = await publishMany(admin, 'x', [{ n: 1 }], { schema });
      // What a consumer that claimed it and died leaves behind: an owner and a lease about to end.
      await admin.query(
        `UPDATE "${schema}".jobs SET owner = 'gone-1234', locked_until = now() + interval '300 milliseconds' WHERE id = $1`,
        [id],
      );
      const source = fromQueue<N>(pgQueue('x', { connection: PG_URL, schema, pollMs: 100 }));
      const got = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 1);
      expect(got[0]?.attempt).toBe(2);
      await source.stop();
    } finally {
      await drop();
    }
  });

  it('competing consumers share the queue and no message is handled twice', async () => {
    const { schema, drop } = await freshSchema(admin, 'compete');
    const N = 3_000;
    try {
      await publishMany(
        admin,
        'c',
        Array.from({ length: N }, (_, n) => ({ n })),
        { schema },
      );
      const seen: number[][] = [[], [], []];
      const stops = [new Subject<void>(), new Subject<void>(), new Subject<void>()];
      const total = (): number => seen.reduce((a, s) => a + s.length, 0);
      const runs = seen.map((list, i) => {
        const source = fromQueue<N>(pgQueue('c', { connection: PG_URL, schema }), {
          maxInFlight: 64,
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
      await until(async () => total() >= N, { what: 'all handled', timeoutMs: 30_000 });
      for (const s of stops) s.next();
      await Promise.all(runs);
      const all = seen.flat();
      expect(all.length).toBe(N);
      expect(new Set(all).size).toBe(N);
      expect(seen.filter((s) => s.length > 0).length).toBeGreaterThanOrEqual(2);
      expect(await count(schema)).toBe(0);
    } finally {
      await drop();
    }
  });

  it('a poison corpus written by psql is dead-lettered with reason decode, and the stream goes on', async () => {
    const { schema, drop } = await freshSchema(admin, 'poison');
    try {
      const sql = `
        INSERT INTO "${schema}".jobs (queue, payload) VALUES
          ('p', convert_to('{"n": 1}', 'UTF8')),
          ('p', convert_to('{not json', 'UTF8')),
          ('p', ''::bytea),
          ('p', '\\xfffe00'::bytea),
          ('p', convert_to('{"n": 2', 'UTF8')),
          ('p', convert_to('null', 'UTF8'));
        INSERT INTO "${schema}".jobs (queue, payload, headers) VALUES
          ('p', convert_to('{"n": 3}', 'UTF8'), '{"tenant": "acme", "retries": 2, "flags": [1, 2]}');`;
      const psql = spawnSync('psql', [PG_URL, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { encoding: 'utf8' });
      expect(psql.status, psql.stderr).toBe(0);
      const source = fromQueue<N | null>(pgQueue('p', { connection: PG_URL, schema }));
      const ok = await collectUntil(
        source.pipe(
          handle((m: Message<N | null>) => m.body?.n ?? null),
          ack(),
        ),
        (rs) => rs.length === 3,
      );
      expect(ok.map((r) => r.settlement)).toEqual(['acked', 'acked', 'acked']);
      await source.stop();
      expect(source.metrics.snapshot().poison).toBe(4);
      const dead = await admin.query(
        `SELECT reason, error_message, encode(payload, 'hex') AS hex FROM "${schema}".dead_letters ORDER BY id`,
      );
      expect(dead.rows.map((r: { reason: string }) => r.reason)).toEqual(['decode', 'decode', 'decode', 'decode']);
      // The bytes are kept exactly as the producer wrote them; no body leaks into the error.
      expect(dead.rows.map((r: { hex: string }) => r.hex)).toContain('fffe00');
      for (const r of dead.rows as { error_message: string }[]) expect(r.error_message).not.toContain('not json');
      expect(await count(schema)).toBe(0);
    } finally {
      await drop();
    }
  });

  it('non-string header values from another producer are shown as JSON text and kept as stored in transport', async () => {
    const { schema, drop } = await freshSchema(admin, 'hdr');
    try {
      await admin.query(
        `INSERT INTO "${schema}".jobs (queue, payload, headers) VALUES ('h', '\\x7b7d', '{"retries": 2, "tag": "x"}')`,
      );
      const source = fromQueue(pgQueue('h', { connection: PG_URL, schema }));
      const [m] = await collectUntil(source.pipe(tap((x) => void x.nack())), (ms) => ms.length === 1);
      expect(m?.headers).toMatchObject({ retries: '2', tag: 'x' });
      await source.stop();
      // The connector's own view keeps the stored JSON values.
      const session = await pgQueue('h', { connection: PG_URL, schema }).open({
        maxInFlight: 1,
        lost: () => undefined,
        logger: silentLogger,
        inFlight: 0,
        settled: () => Promise.resolve(),
      });
      const [d] = await session.receive(1);
      expect(d?.transport).toMatchObject({ kind: 'job', headers: { retries: 2, tag: 'x' } });
      if (d) await session.ack(d);
      await session.close();
    } finally {
      await drop();
    }
  });

  it('reconnects by itself when its connections are terminated (pg_terminate_backend), and loses nothing', async () => {
    const { schema, drop } = await freshSchema(admin, 'term');
    const N = 3_000;
    const queue = `term_${Math.random().toString(36).slice(2, 8)}`;
    try {
      await publishMany(
        admin,
        queue,
        Array.from({ length: N }, (_, n) => ({ n })),
        { schema },
      );
      const stop = new Subject<void>();
      const source = fromQueue<N>(pgQueue(queue, { connection: PG_URL, schema, leaseMs: 1_000, pollMs: 100 }), {
        maxInFlight: 64,
        stop,
        reconnect: { initialMs: 20, maxMs: 200 },
      });
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
                  terminated.push(await terminate(admin, `rxq:${queue}`));
              },
              { concurrency: 16 },
            ),
            ack(),
          )
          .subscribe({ complete: resolve }),
      );
      try {
        // Every message handled and its row gone, the consumer still running: an ack cut by the
        // termination leaves its row leased, and it comes again once the lease ends.
        await until(async () => seen.size === N && (await count(schema)) === 0, {
          what: 'every message acked',
          timeoutMs: 30_000,
        });
      } finally {
        stop.next();
        await finished;
      }
      // Each time, at least the listening connection was cut.
      expect(terminated).toHaveLength(2);
      expect(terminated.every((n) => n >= 1)).toBe(true);
      expect(statuses.filter((s) => s === 'connected').length).toBeGreaterThanOrEqual(2);
    } finally {
      await drop();
    }
  });

  it('a graceful stop under load settles everything in flight; the rest stays for the next consumer', async () => {
    const { schema, drop } = await freshSchema(admin, 'grace');
    const N = 5_000;
    try {
      await publishMany(
        admin,
        'g',
        Array.from({ length: N }, (_, n) => ({ n })),
        { schema },
      );
      const {
        handled,
        snapshot: snap,
        rest,
      } = await gracefulStop({
        connector: () => pgQueue('g', { connection: PG_URL, schema }),
        total: N,
        stopAfter: 1_000,
        maxInFlight: 128,
        concurrency: 64,
      });
      expect(snap.inFlight).toBe(0);
      expect(snap.released).toBe(0);
      expect(snap.acked).toBe(handled.length);
      expect(await count(schema)).toBe(N - handled.length);
      expect(await count(schema, 'owner IS NOT NULL')).toBe(0);
      const second = await rest({ maxInFlight: 256 });
      const all = [...handled, ...second.map((m) => m.body.n)];
      expect(all.length).toBe(N);
      expect(new Set(all).size).toBe(N);
    } finally {
      await drop();
    }
  });
});

async function listening(schema: string): Promise<boolean> {
  const { rows } = await admin.query(`SELECT count(*) AS c FROM pg_stat_activity WHERE query = $1`, [
    `LISTEN "rxq_${schema}"`,
  ]);
  return Number(rows[0].c) > 0;
}
