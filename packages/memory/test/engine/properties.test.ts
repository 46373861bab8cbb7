import fc from 'fast-check';
import { defer, mergeMap, Subject, tap, throwError, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  ack,
  type Connector,
  type Delivery,
  fromQueue,
  handle,
  identity,
  type Message,
  retryWithResend,
  RxqError,
  type Session,
} from '@rxq/core';
import { MemoryQueue, memory, type MemoryConnector } from '../../src/index.js';

// Invariants of fromQueue(memory(queue)) pipelines, checked on random workloads. The spy below
// wraps the real memory session and counts, independently of fromQueue's own metrics, every
// settle call per delivery and the deliveries handed out and not yet settled.

type Op = 'ack' | 'requeue' | 'resend' | 'deadLetter' | 'release';

interface Spy {
  readonly connector: Connector;
  /** Settle calls per delivery id. */
  readonly settles: Map<string, Op[]>;
  /** Terminal settlements (ack, dead-letter) per body. */
  readonly terminal: Map<number, Op[]>;
  /** Delivered by receive and not settled yet; and its peak. */
  readonly outstanding: { now: number; peak: number };
  /** Resolves once `count` distinct bodies have a terminal settlement. */
  terminalFor(count: number): Promise<void>;
}

function spy(inner: MemoryConnector<number>): Spy {
  const settles = new Map<string, Op[]>();
  const terminal = new Map<number, Op[]>();
  const outstanding = { now: 0, peak: 0 };
  let waiter: { count: number; resolve: () => void } | undefined;
  const record = (d: Delivery, op: Op): void => {
    settles.set(d.id, [...(settles.get(d.id) ?? []), op]);
    outstanding.now--;
    if (op === 'ack' || op === 'deadLetter') {
      const body = d.payload as number;
      terminal.set(body, [...(terminal.get(body) ?? []), op]);
      if (waiter && terminal.size >= waiter.count) waiter.resolve();
    }
  };
  const connector: Connector = {
    name: inner.name,
    defaultCodec: identity,
    async open(context) {
      const s: Session = await inner.open(context);
      return {
        async receive(max) {
          const ds = await s.receive(max);
          for (const d of ds) settles.set(d.id, []);
          outstanding.now += ds.length;
          outstanding.peak = Math.max(outstanding.peak, outstanding.now);
          return ds;
        },
        ack: (d) => (record(d, 'ack'), s.ack(d)),
        requeue: (d) => (record(d, 'requeue'), s.requeue(d)),
        resend: (d, r) => (record(d, 'resend'), s.resend(d, r)),
        deadLetter: (d, r) => (record(d, 'deadLetter'), s.deadLetter(d, r)),
        release: (ds) => {
          for (const d of ds) record(d, 'release');
          return s.release ? s.release(ds) : Promise.resolve();
        },
        close: () => s.close(),
      };
    },
  };
  return {
    connector,
    settles,
    terminal,
    outstanding,
    terminalFor: (count) =>
      new Promise<void>((resolve) => {
        if (terminal.size >= count) resolve();
        else waiter = { count, resolve };
      }),
  };
}

/** How a handler treats a message; failing kinds fail on every attempt. */
const behaviours = [
  'value',
  'promise',
  'observable',
  'throw',
  'reject',
  'observable-error',
  'throw-undefined',
  'non-retryable',
  'ack-then-nack',
  'nack-first-attempt',
  'dead-letter-itself',
] as const;
type Behaviour = (typeof behaviours)[number];
const succeeding = new Set<Behaviour>(['value', 'promise', 'observable', 'ack-then-nack', 'nack-first-attempt']);

function act(behaviour: Behaviour, m: Message<number>, delayMs: number): unknown {
  const later = <V>(v: V): Promise<V> => new Promise((r) => setTimeout(() => r(v), delayMs));
  switch (behaviour) {
    case 'value':
      return m.body;
    case 'promise':
      return later(m.body);
    case 'observable':
      return timer(delayMs);
    case 'throw':
      throw new Error(`failed ${m.body}`);
    case 'reject':
      return later(0).then(() => Promise.reject(new Error('rejected')));
    case 'observable-error':
      return timer(delayMs).pipe(mergeMap(() => throwError(() => new Error('errored'))));
    case 'throw-undefined':
      throw undefined; // eslint-disable-line @typescript-eslint/only-throw-error
    case 'non-retryable':
      throw new RxqError('BAD', 'never retry', { retryable: false });
    case 'ack-then-nack':
      void m.ack();
      void m.nack();
      return later(1);
    case 'nack-first-attempt':
      if (m.attempt === 1) void m.nack();
      return 1;
    case 'dead-letter-itself':
      return defer(() => m.deadLetter('user reason'));
  }
}

const pollMs = 10;
const numbered = (n: number): MemoryQueue<number> => {
  const queue = new MemoryQueue<number>();
  queue.pushMany(Array.from({ length: n }, (_, i) => i));
  return queue;
};

