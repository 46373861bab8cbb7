import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ack, fromQueue, handle, InvalidOptionError, NotFoundError } from '@rxq/core';
import { MemoryQueue, memory } from '@rxq/memory';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { consumerReporter } from './consumerReporter.js';
import type { ConsumerReport } from './report.js';

class CardDeclined extends Error {
  override name = 'CardDeclined';
}

describe('consumerReporter', () => {
  it('reports counters, a latency histogram of every handled message, and errors by name only', async () => {
    const queue = new MemoryQueue<{ n: number }>();
    queue.pushMany(Array.from({ length: 30 }, (_, n) => ({ n })));
    const source = fromQueue(memory(queue, { name: 'orders' }));
    const reporter = consumerReporter(source, { name: 'billing' });
    expect(reporter.report().sources[0]).toMatchObject({ name: 'orders', status: 'idle', latency: null });
    const records = await firstValueFrom(
      source.pipe(
        handle(async (msg) => {
          if (msg.body.n % 3 === 0) throw new CardDeclined(`order ${msg.body.n} of secret-customer`);
          if (msg.body.n === 1) throw new NotFoundError('no such account');
        }),
        ack({ requeue: false }),
        reporter.record,
        take(30),
        toArray(),
      ),
    );
    expect(records).toHaveLength(30);
    const report = reporter.report();
    expect(report).toMatchObject({ v: 1, name: 'billing', pid: process.pid });
    const [orders] = report.sources;
    expect(orders!.metrics).toMatchObject({ received: 30, acked: 19, deadLettered: 11 });
    expect(orders!.latency!.reduce((a, b) => a + b, 0)).toBe(30);
    expect(orders!.errors).toEqual({ CardDeclined: 10, NOT_FOUND: 1 });
    expect(JSON.stringify(report)).not.toContain('secret-customer');
    reporter.close();
  });

  it('sums sources of one name and shows the least healthy status', () => {
    const a = fromQueue(memory(new MemoryQueue<number>(), { name: 'q' }));
    const b = fromQueue(memory(new MemoryQueue<number>(), { name: 'q' }));
    const sub = a.subscribe();
    const reporter = consumerReporter([a, b]);
    const [q, ...rest] = reporter.report().sources;
    expect(rest).toEqual([]);
    expect(q!.status).toBe('idle'); // b was never subscribed
    sub.unsubscribe();
    reporter.close();
  });

  it('serves GET /rxq/consumer as JSON and nothing else', async () => {
    const queue = new MemoryQueue<number>();
    queue.pushMany([1, 2, 3]);
    const source = fromQueue(memory(queue, { name: 'served' }));
    const reporter = consumerReporter(source, { name: 'web' });
    await firstValueFrom(
      source.pipe(
        handle(async () => {}),
        ack(),
        reporter.record,
        take(3),
        toArray(),
      ),
    );
    const server = createServer(reporter.listener).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const response = await fetch(`${base}/rxq/consumer`);
      expect(response.headers.get('content-type')).toBe('application/json');
      const report = (await response.json()) as ConsumerReport;
      expect(report.sources[0]!.metrics.acked).toBe(3);
      expect((await fetch(`${base}/metrics`)).status).toBe(404);
      expect((await fetch(`${base}/rxq/consumer`, { method: 'POST' })).status).toBe(404);
    } finally {
      server.close();
      reporter.close();
    }
  });

  it('rejects what is not a source, and unknown options', () => {
    expect(() => consumerReporter([])).toThrow(InvalidOptionError);
    expect(() => consumerReporter({} as never)).toThrow(/sources/);
    const source = fromQueue(memory(new MemoryQueue<number>()));
    expect(() => consumerReporter(source, { nam: 'x' } as never)).toThrow(/nam/);
  });
});
