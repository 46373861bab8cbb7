import { firstValueFrom, map, of, Subject, throwError, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { HandlerTimeoutError, InvalidOptionError } from '../errors.js';
import type { Message } from '../message.js';
import { PartialFailure, type Batch, type Outcome } from '../outcome.js';
import { fakeMessage } from '../testing/fakeMessage.js';
import { handle, type Handler, type HandleOptions } from './handle.js';
import { aliveAfterGc } from '../testing/aliveAfterGc.js';

const fake = (id: string, key?: string): Message<string> => fakeMessage(id, key === undefined ? {} : { key });

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Runs one item through `handle` outside virtual time and returns its outcomes. */
function outcomesOf<I extends Message<string> | Batch<string>, R>(
  item: I,
  fn: Handler<I, R>,
  options: HandleOptions<I> = {},
): Promise<Outcome<I, R>[]> {
  return firstValueFrom(of(item).pipe(handle(fn, options), toArray()));
}

const label = (o: Outcome<Message<string>, unknown>): string => (o.ok ? o.item.id : o.item.id.toUpperCase());

describe('handle: results and failures', () => {
  it('turns a value, a Promise and an Observable (its last value) into successes', async () => {
    const m = fake('a');
    expect(await outcomesOf(m, () => 1)).toMatchObject([{ ok: true, item: m, value: 1 }]);
    expect(await outcomesOf(m, async () => 2)).toMatchObject([{ ok: true, item: m, value: 2 }]);
    expect(await outcomesOf(m, () => of(3, 4, 5))).toMatchObject([{ ok: true, item: m, value: 5 }]);
    const [empty] = await outcomesOf(m, () => of());
    expect(empty).toMatchObject({ ok: true, value: undefined });
    expect(empty?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('turns a sync throw, a rejection and an Observable error into failures, never a stream error', async () => {
    const m = fake('a');
    const boom = new Error('boom');
    const throwing = (): never => {
      throw boom;
    };
    expect(await outcomesOf(m, throwing)).toMatchObject([{ ok: false, item: m, error: boom }]);
    expect(await outcomesOf(m, () => Promise.reject(boom))).toMatchObject([{ ok: false, error: boom }]);
    expect(await outcomesOf(m, () => throwError(() => boom))).toMatchObject([{ ok: false, error: boom }]);
    // A thrown non-Error is still a failure value.
    const [odd] = await outcomesOf(m, () => {
      throw 'a string'; // eslint-disable-line @typescript-eslint/only-throw-error
    });
    expect(odd).toMatchObject({ ok: false, error: 'a string' });
  });

  it('leaves settlement to later operators', async () => {
    const m = fake('a');
    await outcomesOf(m, () => {
      throw new Error('x');
    });
    await outcomesOf(m, () => 1);
    expect(m.settlement).toBeUndefined();
  });

  it('turns a throwing key function into a failure of that item only', async () => {
    const a = fake('a');
    const b = fake('b');
    const out = await firstValueFrom(
      of(a, b).pipe(
        handle((m) => m.id, {
          key: (m) => {
            if (m.id === 'a') throw new Error('no key');
            return m.id;
          },
        }),
        toArray(),
      ),
    );
    expect(out.map((o) => [o.item.id, o.ok])).toEqual([
      ['a', false],
      ['b', true],
    ]);
  });
});

describe('handle: PartialFailure on a batch', () => {
  it('splits the outcome into a success for the finished messages and a failure for the rest', async () => {
    const batch = [fake('a'), fake('b'), fake('c')];
    const cause = new Error('constraint violation');
    const out = await outcomesOf(batch, (items) => {
      throw new PartialFailure([items[1]!], cause);
    });
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ ok: true });
    expect(out[0]?.item.map((m) => m.id)).toEqual(['a', 'c']);
    expect(out[1]).toMatchObject({ ok: false, error: cause });
    expect(out[1]?.item.map((m) => m.id)).toEqual(['b']);
  });

  it('emits only a failure when every message failed, and the PartialFailure itself without a cause', async () => {
    const batch = [fake('a'), fake('b')];
    const out = await outcomesOf(batch, async (items) => Promise.reject(new PartialFailure(items)));
    expect(out).toHaveLength(1);
    expect(out[0]?.ok).toBe(false);
    expect(out[0]?.item).toHaveLength(2);
    expect(out[0]).toMatchObject({ error: { name: 'PartialFailure', code: 'PARTIAL_FAILURE' } });
  });

  it('fails a single message as a whole', async () => {
    const m = fake('a');
    const partial = new PartialFailure([m]);
    expect(
      await outcomesOf(m, () => {
        throw partial;
      }),
    ).toMatchObject([{ ok: false, item: m, error: partial }]);
  });
});

describe('handle: time and concurrency (marbles)', () => {
  it('runs at most `concurrency` handlers and starts the next when one finishes', () => {
    const ts = scheduler();
    ts.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const msgs = { a: fake('a'), b: fake('b'), c: fake('c') };
      const source = hot('-abc|', msgs);
      const work = cold('---(x|)', { x: 0 });
      const out = source.pipe(
        handle(() => work, { concurrency: 2, scheduler: ts }),
        map(label),
      );
      expectObservable(out).toBe('----ab-(c|)', { a: 'a', b: 'b', c: 'c' });
      expectSubscriptions(work.subscriptions).toBe(['-^--!', '--^--!', '----^--!']);
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('runs one at a time by default', () => {
    const ts = scheduler();
    ts.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const source = hot('ab|', { a: fake('a'), b: fake('b') });
      const work = cold('--(x|)', { x: 0 });
      expectObservable(
        source.pipe(
          handle(() => work, { scheduler: ts }),
          map(label),
        ),
      ).toBe('--a-(b|)', {
        a: 'a',
        b: 'b',
      });
      expectSubscriptions(work.subscriptions).toBe(['^-!', '--^-!']);
    });
  });

  it('fails a handler after timeoutMs, unsubscribes its Observable and aborts its signal', () => {
    const ts = scheduler();
    const signals: AbortSignal[] = [];
    let failure: unknown;
    ts.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const source = hot('-a|', { a: fake('a') });
      const slow = cold('-----(x|)', { x: 0 });
      const out = source.pipe(
        handle(
          (_m, { signal }) => {
            signals.push(signal);
            return slow;
          },
          { timeoutMs: 3, scheduler: ts },
        ),
        map((o) => {
          if (!o.ok) failure = o.error;
          return label(o);
        }),
      );
      expectObservable(out).toBe('----(A|)', { A: 'A' });
      expectSubscriptions(slow.subscriptions).toBe('-^--!');
    });
    expect(failure).toBeInstanceOf(HandlerTimeoutError);
    expect(failure).toMatchObject({ code: 'HANDLER_TIMEOUT', retryable: true });
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toBeInstanceOf(HandlerTimeoutError);
  });

  it('lets a handler that finishes within timeoutMs succeed, and cancels its timer', () => {
    const ts = scheduler();
    ts.run(({ hot, cold, expectObservable }) => {
      const source = hot('-a-b|', { a: fake('a'), b: fake('b') });
      const quick = cold('-(x|)', { x: 0 });
      const out = source.pipe(
        handle(() => quick, { timeoutMs: 2, concurrency: 2, scheduler: ts }),
        map(label),
      );
      // No late failure follows a success: the timers were cancelled.
      expectObservable(out).toBe('--a-(b|)', { a: 'a', b: 'b' });
    });
  });

  it('on unsubscribe, stops running handlers (Observables, timers, signals) and starts no queued one', () => {
    const ts = scheduler();
    const started: string[] = [];
    const signals: AbortSignal[] = [];
    ts.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const source = hot('ab', { a: fake('a'), b: fake('b') });
      const slow = cold('----(x|)', { x: 0 });
      const out = source.pipe(
        handle(
          (m, { signal }) => {
            started.push(m.id);
            signals.push(signal);
            return slow;
          },
          { timeoutMs: 10, scheduler: ts },
        ),
        map(label),
      );
      expectObservable(out, '^-!').toBe('---');
      expectSubscriptions(slow.subscriptions).toBe('^-!');
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
    expect(started).toEqual(['a']);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('keeps per-key order while other keys run in parallel', () => {
    const ts = scheduler();
    ts.run(({ hot, cold, expectObservable }) => {
      // a1 and a2 share key a; b1 has its own key.
      const msgs = { p: fake('a1', 'a'), q: fake('a2', 'a'), r: fake('b1', 'b') };
      const source = hot('pqr|', msgs);
      const work = cold('---(x|)', { x: 0 });
      const out = source.pipe(
        handle(() => work, { concurrency: 3, key: (m) => m.key, scheduler: ts }),
        map((o) => o.item.id),
      );
      // b1 starts at 2 although a2 arrived before it: a2 waits for a1 (ends at 3), then runs 3..6.
      expectObservable(out).toBe('---a-b(c|)', { a: 'a1', b: 'b1', c: 'a2' });
    });
  });
});

describe('handle: Promise handlers on unsubscribe', () => {
  it('does not start queued items when a running Promise settles after unsubscribe', async () => {
    const source = new Subject<Message<string>>();
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: unknown[] = [];
    const subscription = source
      .pipe(
        handle(
          async (m) => {
            started.push(m.id);
            await gate;
          },
          { concurrency: 1 },
        ),
      )
      .subscribe((o) => seen.push(o));
    source.next(fake('a'));
    source.next(fake('b'));
    subscription.unsubscribe();
    release();
    await gate;
    await Promise.resolve();
    expect(started).toEqual(['a']);
    expect(seen).toEqual([]);
  });
});

describe('handle: long queues', () => {
  it.each([
    ['unkeyed', undefined],
    ['one key', () => 'same'],
  ])('starts ten thousand queued items that finish synchronously without growing the stack (%s)', async (_, key) => {
    const source = new Subject<Message<string>>();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let outcomes = 0;
    const errors: unknown[] = [];
    let completed = false;
    source
      .pipe(
        handle((m: Message<string>): unknown => (m.id === '0' ? gate : m.id), {
          ...(key === undefined ? {} : { key }),
        }),
      )
      .subscribe({ next: () => outcomes++, error: (e: unknown) => errors.push(e), complete: () => (completed = true) });
    for (let i = 0; i < 10_000; i++) source.next(fake(String(i)));
    source.complete();
    release();
    await gate;
    await Promise.resolve();
    expect(errors).toEqual([]);
    expect(outcomes).toBe(10_000);
    expect(completed).toBe(true);
  });
});

describe('handle: memory under steady load', () => {
  it('lets go of handled items while its queue never runs empty', async () => {
    const source = new Subject<Message<string>>();
    const handled: WeakRef<Message<string>>[] = [];
    let sent = 0;
    const send = (): void => {
      const m = fake(String(sent++));
      if (handled.length < 1000) handled.push(new WeakRef(m));
      source.next(m);
    };
    let reached!: () => void;
    const midway = new Promise<void>((r) => (reached = r));
    // Every handler queues one more item, and two were queued to start: one always waits.
    const subscription = source
      .pipe(
        handle(async () => {
          await new Promise((r) => setImmediate(r));
          send();
        }),
      )
      .subscribe((o) => o.item.id === '2000' && reached());
    send();
    send();
    await midway;
    const alive = await aliveAfterGc(handled);
    subscription.unsubscribe();
    expect(sent).toBeGreaterThan(2000);
    expect(alive).toBe(0);
  });
});

describe('handle: very long timeouts', () => {
  it('treats a timeoutMs beyond what a timer holds (2^31 ms) as no timeout, not as 1 ms', async () => {
    const m = fake('a');
    const slow = (): Promise<string> => new Promise((r) => setTimeout(() => r('done'), 20));
    expect(await outcomesOf(m, slow, { timeoutMs: 2 ** 31 })).toMatchObject([{ ok: true, value: 'done' }]);
    expect(await outcomesOf(m, slow, { timeoutMs: Number.MAX_SAFE_INTEGER })).toMatchObject([{ ok: true }]);
  });
});

describe('handle: validation', () => {
  const bad: [string, () => unknown][] = [
    ['fn', () => handle(undefined as unknown as Handler<Message, unknown>)],
    ['concurrency', () => handle(() => 1, { concurrency: 0 })],
    ['concurrency', () => handle(() => 1, { concurrency: -2 })],
    ['concurrency', () => handle(() => 1, { concurrency: 1.5 })],
    ['timeoutMs', () => handle(() => 1, { timeoutMs: -1 })],
    ['timeoutMs', () => handle(() => 1, { timeoutMs: Number.NaN })],
    ['key', () => handle(() => 1, { key: 'id' as unknown as (m: Message) => unknown })],
  ];
  it.each(bad)('throws InvalidOptionError naming `%s` at construction', (option, make) => {
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(`\`${option}\``);
    try {
      make();
    } catch (error) {
      expect((error as InvalidOptionError).option).toBe(option);
    }
  });

  it('accepts concurrency Infinity and timeoutMs 0', () => {
    expect(() => handle(() => 1, { concurrency: Infinity, timeoutMs: 0 })).not.toThrow();
  });
});
