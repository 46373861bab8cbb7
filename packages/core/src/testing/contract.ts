import { filter, firstValueFrom, Subject, tap } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixed } from '../backoff.js';
import { fromQueue, type FromQueueOptions, type QueueObservable } from '../fromQueue.js';
import type { Message } from '../message.js';
import { ack } from '../operators/ack.js';
import { handle } from '../operators/handle.js';
import { retryWithResend } from '../operators/retryWithResend.js';
import { collectAll, collectUntil } from './collect.js';
import type { ContractHarness, ContractSuiteOptions } from './harness.js';

export type { ContractHarness, ContractSuiteOptions, DeadLetterView } from './harness.js';

interface Numbered {
  n: number;
  k?: number;
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const bodies = (count: number, from = 0): Numbered[] => Array.from({ length: count }, (_, i) => ({ n: from + i }));
const ns = (messages: readonly Message<Numbered>[]): number[] => messages.map((m) => m.body.n).sort((a, b) => a - b);
const range = (count: number, from = 0): number[] => Array.from({ length: count }, (_, i) => from + i);

/**
 * The cases every rxq connector passes against its real broker: ack, nack with requeue, resend
 * with `attempt + 1`, dead-letter after `maxAttempts`, poison bodies, bounded in-flight, per-key
 * order, graceful shutdown, release on unsubscribe, and a stop that means stop after its drain
 * timeout. Call it from a connector's integration test
 * file; it declares a vitest `describe` block.
 *
 * @example
 * contractSuite({ name: 'redis reliable list', create: async () => redisHarness() });
 */
export function contractSuite(options: ContractSuiteOptions): void {
  const atLeastOnce = options.atLeastOnce ?? true;
  const ordered = options.ordered ?? true;
  const timeout = options.timeoutMs ?? 30_000;

  describe(`contract: ${options.name}`, { timeout }, () => {
    let h: ContractHarness;
    const sources: QueueObservable<Numbered>[] = [];
    beforeEach(async () => {
      h = await options.create();
    });
    // Every source stopped (its last settlements written) before the harness removes the queue.
    afterEach(async () => {
      await Promise.all(sources.splice(0).map((s) => s.stop()));
      await h.close();
    });

    /** A source on a fresh connector, stopped after the test. */
    function consumer(opts: Omit<FromQueueOptions<Numbered>, 'codec'> = {}): QueueObservable<Numbered> {
      const source = fromQueue<Numbered>(h.connector(), opts);
      sources.push(source);
      return source;
    }

    /** Consumes with a fresh connector until the sentinel arrives; returns the ns seen before it. */
    async function seenBeforeSentinel(): Promise<number[]> {
      await h.publish([{ n: -1 }]);
      const source = consumer();
      const seen = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.some((m) => m.body.n === -1));
      return ns(seen).filter((n) => n !== -1);
    }

    it('handles and acks every published message, and none comes back', async () => {
      await h.publish(bodies(100));
      const source = consumer({ maxInFlight: 32 });
      const handled: number[] = [];
      const records = await collectUntil(
        source.pipe(
          handle(
            async (m: Message<Numbered>) => {
              await pause(0);
              handled.push(m.body.n);
            },
            { concurrency: 8 },
          ),
          ack(),
        ),
        (rs) => rs.length === 100,
      );
      expect(records.every((r) => r.settlement === 'acked' && r.attempt === 1)).toBe(true);
      expect(handled.sort((a, b) => a - b)).toEqual(range(100));
      await source.stop();
      expect(source.metrics.snapshot()).toMatchObject({ received: 100, acked: 100, inFlight: 0 });
      expect(await seenBeforeSentinel()).toEqual([]);
    });

    if (atLeastOnce) {
      it('delivers a nacked message again', async () => {
        await h.publish([{ n: 7 }]);
        const source = consumer();
        let seen = 0;
        const deliveries = await collectUntil(
          source.pipe(tap((m) => void (seen++ === 0 ? m.nack() : m.ack()))),
          (ms) => ms.length === 2,
        );
        expect(deliveries.map((m) => m.body.n)).toEqual([7, 7]);
        expect(deliveries[1]?.attempt).toBeGreaterThanOrEqual(deliveries[0]?.attempt ?? 1);
        expect(await seenBeforeSentinel()).toEqual([]);
      });
    }

    it('resends a failing message with attempt + 1, then dead-letters it with its error', async () => {
      await h.publish([{ n: 1 }]);
      const source = consumer();
      const records = await collectUntil(
        source.pipe(
          handle(() => {
            throw new Error('boom');
          }),
          retryWithResend({ maxAttempts: 3 }),
          ack(),
        ),
        (rs) => rs.length === 3,
      );
      expect(records.map((r) => [r.attempt, r.settlement])).toEqual([
        [1, 'resent'],
        [2, 'resent'],
        [3, 'dead-lettered'],
      ]);
      await source.stop();
      const dead = await h.deadLetters();
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ reason: 'max-attempts', errorMessage: 'boom' });
      expect(await seenBeforeSentinel()).toEqual([]);
    });

