import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from './errors.js';
import { rejectUnknownOptions } from './options.js';

describe('rejectUnknownOptions', () => {
  const known = ['maxInFlight', 'codec', 'reconnect', 'drainTimeoutMs'] as const;

  it('accepts known keys and undefined', () => {
    expect(() => rejectUnknownOptions({ maxInFlight: 1, codec: undefined }, known)).not.toThrow();
    expect(() => rejectUnknownOptions(undefined, known)).not.toThrow();
  });

  it('names an unknown key and the closest known one', () => {
    const error = (() => {
      try {
        rejectUnknownOptions({ maxInflight: 1 }, known);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('maxInflight');
    expect((error as Error).message).toBe('Unknown option `maxInflight`; did you mean `maxInFlight`?');
  });

  it('names nested options by their path', () => {
    expect(() => rejectUnknownOptions({ maxMS: 1 }, ['initialMs', 'maxMs'], 'reconnect')).toThrow(
      'Unknown option `reconnect.maxMS`; did you mean `reconnect.maxMs`?',
    );
  });

  it('suggests nothing for a name far from every known one', () => {
    expect(() => rejectUnknownOptions({ colour: 'red' }, known)).toThrow(/^Unknown option `colour`\.$/);
  });

  it('rejects a non-object', () => {
    expect(() => rejectUnknownOptions(5 as unknown as object, known, 'reconnect')).toThrow(InvalidOptionError);
  });
});
