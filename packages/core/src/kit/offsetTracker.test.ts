import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OffsetTracker } from './offsetTracker.js';

describe('OffsetTracker', () => {
  it('commits the first unsettled offset, or one past the last when all are settled', () => {
    const t = new OffsetTracker();
    expect(t.committable).toBeUndefined();
    t.add(5);
    t.add(6);
    t.add(8);
    expect(t.settle(6)).toBe(true);
    expect(t.committable).toBe(5);
    expect(t.settle(6)).toBe(false);
    expect(t.settle(7)).toBe(false);
    t.settle(5);
    expect(t.committable).toBe(8);
    t.settle(8);
    expect(t.committable).toBe(9);
    expect(t.pending).toBe(0);
  });

  it('never commits past an unsettled offset, whatever the settle order (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3000 }),
        fc.infiniteStream(fc.nat()),
        (start, gaps, picks) => {
          const t = new OffsetTracker();
          const offsets: number[] = [];
          let o = start;
          for (const g of gaps) {
            offsets.push(o);
            t.add(o);
            o += g;
          }
          const unsettled = new Set(offsets);
          const order = [...offsets];
          const it = picks[Symbol.iterator]();
          let previous = t.committable ?? -1;
          while (order.length > 0) {
            const i = (it.next().value as number) % order.length;
            const [offset] = order.splice(i, 1) as [number];
            expect(t.settle(offset)).toBe(true);
            unsettled.delete(offset);
            const c = t.committable as number;
            // Never past an unsettled offset, never backwards.
            for (const u of unsettled) expect(c).toBeLessThanOrEqual(u);
            expect(c).toBeGreaterThanOrEqual(previous);
            // As far as it can go: the lowest unsettled one, or past the last.
            const lowest = unsettled.size > 0 ? Math.min(...unsettled) : (offsets.at(-1) as number) + 1;
            expect(c).toBe(lowest);
            previous = c;
          }
          expect(t.pending).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('keeps tracking while new offsets arrive between settlements (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 5000 }),
        fc.infiniteStream(fc.nat()),
        (ops, picks) => {
          const t = new OffsetTracker();
          const open: number[] = [];
          let next = 0;
          const it = picks[Symbol.iterator]();
          for (const addNow of ops) {
            if (addNow || open.length === 0) {
              t.add(next);
              open.push(next++);
            } else {
              const [offset] = open.splice((it.next().value as number) % open.length, 1) as [number];
              t.settle(offset);
            }
            const c = t.committable as number;
            expect(c).toBe(open.length > 0 ? Math.min(...open) : next);
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});
