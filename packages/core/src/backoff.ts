import { nonNegative, opt } from './kit/validate.js';
import { InvalidOptionError } from './errors.js';
import { rejectUnknownOptions } from './options.js';

/** A delay policy: milliseconds to wait before the next try, given the try that just failed (1-based). */
export type Backoff = (attempt: number) => number;

/** Options of {@link exponential}. */
export interface ExponentialOptions {
  /** Delay after the first failure. @default 100 */
  readonly initialMs?: number;
  /** Upper bound on any delay. @default 30_000 */
  readonly maxMs?: number;
  /** Growth per attempt. @default 2 */
  readonly factor?: number;
  /**
   * Share of each delay that is random, from 0 (none) to 1 (full jitter: anywhere from 0 to the
   * delay). Spreads retries of many consumers apart. @default 0.2
   */
  readonly jitter?: number;
  /** Random source in [0, 1), for tests. @default Math.random */
  readonly random?: () => number;
}

/**
 * Exponential backoff with jitter: `min(maxMs, initialMs * factor^(attempt-1))`, then up to
 * `jitter` of it taken off at random.
 *
 * @example
 * retryWithResend({ maxAttempts: 5, backoff: exponential({ initialMs: 200, maxMs: 30_000 }) })
 */
export function exponential(options: ExponentialOptions = {}): Backoff {
  rejectUnknownOptions(options, ['initialMs', 'maxMs', 'factor', 'jitter', 'random']);
  const initialMs = opt(options.initialMs, 100, (v) => nonNegative('initialMs', v));
  const maxMs = opt(options.maxMs, 30_000, (v) => nonNegative('maxMs', v));
  const factor = opt(options.factor, 2, (v) => {
    if (typeof v === 'number' && v >= 1 && Number.isFinite(v)) return v;
    throw new InvalidOptionError('factor', 'a finite number ≥ 1', v);
  });
  const jitter = opt(options.jitter, 0.2, (v) => {
    if (typeof v === 'number' && v >= 0 && v <= 1) return v;
    throw new InvalidOptionError('jitter', 'a number from 0 to 1', v);
  });
  if (maxMs < initialMs) throw new InvalidOptionError('maxMs', `a number ≥ initialMs (${initialMs})`, maxMs);
  const random = options.random ?? Math.random;
  return (attempt) => {
    const base = Math.min(maxMs, initialMs * Math.pow(factor, Math.max(0, attempt - 1)));
    return Math.round(base * (1 - jitter * random()));
  };
}

/** Options of {@link fixed}. */
export interface FixedOptions {
  /** The delay before every retry. @default 0 */
  readonly delayMs?: number;
}

/**
 * The same delay before every retry.
 *
 * @example
 * retryWithResend({ maxAttempts: 3, backoff: fixed({ delayMs: 1_000 }) })
 */
export function fixed(options: FixedOptions = {}): Backoff {
  rejectUnknownOptions(options, ['delayMs']);
  const delayMs = opt(options.delayMs, 0, (v) => nonNegative('delayMs', v));
  return () => delayMs;
}
