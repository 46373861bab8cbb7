import { filter, firstValueFrom, map, Subject, tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  ack,
  type AckOptions,
  codec,
  ConnectionGaveUpError,
  ConnectionLostError,
  type Connector,
  type Delivery,
  fromQueue,
  type FromQueueOptions,
  handle,
  HEADERS,
  identity,
  InvalidOptionError,
  json,
  type Message,
  type QueueObservable,
  RxqError,
  type Session,
  type SourceStatus,
} from '@rxq/core';
import { aliveAfterGc, collectAll, collectUntil } from '@rxq/core/testing';
import { MemoryQueue, memory, type DeadLetter } from '../../src/index.js';

/** Resolves with the first status event of `status`. */
const statusOf = (source: QueueObservable<unknown>, status: SourceStatus): Promise<unknown> =>
  firstValueFrom(source.status$.pipe(filter((e) => e.status === status)));

/** Every status the source goes through from now on. */
function statuses(source: QueueObservable<unknown>): SourceStatus[] {
  const seen: SourceStatus[] = [];
  source.status$.subscribe((e) => seen.push(e.status));
  return seen;
}

interface Flaky {
  readonly connector: Connector;
  readonly opens: number;
  readonly closes: number;
  /** The `lost` callback of the last open, to report a dead connection from outside `receive`. */
  lost(error: unknown): void;
}

/**
 * Wraps a real memory connector so that its first `openFailures` opens and its first
 * `receiveFailures` receives reject with `error()`: the engine under test sees a broker going down.
 */
function flaky(
  inner: Connector,
  plan: { openFailures?: number; receiveFailures?: number; error?: () => unknown; ackThrows?: boolean },
): Flaky {
  let openFailures = plan.openFailures ?? 0;
  let receiveFailures = plan.receiveFailures ?? 0;
  const error = plan.error ?? (() => new ConnectionLostError('broker went away'));
  const state = { opens: 0, closes: 0, lost: (_e: unknown): void => undefined };
  const connector: Connector = {
    name: 'flaky',
    defaultCodec: json,
    async open(context) {
      state.opens++;
      state.lost = (e) => context.lost(e);
      if (openFailures > 0) {
        openFailures--;
        throw error();
      }
      const session: Session = await inner.open(context);
      return {
        ...session,
        async receive(max: number): Promise<readonly Delivery[]> {
          if (receiveFailures > 0) {
            receiveFailures--;
            throw error();
          }
          return session.receive(max);
        },
        ack(d: Delivery) {
          if (plan.ackThrows) throw new Error('ack refused');
          return session.ack(d);
        },
        async close() {
          state.closes++;
          await session.close();
        },
      };
    },
  };
  return {
    connector,
    get opens() {
      return state.opens;
    },
    get closes() {
      return state.closes;
    },
    lost: (e) => state.lost(e),
  };
}

function numbers(count: number): MemoryQueue<string> {
  const queue = new MemoryQueue<string>();
  queue.pushMany(Array.from({ length: count }, (_, n) => JSON.stringify({ n })));
  return queue;
}

const bodies = (ms: readonly Message<{ n: number }>[]): number[] => ms.map((m) => m.body.n);
const fast = { reconnect: { initialMs: 1, maxMs: 4 } } satisfies FromQueueOptions<unknown>;

describe('fromQueue: a cold source', () => {
  it('does nothing before subscribe: no open, nothing taken, status idle', async () => {
    const queue = numbers(3);
    const f = flaky(memory(queue, { codec: json }), {});
    const source = fromQueue(f.connector);
    const seen = statuses(source);
    await Promise.resolve();
    expect(f.opens).toBe(0);
    expect(queue.size).toBe(3);
    expect(seen).toEqual(['idle']);
  });

  it('emits decoded messages with their delivery facts', async () => {
    const queue = new MemoryQueue<string>();
    queue.push('{"n":1}');
    const source = fromQueue<{ n: number }>(memory(queue, { codec: json, name: 'orders', pollMs: 20 }));
    const [m] = await collectUntil(source, (ms) => ms.length === 1);
    expect(m).toMatchObject({ body: { n: 1 }, raw: '{"n":1}', attempt: 1, source: 'orders', headers: {} });
    expect(typeof m?.id).toBe('string');
    expect(m?.receivedAt).toBeGreaterThan(0);
    expect(source.name).toBe('orders');
  });

  it('opens one session per subscription, and two subscriptions share the queue without duplicates', async () => {
    const queue = numbers(40);
    const f = flaky(memory(queue, { codec: json, pollMs: 20 }), {});
    const source = fromQueue<{ n: number }>(f.connector, { maxInFlight: 4 });
    const all: number[] = [];
    let allSeen!: () => void;
    const done = new Promise<void>((r) => (allSeen = r));
    const consumer = source.pipe(
      tap((m) => {
        all.push(m.body.n);
        void m.ack();
        if (all.length === 40) allSeen();
      }),
    );
    const subs = [consumer.subscribe(), consumer.subscribe()];
    await done;
    for (const s of subs) s.unsubscribe();
    expect(f.opens).toBe(2);
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(source.metrics.snapshot()).toMatchObject({ received: 40, acked: 40 });
  });
});

