import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exponential, fixed } from './backoff.js';
import { InvalidOptionError } from './errors.js';

describe('exponential', () => {
  it('grows by factor from initialMs and stops at maxMs, without jitter', () => {
    const backoff = exponential({ initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6, 50].map(backoff)).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it('takes at most `jitter` of the delay off, from the random source', () => {
    const low = exponential({ initialMs: 100, maxMs: 1_000, jitter: 0.5, random: () => 0.999_999 });
    const high = exponential({ initialMs: 100, maxMs: 1_000, jitter: 0.5, random: () => 0 });
    expect(low(1)).toBe(50);
    expect(high(1)).toBe(100);
    expect(low(10)).toBe(500);
  });

  it('stays within [base * (1 - jitter), base] and never exceeds maxMs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 100 }),
        (initialMs, extra, factor, jitter, attempt) => {
          const maxMs = initialMs + extra;
          const base = Math.min(maxMs, initialMs * factor ** (attempt - 1));
          const delay = exponential({ initialMs, maxMs, factor, jitter })(attempt);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(base * (1 - jitter)));
          expect(delay).toBeLessThanOrEqual(Math.ceil(base));
          expect(delay).toBeLessThanOrEqual(maxMs);
          expect(Number.isInteger(delay)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('spreads delays apart with the default jitter', () => {
    const backoff = exponential({ initialMs: 1_000 });
    const delays = new Set(Array.from({ length: 50 }, () => backoff(1)));
    expect(delays.size).toBeGreaterThan(1);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(800);
  });

  it('treats attempt 0 or below like the first attempt', () => {
    expect(exponential({ initialMs: 100, jitter: 0 })(0)).toBe(100);
  });

  const bad: [string, Parameters<typeof exponential>[0]][] = [
    ['initialMs', { initialMs: -1 }],
    ['maxMs', { maxMs: Infinity }],
    ['maxMs', { initialMs: 500, maxMs: 100 }],
    ['factor', { factor: 0.5 }],
    ['factor', { factor: Infinity }],
    ['jitter', { jitter: 1.5 }],
    ['jitter', { jitter: -0.1 }],
  ];
  it.each(bad)('throws InvalidOptionError naming `%s`', (option, options) => {
    expect(() => exponential(options)).toThrow(InvalidOptionError);
    expect(() => exponential(options)).toThrow(`\`${option}\``);
  });
});

describe('fixed', () => {
  it('returns the same delay for every attempt, 0 by default', () => {
    expect([1, 2, 10].map(fixed({ delayMs: 250 }))).toEqual([250, 250, 250]);
    expect(fixed()(3)).toBe(0);
  });

  it('rejects a negative or non-finite delay', () => {
    expect(() => fixed({ delayMs: -1 })).toThrow('`delayMs`');
    expect(() => fixed({ delayMs: Infinity })).toThrow(InvalidOptionError);
  });
});
