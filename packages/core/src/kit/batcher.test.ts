import { describe, expect, it } from 'vitest';
import { batcher } from './batcher.js';
import { InvalidOptionError } from '../errors.js';

describe('batcher', () => {
  it('writes items added in the same turn in one call, and resolves them together', async () => {
    const writes: number[][] = [];
    const b = batcher<number>({ flush: async (items) => void writes.push(items) });
    const added = [b.add(1), b.add(2), b.add(3)];
    expect(writes).toEqual([]);
    await Promise.all(added);
    expect(writes).toEqual([[1, 2, 3]]);
    await b.add(4);
    expect(writes).toEqual([[1, 2, 3], [4]]);
  });

  it('writes at once when maxSize items are waiting, and the rest in a later batch', async () => {
    const writes: number[][] = [];
    const b = batcher<number>({ flush: async (items) => void writes.push(items), maxSize: 2 });
    const added = [1, 2, 3, 4, 5].map((n) => b.add(n));
    await Promise.all(added);
    expect(writes).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('runs writes one after another, in order', async () => {
    const log: string[] = [];
    let releaseFirst!: () => void;
    const firstWrite = new Promise<void>((r) => (releaseFirst = r));
    const b = batcher<string>({
      maxSize: 1,
      flush: async ([item]) => {
        log.push(`start ${item}`);
        if (item === 'a') await firstWrite;
        log.push(`end ${item}`);
      },
    });
    const a = b.add('a');
    const second = b.add('b');
    await Promise.resolve();
    await Promise.resolve();
    expect(log).toEqual(['start a']);
    releaseFirst();
    await Promise.all([a, second]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('rejects every add of a failed batch, and goes on with the next', async () => {
    let fail = true;
    const b = batcher<number>({
      flush: async () => {
        if (fail) throw new Error('broker refused');
      },
    });
    const failed = [b.add(1), b.add(2)];
    const results = await Promise.allSettled(failed);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(b.add(3)).resolves.toBeUndefined();
  });

  it('flush() writes what waits now and waits for writes in progress', async () => {
    const writes: number[][] = [];
    const b = batcher<number>({ flush: async (items) => void writes.push(items) });
    void b.add(1);
    void b.add(2);
    await b.flush();
    expect(writes).toEqual([[1, 2]]);
    await b.flush();
    expect(writes).toEqual([[1, 2]]);
  });

  it('validates maxSize', () => {
    expect(() => batcher({ flush: async () => undefined, maxSize: 0 })).toThrow(InvalidOptionError);
    expect(() => batcher({ flush: async () => undefined, maxSize: 0 })).toThrow('`maxSize`');
  });
});