describe('fromQueue: in-flight and release', () => {
  it('emits no more than maxInFlight unsettled messages, and more as they settle', async () => {
    const queue = numbers(10);
    const source = fromQueue<{ n: number }>(memory(queue, { codec: json, pollMs: 20 }), { maxInFlight: 3 });
    const held: Message<{ n: number }>[] = [];
    const sub = source.subscribe((m) => held.push(m));
    await firstValueFrom(source.metrics.observe(1).pipe(filter((s) => s.inFlight === 3)));
    expect(held).toHaveLength(3);
    expect(queue.size).toBe(7);
    await held[0]?.ack();
    await firstValueFrom(source.metrics.observe(1).pipe(filter((s) => s.received === 4)));
    expect(held).toHaveLength(4);
    expect(source.metrics.snapshot()).toMatchObject({ inFlight: 3, peakInFlight: 3 });
    sub.unsubscribe();
  });

  it('releases what is unsettled on unsubscribe: back to the front, in order, same attempt', async () => {
    const queue = numbers(10);
    const source = fromQueue<{ n: number }>(memory(queue, { codec: json, pollMs: 20 }), { maxInFlight: 4 });
    const closed = statusOf(source, 'closed');
    const first = await collectUntil(source, (ms) => ms.length === 4);
    await closed;
    expect(bodies(first)).toEqual([0, 1, 2, 3]);
    expect(first.every((m) => m.settlement === 'released')).toBe(true);
    expect(source.metrics.snapshot()).toMatchObject({ released: 4, inFlight: 0 });
    // Settling a released message does nothing.
    await first[0]?.ack();
    expect(source.metrics.snapshot().acked).toBe(0);
    const again = fromQueue<{ n: number }>(memory(queue, { codec: json, pollMs: 20 }));
    const all = await collectUntil(again.pipe(tap((m) => void m.ack())), (ms) => ms.length === 10);
    expect(bodies(all)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(all.every((m) => m.attempt === 1)).toBe(true);
  });

  it('nack requeues with attempt + 1, nack with delayMs resends, nack without requeue dead-letters', async () => {
    const queue = new MemoryQueue<string>();
    const connector = memory(queue, { codec: json, pollMs: 20 });
    queue.pushMany(['"requeue"', '"delay"', '"reject"']);
    const source = fromQueue<string>(connector);
    const seen = await collectUntil(
      source.pipe(
        tap((m) => {
          if (m.attempt > 1) void m.ack();
          else if (m.body === 'requeue') void m.nack();
          else if (m.body === 'delay') void m.nack({ delayMs: 10 });
          else void m.nack({ requeue: false });
        }),
      ),
      (ms) => ms.length === 5,
    );
    expect(seen.map((m) => [m.body, m.attempt, m.settlement])).toEqual([
      ['requeue', 1, 'requeued'],
      ['delay', 1, 'resent'],
      ['reject', 1, 'dead-lettered'],
      ['requeue', 2, 'acked'],
      ['delay', 2, 'acked'],
    ]);
    expect(await connector.deadLetters.pull({ timeoutMs: 0 })).toMatchObject({ value: '"reject"', reason: 'rejected' });
  });

  it('a nack carries its error: the dead letter of requeue: false and the copy of a delayed nack name it', async () => {
    const queue = new MemoryQueue<string>();
    const connector = memory(queue, { codec: json, pollMs: 20 });
    queue.pushMany(['"reject"', '"delay"']);
    const seen = await collectUntil(
      fromQueue<string>(connector).pipe(
        tap((m) => {
          if (m.attempt > 1) void m.ack();
          else if (m.body === 'reject') void m.nack({ requeue: false, error: new TypeError('bad shape') });
          else void m.nack({ delayMs: 10, error: new RangeError('too soon') });
        }),
      ),
      (ms) => ms.length === 3,
    );
    expect(seen[2]?.headers).toMatchObject({ [HEADERS.errorName]: 'RangeError' });
    expect(await connector.deadLetters.pull({ timeoutMs: 0 })).toMatchObject({
      reason: 'rejected',
      error: { name: 'TypeError', message: 'bad shape' },
    });
  });

  it("ack({ requeue: false }) dead-letters a failure with reason rejected and the handler's error, like its other dead-letter paths", async () => {
    class PaymentDeclined extends Error {
      override name = 'PaymentDeclined';
    }
    const dead = async (options: AckOptions): Promise<DeadLetter<number> | undefined> => {
      const queue = new MemoryQueue<number>();
      const connector = memory(queue, { pollMs: 20 });
      queue.push(1);
      const source = fromQueue(connector);
      await collectUntil(
        source.pipe(
          handle(() => {
            throw new PaymentDeclined('card 1 declined');
          }),
          ack(options),
        ),
        (rs) => rs.length === 1,
      );
      await source.stop();
      return connector.deadLetters.pull({ timeoutMs: 0 });
    };
    const error = { name: 'PaymentDeclined', message: 'card 1 declined' };
    expect(await dead({ requeue: false })).toMatchObject({ reason: 'rejected', error });
    expect(await dead({ maxAttempts: 1 })).toMatchObject({ reason: 'max-attempts', error });
  });
});

describe('fromQueue: memory while idle', () => {
  it('keeps no settled message alive while it waits for the next one', async () => {
    const queue = new MemoryQueue<object>();
    // Made in a function of their own, so that no variable of this test holds the last one.
    const fill = (): WeakRef<object>[] =>
      Array.from({ length: 50 }, (_, i) => {
        const body = { i };
        queue.push(body);
        return new WeakRef(body);
      });
    const bodies = fill();
    const source = fromQueue(memory(queue, { codec: identity, pollMs: 60_000 }), { maxInFlight: 64 });
    let acked = 0;
    let allAcked!: () => void;
    const done = new Promise<void>((r) => (allAcked = r));
    const subscription = source
      .pipe(
        handle(() => undefined, { concurrency: 8 }),
        ack(),
      )
      .subscribe(() => ++acked === 50 && allAcked());
    await done;
    // The source now waits in receive (pollMs is a minute): nothing of the 50 may be held.
    const alive = await aliveAfterGc(bodies);
    subscription.unsubscribe();
    expect(alive).toBe(0);
  });
});

describe('fromQueue over memory with a visibility timeout', () => {
  const heldBack: Message<string>[] = [];
  it('redelivers a message left unsettled past visibilityTimeoutMs with attempt + 1, and both settle cleanly', async () => {
    const queue = new MemoryQueue<string>();
    const connector = memory(queue, { pollMs: 20, visibilityTimeoutMs: 30 });
    queue.push('slow');
    const source = fromQueue<string>(connector);
    const seen = await collectUntil(
      source.pipe(
        tap((m) => {
          // The first delivery is left alone until its copy arrives; then both are acked.
          if (m.attempt === 2) for (const held of [m, ...heldBack]) void held.ack();
          else heldBack.push(m);
        }),
      ),
      (ms) => ms.length === 2,
    );
    expect(seen.map((m) => [m.body, m.attempt])).toEqual([
      ['slow', 1],
      ['slow', 2],
    ]);
    expect(seen.map((m) => m.settlement)).toEqual(['acked', 'acked']);
    expect(queue.size).toBe(0);
    expect(connector.deadLetters.size).toBe(0);
  });
});

describe('fromQueue: graceful stop', () => {
  /** A pipeline whose handlers wait for `gate`; resolves `allStarted` once `count` run at once. */
  function gated(count: number): { gate: () => void; allStarted: Promise<void>; handler: () => Promise<void> } {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let started = 0;
    let all!: () => void;
    const allStarted = new Promise<void>((r) => (all = r));
    return {
      gate: open,
      allStarted,
      handler: async () => {
        if (++started === count) all();
        await gate;
      },
    };
  }

  const stops: [
    string,
    (source: () => QueueObservable<unknown>) => { options: FromQueueOptions<unknown>; fire(): void },
  ][] = [
    [
      'an AbortSignal',
      () => {
        const ac = new AbortController();
        return { options: { stop: ac.signal }, fire: () => ac.abort() };
      },
    ],
    [
      'an Observable',
      () => {
        const s = new Subject<void>();
        return { options: { stop: s }, fire: () => s.next() };
      },
    ],
    ['source.stop()', (source) => ({ options: {}, fire: () => void source().stop() })],
  ];

  it.each(stops)('on %s: stops the intake, lets in-flight messages finish, acks them, completes', async (_, make) => {
    const queue = numbers(10);
    const g = gated(3);
    const holder: { source?: QueueObservable<unknown> } = {};
    const stopper = make(() => holder.source!);
    const source = fromQueue(memory(queue, { codec: json, pollMs: 20 }), { maxInFlight: 3, ...stopper.options });
    holder.source = source;
    const seen = statuses(source);
    const done = collectAll(source.pipe(handle(g.handler, { concurrency: 3 }), ack()));
    await g.allStarted;
    stopper.fire();
    await statusOf(source, 'draining');
    g.gate();
    const records = await done;
    expect(records.map((r) => r.settlement)).toEqual(['acked', 'acked', 'acked']);
    expect(queue.size).toBe(7);
    expect(source.metrics.snapshot()).toMatchObject({ acked: 3, released: 0, inFlight: 0 });
    expect(seen).toEqual(['idle', 'connecting', 'connected', 'draining', 'closed']);
  });

  it('releases what has not settled when the drain timeout passes', async () => {
    const queue = numbers(5);
    const ac = new AbortController();
    const source = fromQueue<{ n: number }>(memory(queue, { codec: json, pollMs: 20 }), {
      maxInFlight: 2,
      stop: ac.signal,
      drainTimeoutMs: 30,
    });
    const held: Message<{ n: number }>[] = [];
    const done = collectAll(source.pipe(tap((m) => held.length < 2 && held.push(m) === 2 && ac.abort())));
    const started = performance.now();
    const emitted = await done;
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(emitted).toHaveLength(2);
    expect(held.map((m) => m.settlement)).toEqual(['released', 'released']);
    expect(queue.size).toBe(5);
    expect(source.metrics.snapshot()).toMatchObject({ released: 2, inFlight: 0 });
  });

  it('with an AbortSignal aborted before subscribe, completes without taking anything', async () => {
    const queue = numbers(3);
    const ac = new AbortController();
    ac.abort();
    const source = fromQueue(memory(queue, { codec: json, pollMs: 20 }), { stop: ac.signal });
    expect(await collectAll(source)).toEqual([]);
    expect(queue.size).toBe(3);
  });

  it('closes straight away when nothing is in flight, skipping draining', async () => {
    const source = fromQueue(memory(new MemoryQueue<string>(), { pollMs: 10 }));
    const seen = statuses(source);
    const done = collectAll(source);
    await statusOf(source, 'connected');
    await source.stop();
    await done;
    expect(seen).toEqual(['idle', 'connecting', 'connected', 'closed']);
  });
  it('stops an idle memory source without waiting out its poll interval', async () => {
    const queue = new MemoryQueue<string>();
    const source = fromQueue(memory(queue, { pollMs: 5_000 }));
    const done = collectAll(source);
    await statusOf(source, 'connected');
    const started = performance.now();
    await source.stop();
    await done;
    expect(performance.now() - started).toBeLessThan(1_000);
    // The stopped session's wait is gone: the next consumer gets an item at once.
    const next = fromQueue<string>(memory(queue, { pollMs: 5_000 }));
    const got = collectUntil(next, (ms) => ms.length === 1, 1_000);
    await statusOf(next, 'connected');
    queue.push('"x"');
    expect((await got).map((m) => m.body)).toEqual(['"x"']);
  });
});

describe('fromQueue: reconnect', () => {
  it('reconnects with backoff when receive fails with a retryable error, losing nothing', async () => {
    const queue = numbers(20);
    const f = flaky(memory(queue, { codec: json, pollMs: 20 }), { receiveFailures: 3 });
    const source = fromQueue<{ n: number }>(f.connector, { maxInFlight: 5, ...fast });
    const events: { status: SourceStatus; retry?: number; error?: unknown }[] = [];
    source.status$.subscribe((e) => events.push(e));
    const all = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 20);
    expect(bodies(all)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const reconnects = events.filter((e) => e.status === 'reconnecting');
    expect(reconnects).toHaveLength(3);
    expect(reconnects.every((e) => e.error instanceof ConnectionLostError)).toBe(true);
    expect(f.opens).toBe(4);
    expect(f.closes).toBeGreaterThanOrEqual(3);
  });

  it('counts retries up while open keeps failing, then resets them once connected', async () => {
    const queue = numbers(1);
    const f = flaky(memory(queue, { codec: json, pollMs: 20 }), { openFailures: 3 });
    const source = fromQueue<{ n: number }>(f.connector, fast);
    const events: { status: SourceStatus; retry?: number }[] = [];
    source.status$.subscribe((e) => events.push(e));
    const [m] = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 1);
    expect(m?.body).toEqual({ n: 0 });
    expect(events.map((e) => (e.retry === undefined ? e.status : `${e.status} ${e.retry}`)).slice(0, 6)).toEqual([
      'idle',
      'connecting',
      'reconnecting 1',
      'reconnecting 2',
      'reconnecting 3',
      'connected',
    ]);
  });

  it('reconnects when the connector reports a lost connection outside receive', async () => {
    const queue = new MemoryQueue<string>();
    const f = flaky(memory(queue, { codec: json, pollMs: 20 }), {});
    const source = fromQueue<{ n: number }>(f.connector, fast);
    const events: SourceStatus[] = [];
    source.status$.subscribe((e) => events.push(e.status));
    const all = collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 1);
    await statusOf(source, 'connected');
    f.lost(new ConnectionLostError('channel closed'));
    await statusOf(source, 'reconnecting');
    queue.push('{"n":5}');
    expect(bodies(await all)).toEqual([5]);
    expect(f.opens).toBe(2);
    expect(events.slice(0, 5)).toEqual(['idle', 'connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('gives up after reconnect.maxRetries with ConnectionGaveUpError', async () => {
    const cause = new ConnectionLostError('refused');
    const f = flaky(memory(new MemoryQueue<string>()), { openFailures: Infinity, error: () => cause });
    const source = fromQueue(f.connector, { reconnect: { initialMs: 1, maxMs: 2, maxRetries: 2 } });
    const closed = firstValueFrom(source.status$.pipe(filter((e) => e.status === 'closed')));
    const error: unknown = await collectAll(source).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionGaveUpError);
    expect(error).toMatchObject({ code: 'CONNECTION_GAVE_UP', cause, retryable: false });
    expect((error as Error).message).toContain('reconnect.maxRetries');
    expect(f.opens).toBe(3);
    expect((await closed).error).toBe(error);
  });

  it('errors the stream at once for a non-retryable open error, without reconnecting', async () => {
    const fatal = new RxqError('AUTH_FAILED', 'wrong credentials', { retryable: false });
    const f = flaky(memory(new MemoryQueue<string>()), { openFailures: 1, error: () => fatal });
    const source = fromQueue(f.connector, fast);
    const seen = statuses(source);
    const error: unknown = await collectAll(source).catch((e: unknown) => e);
    expect(error).toBe(fatal);
    expect(f.opens).toBe(1);
    expect(seen).toEqual(['idle', 'connecting', 'closed']);
  });

  it('errors the stream for a non-retryable receive error and releases what was in flight', async () => {
    const queue = numbers(3);
    const inner = memory(queue, { codec: json, pollMs: 20 });
    let calls = 0;
    const fatal = new RxqError('QUEUE_DELETED', 'the queue was deleted', { retryable: false });
    const connector: Connector = {
      name: 'fatal',
      async open(context) {
        const session = await inner.open(context);
        return { ...session, receive: (_max: number) => (++calls === 1 ? session.receive(1) : Promise.reject(fatal)) };
      },
    };
    const source = fromQueue<{ n: number }>(connector);
    const emitted: Message<{ n: number }>[] = [];
    const error: unknown = await collectAll(source.pipe(tap((m) => emitted.push(m)))).catch((e: unknown) => e);
    expect(error).toBe(fatal);
    expect(emitted.map((m) => m.settlement)).toEqual(['released']);
    expect(queue.size).toBe(3);
  });
});