describe('properties of fromQueue(memory(queue)) pipelines', () => {
  it('settles every delivery exactly once, ends every message acked or dead-lettered, never errors', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ behaviour: fc.constantFrom(...behaviours), delayMs: fc.integer({ min: 0, max: 2 }) }), {
          minLength: 1,
          maxLength: 25,
        }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        async (plan, maxInFlight, concurrency, maxAttempts) => {
          const queue = numbered(plan.length);
          const inner = memory(queue, { pollMs });
          const s = spy(inner);
          const source = fromQueue<number>(s.connector, { maxInFlight });
          const errors: unknown[] = [];
          const subscription = source
            .pipe(
              handle(
                (m: Message<number>) => {
                  const step = plan[m.body]!;
                  return act(step.behaviour, m, step.delayMs);
                },
                { concurrency },
              ),
              retryWithResend({ maxAttempts }),
              ack(),
            )
            .subscribe({ error: (e: unknown) => errors.push(e) });
          await s.terminalFor(plan.length);
          await source.stop();
          subscription.unsubscribe();

          expect(errors).toEqual([]);
          for (const [id, ops] of s.settles) expect(ops, `delivery ${id}`).toHaveLength(1);
          const expected = plan.map((p) => [succeeding.has(p.behaviour) ? 'ack' : 'deadLetter']);
          expect(plan.map((_, body) => s.terminal.get(body))).toEqual(expected);
          expect(queue.size).toBe(0);
          const dead = await inner.deadLetters.pullMany(null, { timeoutMs: 0 }).catch(() => []);
          expect(dead.map((d) => d.value).sort((a, b) => a - b)).toEqual(
            plan.flatMap((p, body) => (succeeding.has(p.behaviour) ? [] : [body])),
          );
          expect(source.metrics.snapshot()).toMatchObject({ inFlight: 0, settleErrors: 0 });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('never holds more than maxInFlight unsettled messages', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 10 }),
        async (n, maxInFlight, concurrency, delays) => {
          const queue = numbered(n);
          const s = spy(memory(queue, { pollMs }));
          const source = fromQueue<number>(s.connector, { maxInFlight });
          let emitted = 0;
          let downstreamPeak = 0;
          let settled = 0;
          const done = new Subject<void>();
          const subscription = source
            .pipe(
              tap(() => (downstreamPeak = Math.max(downstreamPeak, ++emitted - settled))),
              handle((m: Message<number>) => new Promise((r) => setTimeout(r, delays[m.body % delays.length] ?? 0)), {
                concurrency,
              }),
              ack(),
              tap(() => ++settled === n && done.next()),
            )
            .subscribe();
          await new Promise<void>((r) => done.subscribe(() => r()));
          await source.stop();
          subscription.unsubscribe();
          expect(s.outstanding.peak).toBeLessThanOrEqual(maxInFlight);
          expect(downstreamPeak).toBeLessThanOrEqual(maxInFlight);
          expect(source.metrics.snapshot().peakInFlight).toBeLessThanOrEqual(maxInFlight);
          expect(source.metrics.snapshot()).toMatchObject({ received: n, acked: n, inFlight: 0 });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('keeps per-key order under handle(fn, { key, concurrency }) with random delays', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 3 }), delayMs: fc.integer({ min: 0, max: 3 }) }), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 16 }),
        async (plan, concurrency, maxInFlight) => {
          const queue = numbered(plan.length);
          const source = fromQueue<number>(memory(queue, { pollMs }), { maxInFlight });
          const order = new Map<number, number[]>();
          const running = new Map<number, number>();
          let overlap = false;
          let finished = 0;
          let allDone!: () => void;
          const done = new Promise<void>((r) => (allDone = r));
          const subscription = source
            .pipe(
              handle(
                async (m: Message<number>) => {
                  const { key, delayMs } = plan[m.body]!;
                  if ((running.get(key) ?? 0) > 0) overlap = true;
                  running.set(key, (running.get(key) ?? 0) + 1);
                  await new Promise((r) => setTimeout(r, delayMs));
                  order.set(key, [...(order.get(key) ?? []), m.body]);
                  running.set(key, (running.get(key) ?? 1) - 1);
                },
                { concurrency, key: (m) => plan[m.body]!.key },
              ),
              ack(),
              tap(() => ++finished === plan.length && allDone()),
            )
            .subscribe();
          await done;
          await source.stop();
          subscription.unsubscribe();
          expect(overlap).toBe(false);
          for (const [key, bodies] of order) {
            const expected = plan.flatMap((p, i) => (p.key === key ? [i] : []));
            expect(bodies, `key ${key}`).toEqual(expected);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('never errors the stream, whatever a handler throws', async () => {
    const thrown = fc.oneof(
      fc.string().map((message) => new Error(message)),
      fc.constantFrom(undefined, null, 0, '', 'text', { retryable: false }, { retryable: 'maybe' }),
      fc.string().map((message) => new RxqError('X', message, { retryable: false })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ error: thrown, how: fc.constantFrom('sync', 'async', 'observable') }), {
          minLength: 1,
          maxLength: 15,
        }),
        async (plan) => {
          const queue = numbered(plan.length);
          const inner = memory(queue, { pollMs });
          const s = spy(inner);
          const source = fromQueue<number>(s.connector, { maxInFlight: 4 });
          const errors: unknown[] = [];
          const subscription = source
            .pipe(
              handle(
                (m: Message<number>) => {
                  const { error, how } = plan[m.body]!;
                  if (how === 'sync') throw error; // eslint-disable-line @typescript-eslint/only-throw-error
                  if (how === 'async') return Promise.reject(error); // eslint-disable-line @typescript-eslint/prefer-promise-reject-errors
                  return throwError(() => error);
                },
                { concurrency: 3 },
              ),
              retryWithResend({ maxAttempts: 2 }),
              ack(),
            )
            .subscribe({ error: (e: unknown) => errors.push(e) });
          await s.terminalFor(plan.length);
          await source.stop();
          subscription.unsubscribe();
          expect(errors).toEqual([]);
          const dead = await inner.deadLetters.pullMany(null, { timeoutMs: 0 });
          expect(dead).toHaveLength(plan.length);
          expect(new Set(dead.map((d) => d.reason))).toSatisfy((reasons: Set<string>) =>
            [...reasons].every((r) => r === 'max-attempts' || r === 'non-retryable'),
          );
        },
      ),
      { numRuns: 25 },
    );
  });
});
