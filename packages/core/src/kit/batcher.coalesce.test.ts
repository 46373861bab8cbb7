import { describe, expect, it } from 'vitest';
import { batcher } from './batcher.js';

// Moved from @rxq/postgres, whose Coalescer this mode replaces.
describe('batcher, mode coalesce', () => {
  it('writes one turn in one write, and everything added during a write in the next one', async () => {
    const writes: number[][] = [];
    let release!: () => void;
    const c = batcher<number>({
      mode: 'coalesce',
      maxSize: 1_000,
      flush: async (items) => {
        writes.push(items);
        if (writes.length === 1) await new Promise<void>((r) => (release = r));
      },
    });
    const first = [c.add(1), c.add(2)];
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([[1, 2]]);
    // While the first write is out, many turns of adds wait for one write.
    const later: Promise<void>[] = [];
    for (let i = 3; i <= 10; i++) {
      later.push(c.add(i));
      await new Promise((r) => setImmediate(r));
    }
    expect(writes).toHaveLength(1);
    release();
    await Promise.all([...first, ...later]);
    expect(writes).toEqual([
      [1, 2],
      [3, 4, 5, 6, 7, 8, 9, 10],
    ]);
  });

  it('splits by maxSize, rejects a failed batch, and flush waits for the last write', async () => {
    const writes: number[][] = [];
    const c = batcher<number>({
      mode: 'coalesce',
      maxSize: 2,
      flush: async (items) => {
        writes.push(items);
        if (items.includes(99)) throw new Error('down');
      },
    });
    const ps = [c.add(1), c.add(2), c.add(3)];
    await c.flush();
    await Promise.all(ps);
    expect(writes).toEqual([[1, 2], [3]]);
    await expect(c.add(99)).rejects.toThrow('down');
    await c.flush();
  });
});
