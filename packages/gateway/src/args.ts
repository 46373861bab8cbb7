import { ActionError } from './protocol.js';

/** One action's parameters, Python style: positional-or-keyword names, then an optional `*rest`. */
export interface Signature {
  readonly params: readonly string[];
  /** How many of `params` are required. */
  readonly required: number;
  /** Takes extra positional arguments under this name. */
  readonly rest?: string;
  /** Keyword-only parameters (after `*rest`). */
  readonly keywords?: readonly string[];
}

/**
 * Binds `[args, kwargs]` to a signature as Python would: too many positional arguments, an unknown
 * or repeated keyword, or a missing required argument is an {@link ActionError}.
 */
export function bind(
  action: string,
  sig: Signature,
  args: readonly unknown[],
  kwargs: object,
): Record<string, unknown> {
  const bound: Record<string, unknown> = {};
  const fixed = Math.min(args.length, sig.params.length);
  for (let i = 0; i < fixed; i++) bound[sig.params[i] as string] = args[i];
  if (args.length > sig.params.length) {
    if (sig.rest === undefined)
      throw new ActionError(
        `${action}() takes ${sig.params.length} positional arguments but ${args.length} were given`,
      );
    bound[sig.rest] = args.slice(sig.params.length);
  } else if (sig.rest !== undefined) bound[sig.rest] = [];
  for (const [key, value] of Object.entries(kwargs)) {
    if (key === 'queue') continue;
    if (!sig.params.includes(key) && !(sig.keywords?.includes(key) ?? false))
      throw new ActionError(`${action}() got an unexpected keyword argument '${key}'`);
    if (key in bound) throw new ActionError(`${action}() got multiple values for argument '${key}'`);
    bound[key] = value;
  }
  for (let i = 0; i < sig.required; i++) {
    const name = sig.params[i] as string;
    if (!(name in bound)) throw new ActionError(`${action}() missing required argument '${name}'`);
  }
  return bound;
}

/** A timeout in seconds (`null`: for ever) as milliseconds. */
export function timeoutMs(value: unknown): number {
  if (value === undefined || value === null) return Infinity;
  if (typeof value === 'number' && value >= 0 && Number.isFinite(value)) return value * 1000;
  throw new ActionError('timeout must be a number of seconds ≥ 0, or null');
}

/** `n` of `pull_many`: an integer ≥ 1, or null (as many as there are). */
export function count(value: unknown): number | null {
  if (value === null) return null;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value;
  throw new ActionError('n must be an integer ≥ 1, or null');
}

/** Lease ids: strings. */
export function ids(value: unknown): string[] {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  throw new ActionError('lease ids must be strings');
}

/** A non-negative number of milliseconds, or the fallback when absent. */
export function millis(name: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && value >= 0 && Number.isFinite(value)) return value;
  throw new ActionError(`${name} must be a number of milliseconds ≥ 0`);
}

/** Headers: an object of strings, or absent. */
export function headers(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string'))
    return value as Record<string, string>;
  throw new ActionError('headers must be an object of strings');
}
