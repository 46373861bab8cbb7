import { InvalidOptionError } from './errors.js';

/**
 * Throws {@link InvalidOptionError} for the first own key of `options` that is not in `known`,
 * naming it by its path (`reconnect.maxMs`) and the closest known name, so a typo such as
 * `maxInflight` fails at construction instead of being ignored.
 *
 * @example
 * rejectUnknownOptions(options, ['maxInFlight', 'codec'] as const);          // top level
 * rejectUnknownOptions(options.reconnect, ['initialMs', 'maxMs'], 'reconnect'); // nested
 */
export function rejectUnknownOptions(options: object | undefined, known: readonly string[], path = ''): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options))
    throw new InvalidOptionError(path || 'options', 'an options object', options);
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = closest(key, known);
    throw InvalidOptionError.unknown(
      path ? `${path}.${key}` : key,
      near === undefined ? undefined : path ? `${path}.${near}` : near,
    );
  }
}

/**
 * The known name nearest to `key`: case-insensitive edit distance ≤ max(2, a third of its length),
 * else a known name that contains it or that it contains (`retries` → `maxRetries`,
 * `visibilityTimeout` → `visibilityTimeoutMs`), from 4 letters on.
 */
function closest(key: string, known: readonly string[]): string | undefined {
  const k = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const d = distance(k, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best !== undefined || k.length < 4) return best;
  return known.find((candidate) => {
    const c = candidate.toLowerCase();
    return c.length >= 4 && (c.includes(k) || k.includes(c));
  });
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

export { positiveInt, nonNegative, fn, opt } from './kit/validate.js';
