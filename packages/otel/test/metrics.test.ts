import { ack, codec, fromQueue, handle, retryWithResend, silentLogger, type Message } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { amqp } from '@rxq/amqp';
import { memory, MemoryQueue } from '@rxq/memory';
import { redis } from '@rxq/redis';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { merge } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { instrumentMetrics } from '../src/index.js';
import { meterWithReader } from './metricReader.js';

/** Numbers pass; the string 'bad' is a body the codec cannot read (poison). */
const numbers = codec<number>({
  name: 'numbers',
  decode: (value) => {
    if (typeof value !== 'number') throw new Error('not a number');
    return value;
  },
});

describe('instrumentMetrics', () => {
  it('counts of a known run, two merged sources of one queue summed into one series, another queue apart', async () => {
    const { meter, points, shutdown } = meterWithReader();
    const orders = new MemoryQueue<number | string>();
    const invoices = new MemoryQueue<number | string>();
    orders.pushMany(Array.from({ length: 20 }, (_, n) => n));
    orders.push('bad');
    invoices.pushMany([100, 101, 102]);
    const options = { codec: numbers, logger: silentLogger, maxInFlight: 4 };
    const a = fromQueue(memory(orders, { name: 'orders', pollMs: 10 }), options);
    const b = fromQueue(memory(orders, { name: 'orders', pollMs: 10 }), options);
    const c = fromQueue(memory(invoices, { name: 'invoices', pollMs: 10 }), options);
    const m = instrumentMetrics([a, b, { source: c, system: 'billing' }], { meter, system: 'shop' });
    // Multiples of 5 fail every attempt: resent once, then dead-lettered (4 of them).
    const records = await collectUntil(
      merge(a, b, c).pipe(
        handle(
          (msg: Message<number>) => {
            if (msg.body % 5 === 0 && msg.body < 100) throw new RangeError('multiple of five');
          },
          { concurrency: 4 },
        ),
        retryWithResend({ maxAttempts: 2 }),
        ack(),
        m.record,
      ),
      (rs) => rs.filter((r) => r.settlement !== 'resent').length === 23,
    );
    expect(records).toHaveLength(27);

    const value = async (name: string, destination: string) => {
      const found = (await points(name)).filter((p) => p.attributes['messaging.destination.name'] === destination);
      expect(found).toHaveLength(1); // one series, whatever the number of sources behind it
      return found[0]!;
    };
    const ordersAttrs = { 'messaging.system': 'shop', 'messaging.destination.name': 'orders' };
    expect((await value('messaging.client.consumed.messages', 'orders')).value).toBe(24);
    expect((await value('messaging.client.consumed.messages', 'orders')).attributes).toEqual(ordersAttrs);
    expect((await value('rxq.messages.acked', 'orders')).value).toBe(16);
    expect((await value('rxq.messages.resent', 'orders')).value).toBe(4);
    expect((await value('rxq.messages.dead_lettered', 'orders')).value).toBe(5);
    expect((await value('rxq.messages.poison', 'orders')).value).toBe(1);
    expect((await value('rxq.messages.released', 'orders')).value).toBe(0);
    expect((await value('rxq.messages.in_flight', 'orders')).value).toBe(0);
    expect((await value('rxq.reconnects', 'orders')).value).toBe(0);
    const inv = await value('messaging.client.consumed.messages', 'invoices');
    expect(inv.value).toBe(3);
    expect(inv.attributes['messaging.system']).toBe('billing');
    expect((await value('rxq.messages.acked', 'invoices')).value).toBe(3);
    // The sum over both sources of `orders` is what each source's own metrics add up to.
    expect(a.metrics.snapshot().received).toBeGreaterThan(0);
    expect(b.metrics.snapshot().received).toBeGreaterThan(0);
    expect(a.metrics.snapshot().received + b.metrics.snapshot().received).toBe(24);

    const durations = (await points('messaging.process.duration')).filter(
      (p) => p.attributes['messaging.destination.name'] === 'orders',
    );
    const ok = durations.find((p) => p.attributes['error.type'] === undefined);
    const failed = durations.find((p) => p.attributes['error.type'] === 'RangeError');
    expect((ok?.value as Histogram).count).toBe(16);
    expect((failed?.value as Histogram).count).toBe(8);
    m.close();
    await shutdown();
  });

  it('counts reconnect attempts of a source whose connection keeps failing', async () => {
    const { meter, points, shutdown } = meterWithReader();
    const { ConnectionLostError } = await import('@rxq/core');
    let opens = 0;
    const flaky = {
      name: 'flaky',
      open: () => {
        opens++;
        return Promise.reject(new ConnectionLostError('refused'));
      },
    };
    const source = fromQueue(flaky, { logger: silentLogger, reconnect: { initialMs: 1, maxMs: 2, maxRetries: 3 } });
    const m = instrumentMetrics(source, { meter });
    await new Promise<void>((resolve) => source.subscribe({ error: () => resolve() }));
    const [point] = await points('rxq.reconnects');
    expect(opens).toBe(4);
    expect(point?.value).toBe(3);
    expect(point?.attributes).toEqual({ 'messaging.system': 'rxq', 'messaging.destination.name': 'flaky' });
    m.close();
    await shutdown();
  });

  it('labels each source with the system its connector declares; an entry’s own system wins, the option fills the rest', async () => {
    const { meter, points, shutdown } = meterWithReader();
    const none = { logger: silentLogger };
    // Not subscribed: nothing connects, the sources only show who they are.
    const list = fromQueue(redis('rxq-test:otel:never-read', { connection: 'redis://127.0.0.1:6379' }), none);
    const rabbit = fromQueue(amqp('rxq.test.never-read', { connection: 'amqp://127.0.0.1:5672' }), none);
    const local = fromQueue(memory(new MemoryQueue<number>(), { name: 'local' }), none);
    const m = instrumentMetrics([list, { source: rabbit, system: 'broker-7' }, local], { meter, system: 'shop' });
    const systems = Object.fromEntries(
      (await points('rxq.messages.acked')).map((p) => [
        p.attributes['messaging.destination.name'],
        p.attributes['messaging.system'],
      ]),
    );
    expect(systems).toEqual({ 'rxq-test:otel:never-read': 'redis', 'rxq.test.never-read': 'broker-7', local: 'shop' });
    m.close();
    await shutdown();
  });

  it('rejects an unknown option and a value that is not a source', () => {
    const source = fromQueue(memory(new MemoryQueue<number>()), { logger: silentLogger });
    expect(() => instrumentMetrics(source, { metre: 1 } as never)).toThrow(/metre.*meter/);
    expect(() => instrumentMetrics([{}] as never)).toThrow(/sources/);
  });
});
