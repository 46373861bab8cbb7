import { map, Subject, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import type { Message } from '../message.js';
import { type Batch } from '../outcome.js';
import { fakeMessage } from '../testing/fakeMessage.js';
import { chunk, type ChunkOptions } from './chunk.js';

const fake = (id: string): Message<string> => fakeMessage(id);
const letters = 'abcdefghij';
const messages = Object.fromEntries([...letters].map((l) => [l, fake(l)]));
const ids = (batch: Batch<string>): string => batch.map((m) => m.id).join('');
/** `ts`, recording the delay of every timer scheduled through it. */
const countTimers = (ts: TestScheduler): { timers: number[]; counting: SchedulerLike } => {
  const timers: number[] = [];
  const schedule = (
    work: (this: SchedulerAction<unknown>, state?: unknown) => void,
    delay?: number,
    state?: unknown,
  ): Subscription => {
    timers.push(delay ?? 0);
    return ts.schedule(work, delay, state);
  };
  const counting: SchedulerLike = { now: () => ts.now(), schedule };
  return { timers, counting };
};
const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('chunk (marbles)', () => {
  it('emits a batch as soon as it has `size` messages', () => {
    const ts = scheduler();
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('abcdef|', messages);
      const out = source.pipe(chunk({ size: 3, maxWaitMs: 100, scheduler: ts }), map(ids));
      expectObservable(out).toBe('--x--y|', { x: 'abc', y: 'def' });
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  it('emits a partial batch maxWaitMs after its first message', () => {
    const ts = scheduler();
    ts.run(({ hot, expectObservable }) => {
      // a at 0 opens a batch that flushes at 5 with b; c at 7 opens the next, flushed at 12.
      const source = hot('a-b----c-------|', messages);
      const out = source.pipe(chunk({ size: 10, maxWaitMs: 5, scheduler: ts }), map(ids));
      expectObservable(out).toBe('-----x------y--|', { x: 'ab', y: 'c' });
    });
  });

  it('restarts the wait after a full batch, so a size flush does not shorten the next wait', () => {
    const ts = scheduler();
    ts.run(({ hot, expectObservable }) => {
      // ab fill the batch at 1 (size 2); c at 3 waits its own 4 frames, until 7.
      const source = hot('ab-c------|', messages);
      const out = source.pipe(chunk({ size: 2, maxWaitMs: 4, scheduler: ts }), map(ids));
      expectObservable(out).toBe('-x-----y--|', { x: 'ab', y: 'c' });
    });
  });

  it('flushes the partial batch when the source completes', () => {
    const ts = scheduler();
    ts.run(({ hot, expectObservable }) => {
      const source = hot('ab|', messages);
      expectObservable(source.pipe(chunk({ size: 5, maxWaitMs: 50, scheduler: ts }), map(ids))).toBe('--(x|)', {
        x: 'ab',
      });
    });
  });

  it('waits for size alone with maxWaitMs Infinity, and completes empty-handed on an empty source', () => {
    const ts = scheduler();
    ts.run(({ hot, expectObservable }) => {
      const source = hot('a-----------b-|', messages);
      expectObservable(source.pipe(chunk({ size: 2, maxWaitMs: Infinity, scheduler: ts }), map(ids))).toBe(
        '------------x-|',
        { x: 'ab' },
      );
      expectObservable(hot<Message<string>>('---|').pipe(chunk({ scheduler: ts }))).toBe('---|');
    });
  });

  it('passes errors on, drops its timer, and settles nothing', () => {
    const ts = scheduler();
    const source$ = { a: fake('a'), b: fake('b') };
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('ab-#', source$);
      expectObservable(source.pipe(chunk({ size: 5, maxWaitMs: 5, scheduler: ts }), map(ids))).toBe('---#');
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    expect(source$.a.settlement).toBeUndefined();
  });

  it('on unsubscribe cancels a pending wait and unsubscribes its source', () => {
    const ts = scheduler();
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('a-------', messages);
      expectObservable(source.pipe(chunk({ size: 5, maxWaitMs: 5, scheduler: ts }), map(ids)), '^--!').toBe('---');
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('keeps one timer for batches that fill before their wait ends, and waits out each partial batch in full', () => {
    const ts = scheduler();
    const { timers, counting } = countTimers(ts);
    ts.run(({ hot, expectObservable }) => {
      // Three full batches by frame 5 share the timer armed at 0; g opens a batch at 7 whose wait
      // (until 17) the timer, firing at 10, sees unfinished: it waits again, for 7 more frames.
      const source = hot('abcdef-g----------|', messages);
      expectObservable(source.pipe(chunk({ size: 2, maxWaitMs: 10, scheduler: counting }), map(ids))).toBe(
        '-x-y-z-----------w|',
        { x: 'ab', y: 'cd', z: 'ef', w: 'g' },
      );
    });
    expect(timers).toEqual([10, 7]);
  });

  it('stops its timer when it finds no batch open', () => {
    const ts = scheduler();
    const { timers, counting } = countTimers(ts);
    ts.run(({ hot, expectObservable }) => {
      const source = hot('ab------------------|', messages);
      expectObservable(source.pipe(chunk({ size: 2, maxWaitMs: 5, scheduler: counting }), map(ids))).toBe(
        '-x------------------|',
        { x: 'ab' },
      );
    });
    expect(timers).toEqual([5]);
  });

  it('uses the defaults: size 100 and maxWaitMs 100', () => {
    const ts = scheduler();
    ts.run(({ hot, expectObservable }) => {
      const source = hot('a', messages);
      expectObservable(source.pipe(chunk({ scheduler: ts }), map(ids)), '^ 200ms !').toBe('100ms x', { x: 'a' });
    });
  });
});

describe('chunk: very long waits', () => {
  it('treats a maxWaitMs beyond what a timer holds (2^31 ms) as no wait, not as 1 ms', async () => {
    const source = new Subject<Message<string>>();
    const batches: string[] = [];
    source.pipe(chunk({ size: 5, maxWaitMs: 2 ** 31 }), map(ids)).subscribe((b) => batches.push(b));
    source.next(fake('a'));
    // An absence to check: a 1 ms timer would have flushed [a] long before this 20 ms one fires.
    await new Promise((r) => setTimeout(r, 20));
    expect(batches).toEqual([]);
    source.complete();
    expect(batches).toEqual(['a']);
  });
});

describe('chunk: the batch arrays', () => {
  it('emits a partial batch as a dense array of exactly its messages', () => {
    const source = new Subject<Message<string>>();
    const batches: Batch<string>[] = [];
    source.pipe(chunk({ size: 10, maxWaitMs: Infinity })).subscribe((b) => batches.push(b));
    source.next(fake('a'));
    source.next(fake('b'));
    source.complete();
    expect(batches).toHaveLength(1);
    const [batch] = batches as [Batch<string>];
    expect(batch.length).toBe(2);
    // No trailing holes: every index up to length holds a message.
    expect(Object.keys(batch)).toEqual(['0', '1']);
    expect(ids(batch)).toBe('ab');
  });

  it('fills batches larger than it allocates ahead, and starts each batch on a new array', () => {
    const source = new Subject<Message<string>>();
    const batches: Batch<string>[] = [];
    source.pipe(chunk({ size: 3000, maxWaitMs: Infinity })).subscribe((b) => batches.push(b));
    const sent = Array.from({ length: 4500 }, (_, i) => fake(String(i)));
    for (const m of sent) source.next(m);
    source.complete();
    expect(batches.map((b) => b.length)).toEqual([3000, 1500]);
    expect(batches[0]).not.toBe(batches[1]);
    expect([...(batches[0] ?? []), ...(batches[1] ?? [])]).toEqual(sent);
    expect(Object.keys(batches[1] ?? []).length).toBe(1500);
  });
});

describe('chunk: validation', () => {
  const bad: [string, ChunkOptions][] = [
    ['size', { size: 0 }],
    ['size', { size: -1 }],
    ['size', { size: 2.5 }],
    ['maxWaitMs', { maxWaitMs: -1 }],
    ['maxWaitMs', { maxWaitMs: Number.NaN }],
  ];
  it.each(bad)('throws InvalidOptionError naming `%s` at construction', (option, options) => {
    expect(() => chunk(options)).toThrow(InvalidOptionError);
    expect(() => chunk(options)).toThrow(`\`${option}\``);
  });
});
