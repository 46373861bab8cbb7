import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import { BatchWriter, batcher } from './batcher.js';
import { PullBuffer } from './pullBuffer.js';
import { serial } from './serial.js';
import { bool, codecOption, duration, nonEmpty, numberIn, oneOf } from './validate.js';
import { Wakeup, wakeOrTimeout, within } from './wake.js';

describe('batcher modes', () => {
  it('coalesce: one write in flight; what comes meanwhile goes in the next single write', async () => {
    const writes: number[][] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const b = batcher<number>({
      mode: 'coalesce',
      flush: async (items) => {
        writes.push(items);
        if (writes.length === 1) await first;
      },
    });
    const a = b.add(1);
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([[1]]);
    const later = [b.add(2), b.add(3)];
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([[1]]);
    release();
    await Promise.all([a, ...later]);
    expect(writes).toEqual([[1], [2, 3]]);
  });

  it('coalesce: a batch never exceeds maxSize, and each add resolves with its own write', async () => {
    const writes: number[][] = [];
    const b = batcher<number>({ mode: 'coalesce', maxSize: 2, flush: async (items) => void writes.push(items) });
    await Promise.all([1, 2, 3, 4, 5].map((n) => b.add(n)));
    expect(writes).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('parallel: a batch is written without waiting for the one before', async () => {
    const started: number[][] = [];
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const b = batcher<number>({
      mode: 'parallel',
      maxSize: 2,
      flush: async (items) => {
        started.push(items);
        await hold;
      },
    });
    const all = [1, 2, 3, 4].map((n) => b.add(n));
    expect(started).toEqual([
      [1, 2],
      [3, 4],
    ]);
    release();
    await Promise.all(all);
    await b.flush();
  });

  it('rejects an unknown mode, naming the option', () => {
    expect(() => batcher({ flush: async () => undefined, mode: 'eager' as never })).toThrow('`mode`');
  });

  it('take() hands the open batch to the caller, who settles its adds', async () => {
    const items: string[] = [];
    const writes: string[][] = [];
    const writer = new BatchWriter<string[]>({
      buffer: {
        get size() {
          return items.length;
        },
        cut: () => items.splice(0),
      },
      write: async (batch) => void writes.push(batch),
    });
    writer.hold();
    items.push('a');
    const added = writer.added();
    const taken = writer.take();
    expect(taken?.batch).toEqual(['a']);
    taken?.done(new Error('read failed'));
    await expect(added).rejects.toThrow('read failed');
    writer.unhold();
    await writer.flush();
    expect(writes).toEqual([]);
  });
});

describe('PullBuffer', () => {
  it('wakes a waiting receive with what one chunk pushed, as one batch', async () => {
    const buffer = new PullBuffer<number>(60_000);
    const received = buffer.receive(10);
    buffer.push(1);
    buffer.push(2);
    await expect(received).resolves.toEqual([1, 2]);
  });

  it('resolves empty after pollMs when nothing comes', async () => {
    await expect(new PullBuffer<number>(5).receive(10)).resolves.toEqual([]);
  });

  it('takes no more than max', async () => {
    const buffer = new PullBuffer<number>(60_000);
    [1, 2, 3].forEach((n) => buffer.push(n));
    await expect(buffer.receive(2)).resolves.toEqual([1, 2]);
    expect(buffer.size).toBe(1);
  });

  it('drop() resolves the waiting receive empty and drops what is buffered', async () => {
    const buffer = new PullBuffer<number>(60_000);
    const received = buffer.receive(10);
    buffer.drop();
    await expect(received).resolves.toEqual([]);
    buffer.push(1);
    buffer.drop();
    await expect(buffer.receive(10)).resolves.toEqual([]);
  });

  it('end() resolves the waiting receive empty, later ones at once', async () => {
    const buffer = new PullBuffer<number>(60_000);
    const received = buffer.receive(10);
    buffer.end();
    await expect(received).resolves.toEqual([]);
    await expect(buffer.receive(10)).resolves.toEqual([]);
  });
});

describe('Wakeup and friends', () => {
  it('Wakeup: wake() ends the wait as woken; the timeout as not', async () => {
    const w = new Wakeup();
    const woken = w.wait(60_000);
    expect(w.waiting).toBe(true);
    expect(w.wake()).toBe(true);
    await expect(woken).resolves.toBe(true);
    expect(w.wake()).toBe(false);
    await expect(w.wait(5)).resolves.toBe(false);
  });

  it('wakeOrTimeout resolves true when woken, false on time out', async () => {
    await expect(wakeOrTimeout(60_000, (wake) => queueMicrotask(wake))).resolves.toBe(true);
    await expect(wakeOrTimeout(5, () => undefined)).resolves.toBe(false);
  });

  it('within says whether the work ended in time', async () => {
    await expect(within(Promise.resolve(), 60_000)).resolves.toBe(true);
    await expect(within(new Promise(() => undefined), 5)).resolves.toBe(false);
    await expect(within(Promise.reject(new Error('boom')), 60_000)).rejects.toThrow('boom');
  });
});

describe('serial', () => {
  it('runs operations one at a time, in order, past a failure', async () => {
    const chain = serial();
    const log: string[] = [];
    let release!: () => void;
    const first = chain.run(async () => {
      log.push('start 1');
      await new Promise<void>((r) => (release = r));
      log.push('end 1');
      throw new Error('one failed');
    });
    const second = chain.run(() => void log.push('2'));
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['start 1']);
    release();
    await expect(first).rejects.toThrow('one failed');
    await second;
    await chain.idle();
    expect(log).toEqual(['start 1', 'end 1', '2']);
  });
});

describe('option validators', () => {
  it('name the option and take the fallback when undefined', () => {
    expect(duration('blockMs', undefined, 1_000, 10)).toBe(1_000);
    expect(() => duration('blockMs', 5, 1_000, 10)).toThrow(InvalidOptionError);
    expect(() => duration('blockMs', 5, 1_000, 10)).toThrow('`blockMs`');
    expect(nonEmpty('group', undefined, 'g')).toBe('g');
    expect(() => nonEmpty('group', '')).toThrow('`group`');
    expect(() => bool('ephemeral', 'yes', false)).toThrow('`ephemeral`');
    expect(numberIn('waitTimeSeconds', 3, 20, { min: 0, max: 20, integer: true })).toBe(3);
    expect(() => numberIn('waitTimeSeconds', 3.5, 20, { min: 0, max: 20, integer: true })).toThrow('`waitTimeSeconds`');
    expect(oneOf('queueType', undefined, ['classic', 'quorum'], 'classic')).toBe('classic');
    expect(() => oneOf('queueType', 'stream', ['classic', 'quorum'], 'classic')).toThrow('`queueType`');
    expect(() => codecOption({ decode: () => 1 }, { encode: true })).toThrow('`codec`');
    expect(codecOption(undefined)).toBeUndefined();
  });
});