    it('waits out the backoff delay before a resent copy comes back', async () => {
      await h.publish([{ n: 1 }]);
      const source = consumer();
      const stamps: number[] = [];
      await collectUntil(
        source.pipe(
          tap(() => stamps.push(Date.now())),
          handle((m: Message<Numbered>) => {
            if (m.attempt === 1) throw new Error('later');
          }),
          retryWithResend({ maxAttempts: 2, backoff: fixed({ delayMs: 400 }) }),
          ack(),
        ),
        (rs) => rs.length === 2,
      );
      expect((stamps[1] ?? 0) - (stamps[0] ?? 0)).toBeGreaterThanOrEqual(350);
    });

    it('dead-letters poison bodies with reason decode and goes on', async () => {
      await h.publishRaw(['{not json', '', new Uint8Array([0xff, 0xfe, 0x00])]);
      await h.publish([{ n: 1 }]);
      const source = consumer();
      const ok = await collectUntil(
        source.pipe(
          handle((m: Message<Numbered>) => m.body.n),
          ack(),
        ),
        (rs) => rs.length === 1,
      );
      expect(ok[0]?.settlement).toBe('acked');
      await source.stop();
      const dead = await h.deadLetters();
      expect(dead.map((d) => d.reason)).toEqual(['decode', 'decode', 'decode']);
      expect(source.metrics.snapshot().poison).toBe(3);
      for (const d of dead) expect(d.errorMessage ?? '').not.toContain('not json');
    });

    it('never holds more than maxInFlight unsettled messages', async () => {
      await h.publish(bodies(300));
      const source = consumer({ maxInFlight: 10 });
      let outstanding = 0;
      let peak = 0;
      const records = await collectUntil(
        source.pipe(
          tap(() => (peak = Math.max(peak, ++outstanding))),
          handle(() => pause(Math.random() * 3), { concurrency: 50 }),
          ack(),
          tap(() => outstanding--),
        ),
        (rs) => rs.length === 300,
      );
      expect(records).toHaveLength(300);
      expect(peak).toBeLessThanOrEqual(10);
      expect(peak).toBeGreaterThan(1);
      expect(source.metrics.snapshot().peakInFlight).toBeLessThanOrEqual(10);
    });