describe('fromQueue: poison bodies and settlement errors', () => {
  it('dead-letters an undecodable body with reason decode, names no payload, and goes on', async () => {
    const queue = new MemoryQueue<string>();
    const connector = memory(queue, { pollMs: 20 });
    queue.pushMany(['{"card":"4111-SECRET"', '', '{"n":1}']);
    // The source's codec option overrides the connector's default (identity, for memory).
    const source = fromQueue(connector, { codec: json });
    const [good] = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 1);
    expect(good?.body).toEqual({ n: 1 });
    const dead = await connector.deadLetters.pullMany(null, { timeoutMs: 0 });
    expect(dead.map((d) => d.reason)).toEqual(['decode', 'decode']);
    for (const d of dead) {
      expect(d.error?.name).toBe('DecodeError');
      expect(d.error?.message).not.toContain('SECRET');
      expect(d.error?.message).not.toContain('card');
    }
    expect(source.metrics.snapshot()).toMatchObject({ poison: 2, deadLettered: 2, received: 1 });
  });

  it('wraps a custom codec failure, keeping the thrown message (which may quote the body) out', async () => {
    const queue = new MemoryQueue<string>();
    const connector = memory(queue, { pollMs: 20 });
    const strict = codec<string>({
      name: 'strict',
      decode: (payload) => {
        if (payload === 'ok') return payload;
        throw new SyntaxError(`unexpected ${String(payload)}`);
      },
    });
    queue.pushMany(['password=hunter2', 'ok']);
    const source = fromQueue<string>(connector, { codec: strict });
    const [ok] = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 1);
    expect(ok?.body).toBe('ok');
    const dead = await connector.deadLetters.pull({ timeoutMs: 0 });
    expect(dead.error?.message).toContain('strict');
    expect(dead.error?.message).not.toContain('hunter2');
  });

  it('reports a refused settlement to onError and counts it, without ending the stream', async () => {
    const queue = numbers(2);
    const f = flaky(memory(queue, { codec: json, pollMs: 20 }), { ackThrows: true });
    const errors: RxqError[] = [];
    const source = fromQueue<{ n: number }>(f.connector, { onError: (e) => errors.push(e) });
    const seen = await collectUntil(
      source.pipe(
        tap((m) => void m.ack()),
        map((m) => m.settlement),
      ),
      (ms) => ms.length === 2,
    );
    await source.stop();
    expect(seen).toEqual(['acked', 'acked']);
    expect(errors.map((e) => e.code)).toEqual(['SETTLE_FAILED', 'SETTLE_FAILED']);
    expect(errors[0]?.cause).toMatchObject({ message: 'ack refused' });
    expect(source.metrics.snapshot().settleErrors).toBe(2);
  });
});

