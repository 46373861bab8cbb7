import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import { invalidOption } from './invalidOption.js';
import { until } from './until.js';

describe('until', () => {
  it('resolves once the check holds, sync or async', async () => {
    let calls = 0;
    await until(() => ++calls === 3, { intervalMs: 1 });
    expect(calls).toBe(3);
    let asyncCalls = 0;
    await until(async () => Promise.resolve(++asyncCalls === 2), { intervalMs: 1 });
    expect(asyncCalls).toBe(2);
  });

  it('rejects after the deadline, naming what was awaited', async () => {
    await expect(until(() => false, { what: 'the queue empty', timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(
      'until: the queue empty not met within 30 ms',
    );
    let seen = 0;
    await expect(
      until(() => ++seen < 0, { what: () => `a negative count (last ${seen})`, timeoutMs: 30, intervalMs: 5 }),
    ).rejects.toThrow(/until: a negative count \(last \d+\) not met within 30 ms/);
  });

  it('names the check by its source text when no what is given', async () => {
    const items: number[] = [];
    await expect(until(() => items.length === 1, { timeoutMs: 20, intervalMs: 5 })).rejects.toThrow(
      'until: () => items.length === 1 not met within 20 ms',
    );
  });

  it('rejects at once with what the check throws', async () => {
    const started = Date.now();
    await expect(
      until(
        () => {
          throw new Error('broker down');
        },
        { timeoutMs: 5_000 },
      ),
    ).rejects.toThrow('broker down');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('invalidOption', () => {
  it('returns the InvalidOptionError thrown', () => {
    const thrown = new InvalidOptionError('maxInFlight', 'a positive integer', 0);
    expect(
      invalidOption(() => {
        throw thrown;
      }),
    ).toBe(thrown);
  });

  it('throws when nothing or another error is thrown', () => {
    expect(() => invalidOption(() => 1)).toThrow('expected an InvalidOptionError, but nothing was thrown');
    expect(() =>
      invalidOption(() => {
        throw new TypeError('nope');
      }),
    ).toThrow('expected an InvalidOptionError, got TypeError: nope');
  });
});
