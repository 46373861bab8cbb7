import { InvalidOptionError } from '../errors.js';

/**
 * The {@link InvalidOptionError} that `make` throws (a factory or constructor called with a bad
 * option), for the test to look at its `option` and message. Throws when `make` throws nothing or
 * another error. Under any test runner: it imports nothing but rxq.
 *
 * @example
 * expect(invalidOption(() => fromQueue(connector, { maxInflight: 5 } as never)).option).toBe('maxInflight');
 */
export function invalidOption(make: () => unknown): InvalidOptionError {
  try {
    make();
  } catch (error) {
    if (error instanceof InvalidOptionError && error.name === 'InvalidOptionError' && error.code === 'INVALID_OPTION')
      return error;
    throw new Error(`expected an InvalidOptionError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected an InvalidOptionError, but nothing was thrown');
}