describe('fromQueue: validation', () => {
  const connector = memory(new MemoryQueue<string>());
  const bad: [string, FromQueueOptions<unknown>][] = [
    ['maxInFlight', { maxInFlight: 0 }],
    ['maxInFlight', { maxInFlight: -5 }],
    ['maxInFlight', { maxInFlight: 2.5 }],
    ['maxInFlight', { maxInFlight: Infinity }],
    ['drainTimeoutMs', { drainTimeoutMs: -1 }],
    ['reconnect.maxRetries', { reconnect: { maxRetries: -1 } }],
    ['reconnect.initialMs', { reconnect: { initialMs: -1 } }],
    ['reconnect.maxMs', { reconnect: { maxMs: Number.NaN } }],
    ['codec', { codec: {} as never }],
    ['stop', { stop: 'SIGTERM' as never }],
  ];
  it.each(bad)('throws InvalidOptionError naming `%s` at construction', (option, options) => {
    let thrown: unknown;
    try {
      fromQueue(connector, options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect(thrown).toMatchObject({ option, code: 'INVALID_OPTION' });
    expect((thrown as Error).message).toContain(`\`${option}\``);
  });

  it('rejects something that is not a connector', () => {
    expect(() => fromQueue(null as unknown as Connector)).toThrow('`source`');
    expect(() => fromQueue({ name: 'x' } as unknown as Connector)).toThrow(InvalidOptionError);
  });
});
