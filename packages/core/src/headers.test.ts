import { describe, expect, it } from 'vitest';
import { attemptOf, deadLetterHeaders, HEADERS, resendHeaders } from './headers.js';

describe('headers', () => {
  it('attemptOf reads the attempt header, 1 when absent or invalid', () => {
    expect(attemptOf(undefined)).toBe(1);
    expect(attemptOf({})).toBe(1);
    expect(attemptOf({ [HEADERS.attempt]: '4' })).toBe(4);
    for (const bad of ['0', '-2', '1.5', 'two', '']) expect(attemptOf({ [HEADERS.attempt]: bad })).toBe(1);
  });

  it('resendHeaders keeps the old headers and records the attempt and the error', () => {
    const out = resendHeaders(
      { trace: 't1', [HEADERS.attempt]: '1' },
      {
        attempt: 2,
        delayMs: 0,
        error: { name: 'TypeError', message: 'bad' },
      },
    );
    expect(out).toEqual({
      trace: 't1',
      [HEADERS.attempt]: '2',
      [HEADERS.errorName]: 'TypeError',
      [HEADERS.errorMessage]: 'bad',
    });
    expect(resendHeaders(undefined, { attempt: 3, delayMs: 5 })).toEqual({ [HEADERS.attempt]: '3' });
  });

  it('deadLetterHeaders records reason, time, origin and a truncated error message', () => {
    const out = deadLetterHeaders(
      { trace: 't1' },
      { reason: 'max-attempts', at: 1_700_000_000_000, error: { name: 'Error', message: 'm'.repeat(5_000) } },
      'orders',
    );
    expect(out).toMatchObject({
      trace: 't1',
      [HEADERS.deadReason]: 'max-attempts',
      [HEADERS.deadAt]: '1700000000000',
      [HEADERS.origin]: 'orders',
      [HEADERS.errorName]: 'Error',
    });
    expect(out[HEADERS.errorMessage]?.length).toBe(1_001);
  });
});
