import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketOf, LATENCY_BOUNDS_MS, quantile } from './histogram.js';

describe('latency histogram', () => {
  it('puts a duration in the first bucket whose bound is at least it, and past the last in overflow', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(0.05)).toBe(0);
    expect(bucketOf(0.051)).toBe(1);
    expect(bucketOf(1_000_000)).toBe(LATENCY_BOUNDS_MS.length);
  });

  it('reads an empty histogram as null', () => {
    expect(quantile(new Array(LATENCY_BOUNDS_MS.length + 1).fill(0), 0.5)).toBeNull();
  });

  it('reads every quantile within a bucket (19 %) of the exact one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.06, max: 80_000, noNaN: true }), { minLength: 1, maxLength: 500 }),
        fc.constantFrom(0.5, 0.9, 0.99),
        (durations, q) => {
          const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
          for (const d of durations) counts[bucketOf(d)]! += 1;
          const sorted = [...durations].sort((a, b) => a - b);
          const exact = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
          const read = quantile(counts, q)!;
          expect(read).toBeGreaterThanOrEqual(exact / 1.2);
          expect(read).toBeLessThanOrEqual(exact * 1.2);
        },
      ),
    );
  });
});
