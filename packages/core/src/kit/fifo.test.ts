import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.js';

describe('Fifo', () => {
  it('takes items in the order they came, across compactions, like an array used as a queue', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.constant(-1), fc.constant(0))), (ops) => {
        const q = new Fifo<number>();
        const model: number[] = [];
        const taken: (number | undefined)[] = [];
        const expected: (number | undefined)[] = [];
        const sizes: [number, number][] = [];
        let next = 0;
        for (const op of ops) {
          if (op > 0) {
            // Push a run of items (long runs cross the compaction threshold).
            for (let i = 0; i < op; i++) {
              q.push(next);
              model.push(next++);
            }
          } else if (op < 0) {
            q.clear();
            model.length = 0;
          } else {
            // Take up to 2,000 items.
            for (let i = 0; i < 2000; i++) {
              taken.push(q.shift());
              expected.push(model.shift());
            }
          }
          sizes.push([q.size, model.length]);
        }
        expect(taken).toEqual(expected);
        for (const [size, length] of sizes) expect(size).toBe(length);
      }),
      { numRuns: 100 },
    );
  });

  it('returns undefined when empty', () => {
    const q = new Fifo<string>();
    expect(q.shift()).toBeUndefined();
    q.push('a');
    expect(q.shift()).toBe('a');
    expect(q.shift()).toBeUndefined();
    expect(q.size).toBe(0);
  });
});