    if (ordered) {
      it('keeps per-key order under concurrency', async () => {
        await h.publish(Array.from({ length: 200 }, (_, i) => ({ n: i, k: i % 5 })));
        const source = consumer({ maxInFlight: 64 });
        const order = new Map<number, number[]>();
        await collectUntil(
          source.pipe(
            handle(
              async (m: Message<Numbered>) => {
                await pause(Math.random() * 4);
                const list = order.get(m.body.k ?? -1) ?? [];
                list.push(m.body.n);
                order.set(m.body.k ?? -1, list);
              },
              { concurrency: 8, key: (m) => m.body.k },
            ),
            ack(),
          ),
          (rs) => rs.length === 200,
        );
        expect([...order.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
        for (const list of order.values()) expect(list).toEqual([...list].sort((a, b) => a - b));
      });
    }

    it('drains in-flight messages on a graceful stop: nothing lost, nothing finished comes back', async () => {
      await h.publish(bodies(100));
      const stop = new Subject<void>();
      const source = consumer({ maxInFlight: 20, stop });
      let acked = 0;
      const done = collectAll(
        source.pipe(
          handle(
            async (m: Message<Numbered>) => {
              await pause(10);
              return m.body.n;
            },
            { concurrency: 10 },
          ),
          ack(),
          tap((r) => {
            if (r.settlement === 'acked' && ++acked === 30) stop.next();
          }),
        ),
      );
      const records = await done;
      const snapshot = source.metrics.snapshot();
      expect(snapshot.inFlight).toBe(0);
      expect(snapshot.released).toBe(0);
      expect(records).toHaveLength(snapshot.received);
      expect(snapshot.received).toBeLessThan(100);
      // What was not consumed is still there, and what was acked is not.
      const firstRun = new Set(records.map((r) => r.id));
      expect(firstRun.size).toBe(records.length);
      const rest = consumer();
      const second = await collectUntil(
        rest.pipe(tap((m) => void m.ack())),
        (ms) => ms.length === 100 - records.length,
      );
      await rest.stop();
      const all = [...second.map((m) => m.body.n)];
      expect(new Set(all).size).toBe(all.length);
      expect(await seenBeforeSentinel()).toEqual([]);
    });

    it('releases unsettled messages on unsubscribe, and after a drain timeout', async () => {
      await h.publish(bodies(10));
      const stop = new Subject<void>();
      const source = consumer({ maxInFlight: 5, stop, drainTimeoutMs: 100 });
      const closed = firstValueFrom(source.status$.pipe(filter((s) => s.status === 'closed')));
      // Five arrive and are never settled; a stop then has to release them after its drain timeout.
      const held = await collectUntil(source, (ms) => {
        if (ms.length === 5) stop.next();
        return false;
      });
      await closed;
      expect(held).toHaveLength(5);
      expect(source.metrics.snapshot()).toMatchObject({ released: 5, acked: 0, inFlight: 0 });
      // Unsubscribing releases too.
      const again = consumer({ maxInFlight: 3 });
      const firstThree = await collectUntil(again, (ms) => ms.length === 3);
      expect(firstThree).toHaveLength(3);
      // All ten are still there to consume.
      const last = consumer();
      const all = await collectUntil(last.pipe(tap((m) => void m.ack())), (ms) => new Set(ns(ms)).size === 10);
      expect([...new Set(ns(all))]).toEqual(range(10));
      expect(held.every((m) => m.settlement === 'released')).toBe(true);
    });

    if (atLeastOnce) {
      it('a stop means stop: after drainTimeoutMs no handler starts on a released message, running ones are aborted, nothing is lost', async () => {
        await h.publish(bodies(20));
        const stop = new Subject<void>();
        const drainTimeoutMs = 300;
        const closeTimeoutMs = 5_000;
        const source = consumer({ maxInFlight: 10, stop, drainTimeoutMs, closeTimeoutMs });
        let letGo: () => void = () => undefined;
        const hang = new Promise<void>((resolve) => (letGo = resolve));
        const started: number[] = [];
        const signals: AbortSignal[] = [];
        const records = collectAll(
          source.pipe(
            handle(
              async (m: Message<Numbered>, { signal }) => {
                started.push(m.body.n);
                signals.push(signal);
                await hang; // ignores its signal: the worst case
              },
              { concurrency: 2 },
            ),
            ack(),
          ),
        );
        await firstValueFrom(source.metrics.observe(5).pipe(filter((s) => s.inFlight === 10 && started.length === 2)));
        const stoppedAt = performance.now();
        stop.next();
        expect(await records).toEqual([]);
        // Within the drain plus a bounded close, never waiting for the handlers that still hang.
        expect(performance.now() - stoppedAt).toBeLessThan(drainTimeoutMs + closeTimeoutMs);
        expect(started).toHaveLength(2);
        expect(signals.every((s) => s.aborted)).toBe(true);
        expect(source.metrics.snapshot().inFlight).toBe(0);
        letGo();
        await pause(0);
        expect(started).toHaveLength(2); // letting them go starts nothing more
        const last = consumer();
        const all = await collectUntil(last.pipe(tap((m) => void m.ack())), (ms) => new Set(ns(ms)).size === 20);
        await last.stop();
        expect([...new Set(ns(all))]).toEqual(range(20));
      });
    }
  });
}
