import { InvalidOptionError } from '@rxq/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryQueue } from './memoryQueue.js';
import { Timeout } from './timeout.js';

/** Whether `promise` has settled, after every pending microtask has run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('MemoryQueue: push and pull', () => {
  it('is FIFO across push, pushMany, pull and pullMany', async () => {
    const q = new MemoryQueue<string>();
    q.push('a');
    q.pushMany(['b', 'c', 'd']);
    expect(q.size).toBe(4);
    expect(await q.pull()).toBe('a');
    expect(await q.pullMany(2)).toEqual(['b', 'c']);
    expect(await q.pull({ timeoutMs: 0 })).toBe('d');
    expect(q.size).toBe(0);
  });

  it('keeps falsy values, and pushMany takes any iterable', async () => {
    const q = new MemoryQueue<number | null | string>();
    q.pushMany(new Set([0, null, '']));
    expect(await q.pullMany(3)).toEqual([0, null, '']);
  });

  it('pull waits until an item arrives', async () => {
    const q = new MemoryQueue<string>();
    const pulled = q.pull();
    expect(await settled(pulled)).toBe(false);
    q.push('late');
    expect(await pulled).toBe('late');
    expect(q.size).toBe(0);
  });

  it('pull with timeoutMs 0 takes what is there now, or rejects with Timeout', async () => {
    const q = new MemoryQueue<string>();
    const error = await q.pull({ timeoutMs: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Timeout);
    expect(error).toMatchObject({ name: 'Timeout', code: 'TIMEOUT', retryable: true });
    q.push('x');
    expect(await q.pull({ timeoutMs: 0 })).toBe('x');
  });
});

describe('MemoryQueue: pullMany', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('without a timeout waits for all n items', async () => {
    const q = new MemoryQueue<number>();
    const pulled = q.pullMany(3);
    q.push(1);
    q.push(2);
    expect(await settled(pulled)).toBe(false);
    q.pushMany([3, 4]);
    expect(await pulled).toEqual([1, 2, 3]);
    expect(q.size).toBe(1);
  });

  it('with a timeout returns as soon as it has n', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const q = new MemoryQueue<number>();
    const pulled = q.pullMany(2, { timeoutMs: 1_000 });
    q.push(1);
    expect(await settled(pulled)).toBe(false);
    q.push(2);
    expect(await pulled).toEqual([1, 2]);
  });

  it('with a timeout returns what it got by then', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const q = new MemoryQueue<number>();
    q.push(1);
    const pulled = q.pullMany(5, { timeoutMs: 50 });
    await vi.advanceTimersByTimeAsync(20);
    q.push(2);
    await vi.advanceTimersByTimeAsync(20);
    expect(await settled(pulled)).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    expect(await pulled).toEqual([1, 2]);
  });

  it('with a timeout rejects with Timeout when it got nothing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const q = new MemoryQueue<number>();
    const pulled = q.pullMany(5, { timeoutMs: 50 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(49);
    expect(await settled(pulled)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await pulled).toBeInstanceOf(Timeout);
    // The timed-out waiter is gone: a later item goes to the next puller.
    q.push(9);
    expect(await q.pull({ timeoutMs: 0 })).toBe(9);
  });

  it('pullMany(null, { timeoutMs: 0 }) drains the queue; an empty queue is a Timeout', async () => {
    const q = new MemoryQueue<number>();
    q.pushMany(range(0, 40));
    expect(await q.pullMany(null, { timeoutMs: 0 })).toEqual(range(0, 40));
    expect(q.size).toBe(0);
    await expect(q.pullMany(null, { timeoutMs: 0 })).rejects.toBeInstanceOf(Timeout);
  });

  it('validates n and timeoutMs', async () => {
    const q = new MemoryQueue<number>();
    const bad: [string, () => Promise<unknown>][] = [
      ['n', () => q.pullMany(0)],
      ['n', () => q.pullMany(-1, { timeoutMs: 0 })],
      ['n', () => q.pullMany(1.5, { timeoutMs: 0 })],
      ['n', () => q.pullMany(null)],
      ['timeoutMs', () => q.pullMany(1, { timeoutMs: -1 })],
      ['timeoutMs', () => q.pull({ timeoutMs: Number.NaN })],
    ];
    for (const [option, call] of bad) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option });
    }
  });
});

describe('MemoryQueue: ring buffer', () => {
  it('grows past 16 items, keeping order across the wrap-around', async () => {
    const q = new MemoryQueue<number>();
    q.pushMany(range(0, 12));
    expect(await q.pullMany(10)).toEqual(range(0, 10));
    // head is at 10 of 16: these wrap around, then force two growths.
    q.pushMany(range(12, 60));
    expect(q.size).toBe(50);
    expect(await q.pullMany(null, { timeoutMs: 0 })).toEqual(range(10, 60));
  });

  it('stays FIFO over many interleaved pushes and pulls', async () => {
    const q = new MemoryQueue<number>();
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      q.pushMany(range(next, next + 7));
      next += 7;
      out.push(...(await q.pullMany(5)));
    }
    out.push(...(await q.pullMany(null, { timeoutMs: 0 })));
    expect(out).toEqual(range(0, next));
  });
});

describe('MemoryQueue: concurrent pullers', () => {
  it('serves waiting pullers in the order they came, one item each', async () => {
    const q = new MemoryQueue<string>();
    const first = q.pull();
    const second = q.pull();
    const third = q.pull();
    q.pushMany(['a', 'b']);
    expect(await first).toBe('a');
    expect(await second).toBe('b');
    expect(await settled(third)).toBe(false);
    q.push('c');
    expect(await third).toBe('c');
  });

  it('gives each item to exactly one of many pullers', async () => {
    const q = new MemoryQueue<number>();
    const pulls = range(0, 30).map(() => q.pull());
    const batches = [q.pullMany(5), q.pullMany(5)];
    for (const n of range(0, 40)) q.push(n);
    const got = [...(await Promise.all(pulls)), ...(await Promise.all(batches)).flat()];
    expect(got.sort((a, b) => a - b)).toEqual(range(0, 40));
  });

  it('a woken puller whose item was taken by a quicker one waits again', async () => {
    const q = new MemoryQueue<string>();
    const waiting = q.pull();
    q.push('x');
    // Runs before the woken puller gets its turn, and takes the item.
    expect(await q.pull({ timeoutMs: 0 })).toBe('x');
    expect(await settled(waiting)).toBe(false);
    q.push('y');
    expect(await waiting).toBe('y');
  });
});
