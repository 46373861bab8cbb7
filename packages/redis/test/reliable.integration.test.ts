import { ack, fromQueue, handle, HEADERS, InvalidOptionError, type Message } from '@rxq/core';
import { collectUntil, gracefulStop, until } from '@rxq/core/testing';
import { Subject, tap } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { publish, readListEntry, redis } from '../src/index.js';
import { cleanup, client, consumeKillingConnections, uniqueName, URL } from './helpers.js';

interface Numbered {
  n: number;
}

const admin = client();
afterAll(() => admin.quit());
let q = '';
afterEach(() => cleanup(admin, q));
const processingLists = async (queue: string): Promise<string[]> =>
  (await admin.scan('0', 'MATCH', `${queue}:processing:*`, 'COUNT', 10_000))[1];

async function fill(queue: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 10_000) {
    const p = admin.pipeline();
    for (let j = i; j < Math.min(count, i + 10_000); j += 1_000)
      p.rpush(queue, ...Array.from({ length: Math.min(1_000, count - j) }, (_, k) => JSON.stringify({ n: j + k })));
    await p.exec();
  }
}

describe('redis reliable list', () => {
  it('never has more than maxInFlight unsettled with a backlog of 200k', async () => {
    q = uniqueName('bounded');
    await fill(q, 200_000);
    const source = fromQueue<Numbered>(redis(q, { connection: URL }), { maxInFlight: 100 });
    let outstanding = 0;
    let peak = 0;
    let peakProcessing = 0;
    const records = await collectUntil(
      source.pipe(
        tap(() => (peak = Math.max(peak, ++outstanding))),
        handle(
          async (m: Message<Numbered>) => {
            if (m.body.n % 500 === 0) {
              const lists = await processingLists(q);
              const lengths = await Promise.all(lists.map((l) => admin.llen(l)));
              peakProcessing = Math.max(peakProcessing, ...lengths);
            }
          },
          { concurrency: 50 },
        ),
        ack(),
        tap(() => outstanding--),
      ),
      (rs) => rs.length >= 5_000,
    );
    await source.stop();
    expect(records.length).toBeGreaterThanOrEqual(5_000);
    expect(peak).toBeLessThanOrEqual(100);
    expect(peak).toBeGreaterThan(50);
    expect(source.metrics.snapshot().peakInFlight).toBeLessThanOrEqual(100);
    expect(peakProcessing).toBeLessThanOrEqual(100);
    expect(await admin.llen(q)).toBe(200_000 - source.metrics.snapshot().acked);
  });

  it('recovers the processing list of a consumer whose heartbeat is gone, with attempt + 1', async () => {
    q = uniqueName('recover');
    // A consumer that died: registered, a processing list, no heartbeat key.
    await admin.sadd(`${q}:consumers`, 'dead-one');
    await admin.rpush(`${q}:processing:dead-one`, JSON.stringify({ n: 1 }));
    await publish(admin, `${q}:processing:dead-one`, { n: 2 }, { attempt: 3, headers: { trace: 't-2' } });
    const source = fromQueue<Numbered>(redis(q, { connection: URL }));
    const got = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 2);
    expect(got.map((m) => [m.body.n, m.attempt])).toEqual([
      [1, 2],
      [2, 4],
    ]);
    expect(got[1]?.headers.trace).toBe('t-2');
    await source.stop();
    expect(await admin.exists(`${q}:processing:dead-one`)).toBe(0);
    expect(await admin.sismember(`${q}:consumers`, 'dead-one')).toBe(0);
  });

  it('reads attempt and headers from an envelope, and plain payloads as attempt 1', async () => {
    q = uniqueName('envelope');
    await publish(admin, q, { n: 1 });
    await publish(admin, q, { n: 2 }, { attempt: 4, headers: { tenant: 'acme' } });
    expect(readListEntry((await admin.lrangeBuffer(q, 0, 0))[0]!).headers).toBeUndefined();
    const source = fromQueue<Numbered>(redis(q, { connection: URL }));
    const got = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 2);
    await source.stop();
    expect(got.map((m) => [m.body.n, m.attempt, m.headers.tenant])).toEqual([
      [1, 1, undefined],
      [2, 4, 'acme'],
    ]);
    expect(got[1]?.headers[HEADERS.attempt]).toBe('4');
  });

  it('drains under load on a graceful stop and leaves nothing in a processing list', async () => {
    const queue = (q = uniqueName('shutdown'));
    await fill(queue, 2_000);
    const { handled, snapshot } = await gracefulStop({
      connector: () => redis(queue, { connection: URL }),
      total: 2_000,
      stopAfter: 500,
      maxInFlight: 64,
      concurrency: 32,
    });
    expect(snapshot.inFlight).toBe(0);
    expect(snapshot.acked).toBe(handled.length);
    expect(handled.length).toBeGreaterThanOrEqual(500);
    expect(await processingLists(queue)).toEqual([]);
    const left = (await admin.lrange(queue, 0, -1)).map((s) => (JSON.parse(s) as Numbered).n);
    expect(left.length + handled.length).toBe(2_000);
    expect(new Set([...left, ...handled]).size).toBe(2_000);
  });

  it('reconnects by itself when the server drops its connections, and loses nothing', async () => {
    q = uniqueName('connloss');
    await fill(q, 3_000);
    const stop = new Subject<void>();
    const source = fromQueue<Numbered>(redis(q, { connection: URL, blockMs: 200 }), { maxInFlight: 64, stop });
    const { seen, killed, statuses } = await consumeKillingConnections(source, stop, admin, `rxq:${q}`, 3_000);
    expect(killed).toBe(2);
    expect(statuses).toContain('reconnecting');
    expect(seen.size).toBe(3_000);
    // Anything left is a redelivered copy of a message already handled (at-least-once), never a lost one.
    const left = (await admin.lrange(q, 0, -1)).map((s) => (JSON.parse(s) as Numbered).n);
    expect(left.length).toBeLessThanOrEqual(64);
    for (const n of left) expect(seen.has(n)).toBe(true);
    await until(async () => (await processingLists(q)).length === 0, {
      what: 'processing lists gone',
      timeoutMs: 5_000,
    });
  });

  it('uses an ioredis client the app passes, and leaves it open', async () => {
    q = uniqueName('client');
    const mine = client();
    await fill(q, 50);
    const source = fromQueue<Numbered>(redis(q, { connection: mine }));
    const got = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 50);
    await source.stop();
    expect(got.map((m) => m.body.n)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(mine.status).toBe('ready');
    expect(await mine.llen(q)).toBe(0);
    await mine.quit();
  });

  it('rejects invalid options at construction', () => {
    expect(() => redis('')).toThrow(InvalidOptionError);
    expect(() => redis('q', { blockMs: -1 })).toThrow(/blockMs/);
    expect(() => redis('q', { connection: 'http://x' })).toThrow(/connection/);
    expect(() => redis('q', { mode: 'other' as 'simple' })).toThrow(/mode/);
    q = uniqueName('noop');
  });
});
