import { InvalidOptionError } from '@rxq/core';

/** `value` if defined and a finite number ≥ `min`, else `fallback`; throws otherwise. */
export function duration(option: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value >= min) return value;
  throw new InvalidOptionError(option, `a finite number ≥ ${min} (milliseconds)`, value);
}

/** `value` if defined and a non-empty string, else `fallback`; throws otherwise. */
export function name(option: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && value.length > 0) return value;
  throw new InvalidOptionError(option, 'a non-empty string', value);
}

/** Throws unless `value` is a non-empty string (a key name). */
export function key(option: string, value: unknown): string {
  if (typeof value === 'string' && value.length > 0) return value;
  throw new InvalidOptionError(option, 'a non-empty key name', value);
}

/** Throws unless `value` is undefined or a codec (`decode` and `encode` functions). */
export function codecOption(value: unknown): void {
  if (value === undefined) return;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    'decode' in value &&
    'encode' in value &&
    typeof value.decode === 'function' &&
    typeof value.encode === 'function';
  if (!ok)
    throw new InvalidOptionError(
      'codec',
      'a codec (`json`, `text`, `bytes` or an object with decode and encode)',
      value,
    );
}
