import { fromQueue, HEADERS } from '@rxq/core';
import { collectUntil, until } from '@rxq/core/testing';
import { tap } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readListEntry, redis, redisSimpleList } from '../src/index.js';
import { cleanup, client, uniqueName, URL } from './helpers.js';

interface Numbered {
  n: number;
}

const admin = client();
afterAll(() => admin.quit());
let q = '';
afterEach(() => cleanup(admin, q));

describe('redis simple list (at-most-once)', () => {
  it('reads several queues in one source, each message naming its queue', async () => {
    q = uniqueName('multi');
    await admin.rpush(`${q}:a`, JSON.stringify({ n: 1 }), JSON.stringify({ n: 2 }));
    await admin.rpush(`${q}:b`, JSON.stringify({ n: 3 }));
    const source = fromQueue<Numbered>(redisSimpleList([`${q}:a`, `${q}:b`], { connection: URL, blockMs: 100 }));
    const got = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 3);
    await source.stop();
    expect(got.map((m) => [m.source.slice(q.length), m.body.n]).sort()).toEqual([
      [':a', 1],
      [':a', 2],
      [':b', 3],
    ]);
  });

  it('removes a message from Redis as soon as it is read (nothing to recover on a crash)', async () => {
    q = uniqueName('amo');
    await admin.rpush(q, JSON.stringify({ n: 1 }), JSON.stringify({ n: 2 }));
    const source = fromQueue<Numbered>(redis(q, { mode: 'simple', connection: URL, blockMs: 100 }), {
      maxInFlight: 1,
    });
    const [first] = await collectUntil(source, (ms) => ms.length === 1);
    // In flight, unsettled, and already gone from the list: only the second is left.
    expect(await admin.lrange(q, 0, -1)).toEqual([JSON.stringify({ n: 2 })]);
    expect(first?.body.n).toBe(1);
    // Released on unsubscribe: pushed back to the head (best effort).
    await until(async () => (await admin.llen(q)) === 2, { what: 'released message back', timeoutMs: 5_000 });
    expect((await admin.lrange(q, 0, -1)).map((s) => (JSON.parse(s) as Numbered).n)).toEqual([1, 2]);
  });

  it('pushes a nacked message back with attempt + 1', async () => {
    q = uniqueName('requeue');
    await admin.rpush(q, JSON.stringify({ n: 7 }));
    const source = fromQueue<Numbered>(redisSimpleList(q, { connection: URL, blockMs: 100 }));
    let first = true;
    const got = await collectUntil(
      source.pipe(tap((m) => void (first ? ((first = false), m.nack()) : m.ack()))),
      (ms) => ms.length === 2,
    );
    await source.stop();
    expect(got.map((m) => m.attempt)).toEqual([1, 2]);
    expect(got[1]?.headers[HEADERS.attempt]).toBe('2');
    expect(readListEntry(Buffer.from(JSON.stringify({ n: 7 }))).headers).toBeUndefined();
  });
});
