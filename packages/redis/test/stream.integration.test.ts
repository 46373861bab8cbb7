import { fromQueue, InvalidOptionError } from '@rxq/core';
import { collectUntil, gracefulStop } from '@rxq/core/testing';
import { filter, firstValueFrom, Subject, tap } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { redisStream, publishToStream } from '../src/index.js';
import { cleanup, client, consumeKillingConnections, uniqueName, URL } from './helpers.js';

interface Numbered {
  n: number;
}

const admin = client();
afterAll(() => admin.quit());
let s = '';
afterEach(() => cleanup(admin, s));

async function fill(stream: string, count: number): Promise<void> {
  const p = admin.pipeline();
  for (let i = 0; i < count; i++) p.xadd(stream, '*', 'body', JSON.stringify({ n: i }));
  await p.exec();
}
const pendingCount = async (stream: string, group: string): Promise<number> =>
  ((await admin.xpending(stream, group)) as [number])[0];

describe('redis stream', () => {
  it('turns other fields into headers and reads the attempt field', async () => {
    s = uniqueName('xheaders');
    await publishToStream(admin, s, { n: 1 }, { headers: { tenant: 'acme' } });
    await publishToStream(admin, s, { n: 2 }, { attempt: 3, bodyField: 'payload' });
    const source = fromQueue<Numbered>(redisStream(s, { group: 'g', connection: URL, bodyField: 'payload' }));
    const got = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 1);
    await source.stop();
    // The first has no `payload` field: it fails to decode and is dead-lettered by the engine.
    expect(got.map((m) => [m.body.n, m.attempt])).toEqual([[2, 3]]);
    expect(source.metrics.snapshot().poison).toBe(1);
  });

  it('counts a reclaimed entry’s deliveries as its attempt', async () => {
    s = uniqueName('xclaim');
    await publishToStream(admin, s, { n: 1 });
    await admin.xgroup('CREATE', s, 'g', '0');
    // Another consumer reads it and never acks (it died).
    await admin.xreadgroup('GROUP', 'g', 'dead', 'COUNT', 1, 'STREAMS', s, '>');
    const source = fromQueue<Numbered>(redisStream(s, { group: 'g', connection: URL, minIdleMs: 100, blockMs: 100 }));
    const [m] = await collectUntil(source.pipe(tap((x) => void x.ack())), (ms) => ms.length === 1);
    await source.stop();
    expect(m?.attempt).toBe(2);
    expect(await pendingCount(s, 'g')).toBe(0);
  });

  it("starts after the existing entries with start: 'new'", async () => {
    s = uniqueName('xnew');
    await publishToStream(admin, s, { n: 1 });
    const source = fromQueue<Numbered>(redisStream(s, { group: 'late', connection: URL, start: 'new', blockMs: 100 }));
    const got = collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 1);
    // The group exists once the source is connected; then a new entry arrives.
    await firstValueFrom(source.status$.pipe(filter((e) => e.status === 'connected')));
    await publishToStream(admin, s, { n: 2 });
    expect((await got).map((m) => m.body.n)).toEqual([2]);
    await source.stop();
  });

  it('reconnects by itself when the server drops its connections, and loses nothing', async () => {
    s = uniqueName('xconnloss');
    await fill(s, 3_000);
    const stop = new Subject<void>();
    const source = fromQueue<Numbered>(redisStream(s, { group: 'g', connection: URL, minIdleMs: 500, blockMs: 200 }), {
      maxInFlight: 64,
      stop,
    });
    const { seen, killed, statuses } = await consumeKillingConnections(source, stop, admin, `rxq:${s}`, 3_000);
    expect(killed).toBe(2);
    expect(statuses).toContain('reconnecting');
    expect(seen.size).toBe(3_000);
  });

  it('drains under load on a graceful stop and leaves nothing pending', async () => {
    const stream = (s = uniqueName('xshutdown'));
    await fill(stream, 1_000);
    const { handled, snapshot } = await gracefulStop({
      connector: () => redisStream(stream, { group: 'g', connection: URL }),
      total: 1_000,
      stopAfter: 300,
      maxInFlight: 64,
      concurrency: 32,
    });
    expect(snapshot).toMatchObject({ inFlight: 0, acked: handled.length, released: 0 });
    expect(await pendingCount(stream, 'g')).toBe(0);
  });

  it('rejects invalid options at construction', () => {
    s = uniqueName('xnoop');
    expect(() => redisStream(s, { group: '' })).toThrow(InvalidOptionError);
    expect(() => redisStream(s, { group: 'g', start: 'middle' as 'new' })).toThrow(/start/);
    expect(() => redisStream(s, { group: 'g', minIdleMs: 0 })).toThrow(/minIdleMs/);
  });
});
