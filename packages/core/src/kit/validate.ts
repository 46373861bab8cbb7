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

/**
 * A duration option: `fallback` when undefined, else a finite number of milliseconds ≥ `min`.
 *
 * @example
 * const blockMs = duration('blockMs', options.blockMs, 1_000, 10);
 */
export function duration(option: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value >= min) return value;
  throw new InvalidOptionError(option, `a finite number of milliseconds ≥ ${min}`, value);
}

/** A string option: `fallback` when undefined (and one is given), else a non-empty string. */
export function nonEmpty(option: string, value: unknown, fallback?: string): string {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === 'string' && value.length > 0) return value;
  throw new InvalidOptionError(option, 'a non-empty string', value);
}

/** A boolean option: `fallback` when undefined, else `true` or `false`. */
export function bool(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  throw new InvalidOptionError(option, 'true or false', value);
}

/** A number option within bounds: `fallback` when undefined, else a number (an integer with `integer`) from `min` to `max`. */
export function numberIn(
  option: string,
  value: unknown,
  fallback: number,
  bounds: { readonly min: number; readonly max: number; readonly integer?: boolean },
): number {
  if (value === undefined) return fallback;
  const { min, max, integer = false } = bounds;
  if (typeof value === 'number' && value >= min && value <= max && (!integer || Number.isInteger(value))) return value;
  throw new InvalidOptionError(option, `a${integer ? 'n integer' : ' number'} from ${min} to ${max}`, value);
}

/** One of a few values: `fallback` when undefined. */
export function oneOf<V extends string>(option: string, value: unknown, allowed: readonly V[], fallback: V): V {
  if (value === undefined) return fallback;
  if (allowed.includes(value as V)) return value as V;
  throw new InvalidOptionError(option, allowed.map((a) => `'${a}'`).join(' or '), value);
}

/**
 * A codec option: undefined, or an object with `decode` (and `encode`, with `encode: true`, for a
 * connector that publishes copies).
 */
export function codecOption<C>(value: C, needs: { readonly encode?: boolean } = {}): C {
  if (value === undefined) return value;
  const c = value as { decode?: unknown; encode?: unknown } | null;
  if (typeof c?.decode === 'function' && (!needs.encode || typeof c.encode === 'function')) return value;
  throw new InvalidOptionError(
    'codec',
    needs.encode ? 'a codec (`json`, `text`, `bytes` or an object with decode and encode)' : 'a Codec with decode()',
    value,
  );
}
