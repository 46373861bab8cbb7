import { InvalidOptionError } from '@rxq/core';

/** A queue or exchange name option (1 to 255 characters), or its default. */
export function name(option: string, value: unknown, fallback: string | undefined): string {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === 'string' && value.length > 0 && value.length <= 255) return value;
  throw new InvalidOptionError(option, 'a name of 1 to 255 characters', value);
}
