import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  ConnectionGaveUpError,
  ConnectionLostError,
  type Connector,
  consume,
  fixed,
  InvalidOptionError,
  type Message,
  type SettlementRecord,
} from '@rxq/core';
import { MemoryQueue, memory } from '../../src/index.js';

describe('consume', () => {
  it('handles, acks and reports every message; stop() drains what is in flight, then done resolves', async () => {
    const queue = new MemoryQueue<number>();
    queue.pushMany([1, 2, 3, 4, 5, 6]);
    const records: SettlementRecord[] = [];
    let started = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let twoRunning!: () => void;
    const running = new Promise<void>((r) => (twoRunning = r));
    const handled: number[] = [];
    const consumer = consume<number>(
      memory(queue, { pollMs: 20 }),
      async (m: Message<number>) => {
        if (m.body > 4 && ++started === 2) twoRunning();
        if (m.body > 4) await gate;
        handled.push(m.body);
      },
      { concurrency: 2, maxInFlight: 2, onSettled: (r) => records.push(r) },
    );
    await running;
    const stopped = consumer.stop();
    await firstValueFrom(consumer.status$.pipe(filter((e) => e.status === 'draining')));
    release();
    await stopped;
    await consumer.done;
    expect(handled.sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(records).toHaveLength(6);
    expect(records.every((r) => r.settlement === 'acked' && r.ok)).toBe(true);
    expect(queue.size).toBe(0);
    expect(consumer.metrics()).toMatchObject({ received: 6, acked: 6, inFlight: 0, released: 0 });
  });

  it('resends failures and dead-letters them after maxAttempts', async () => {
    const queue = new MemoryQueue<string>();
    const connector = memory(queue, { pollMs: 20 });
    queue.push('never works');
    const records: SettlementRecord[] = [];
    let deadLettered!: () => void;
    const dead = new Promise<void>((r) => (deadLettered = r));
    const consumer = consume(
      connector,
      () => {
        throw new Error('nope');
      },
      {
        maxAttempts: 2,
        backoff: fixed({ delayMs: 1 }),
        onSettled: (r) => {
          records.push(r);
          if (r.settlement === 'dead-lettered') deadLettered();
        },
      },
    );
    await dead;
    await consumer.stop();
    expect(records.map((r) => [r.attempt, r.settlement])).toEqual([
      [1, 'resent'],
      [2, 'dead-lettered'],
    ]);
    expect(await connector.deadLetters.pull({ timeoutMs: 0 })).toMatchObject({
      reason: 'max-attempts',
      error: { message: 'nope' },
    });
  });

  it('rejects done when its source gives up', async () => {
    const down: Connector = { name: 'down', open: () => Promise.reject(new ConnectionLostError('refused')) };
    const consumer = consume(down, () => undefined, { reconnect: { initialMs: 1, maxMs: 1, maxRetries: 1 } });
    await expect(consumer.done).rejects.toBeInstanceOf(ConnectionGaveUpError);
  });

  it('validates its options at once', () => {
    const connector = memory(new MemoryQueue<number>());
    expect(() => consume(connector, () => undefined, { concurrency: 0 })).toThrow(InvalidOptionError);
    expect(() => consume(connector, () => undefined, { maxAttempts: 0 })).toThrow('`maxAttempts`');
    expect(() => consume(connector, () => undefined, { maxInFlight: -1 })).toThrow('`maxInFlight`');
    expect(() => consume(connector, () => undefined, { timeoutMs: -1 })).toThrow('`timeoutMs`');
  });
});
