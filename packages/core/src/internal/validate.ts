import { InvalidOptionError } from '../errors.js';

/** Throws unless `value` is an integer ≥ 1 (or Infinity when `allowInfinity`). */
export function positiveInt(option: string, value: unknown, allowInfinity = false): number {
  if (typeof value === 'number' && ((allowInfinity && value === Infinity) || (Number.isInteger(value) && value >= 1)))
    return value;
  throw new InvalidOptionError(option, allowInfinity ? 'an integer ≥ 1 or Infinity' : 'an integer ≥ 1', value);
}

/** Throws unless `value` is a finite number ≥ 0 (or Infinity when `allowInfinity`). */
export function nonNegative(option: string, value: unknown, allowInfinity = false): number {
  if (typeof value === 'number' && value >= 0 && (allowInfinity || Number.isFinite(value))) return value;
  throw new InvalidOptionError(option, allowInfinity ? 'a number ≥ 0 or Infinity' : 'a finite number ≥ 0', value);
}

/** Throws unless `value` is a function. */
export function fn<F>(option: string, value: F): F {
  if (typeof value === 'function') return value;
  throw new InvalidOptionError(option, 'a function', value);
}

/** Applies `check` when `value` is defined, else returns `fallback`. */
export function opt<V>(value: V | undefined, fallback: V, check: (v: V) => V): V {
  return value === undefined ? fallback : check(value);
}
