import { describe, expect, it } from 'vitest';
import {
  ConnectionGaveUpError,
  ConnectionLostError,
  DecodeError,
  errorInfo,
  HandlerTimeoutError,
  InvalidOptionError,
  isRetryable,
  RxqError,
} from './errors.js';
import { PartialFailure } from './outcome.js';

describe('errors', () => {
  it('share one base class with a code, a retryable flag and a cause', () => {
    const cause = new Error('socket closed');
    const all = [
      new InvalidOptionError('maxInFlight', 'an integer ≥ 1', 0),
      new HandlerTimeoutError(10),
      new DecodeError('json', 'the body is empty'),
      new ConnectionLostError('lost', cause),
      new ConnectionGaveUpError('orders', 3, cause),
      new PartialFailure([]),
    ];
    for (const error of all) expect(error).toBeInstanceOf(RxqError);
    expect(all.map((e) => [e.name, e.code, e.retryable])).toEqual([
      ['InvalidOptionError', 'INVALID_OPTION', false],
      ['HandlerTimeoutError', 'HANDLER_TIMEOUT', true],
      ['DecodeError', 'DECODE_FAILED', false],
      ['ConnectionLostError', 'CONNECTION_LOST', true],
      ['ConnectionGaveUpError', 'CONNECTION_GAVE_UP', false],
      ['PartialFailure', 'PARTIAL_FAILURE', true],
    ]);
    expect(all[3]?.cause).toBe(cause);
    expect(new RxqError('X', 'no cause')).not.toHaveProperty('cause');
  });

  it('say which option to change', () => {
    expect(new InvalidOptionError('maxInFlight', 'an integer ≥ 1', 0).message).toBe(
      'Invalid option `maxInFlight`: expected an integer ≥ 1, got 0.',
    );
    expect(new ConnectionGaveUpError('orders', 3).message).toContain('reconnect.maxRetries');
    expect(new HandlerTimeoutError(250).message).toContain('timeoutMs (250 ms)');
  });

  it('describe a bad option value briefly, truncating long strings', () => {
    const long = 'x'.repeat(100);
    const message = new InvalidOptionError('name', 'a short string', long).message;
    expect(message).not.toContain(long);
    expect(message).toContain('…');
    expect(new InvalidOptionError('stop', 'an AbortSignal', { token: 'secret' }).message).not.toContain('secret');
    expect(new InvalidOptionError('key', 'a function', [1]).message).toContain('an array');
  });

  it('isRetryable is false only when the error says so', () => {
    expect(isRetryable(new Error('x'))).toBe(true);
    expect(isRetryable(undefined)).toBe(true);
    expect(isRetryable('text')).toBe(true);
    expect(isRetryable({ retryable: false })).toBe(false);
    expect(isRetryable(new RxqError('X', 'y'))).toBe(false);
    expect(isRetryable(new ConnectionLostError('z'))).toBe(true);
  });

  it('errorInfo keeps name and message of anything thrown', () => {
    expect(errorInfo(new TypeError('bad'))).toEqual({ name: 'TypeError', message: 'bad' });
    expect(errorInfo('plain')).toEqual({ name: 'Error', message: 'plain' });
    expect(errorInfo(undefined)).toEqual({ name: 'Error', message: 'undefined' });
    expect(errorInfo({ password: 'hunter2' }).message).not.toContain('hunter2');
  });
});
