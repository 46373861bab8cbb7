/**
 * Upper bounds (ms) of the latency histogram's buckets: four per doubling from 0.05 ms to about
 * 100 s (so a percentile read from it is within about 19 % of the true value), then overflow.
 * The reporter and the dashboard share them: counts travel as one array per source.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = Array.from({ length: 84 }, (_, i) =>
  Number((0.05 * 2 ** (i / 4)).toPrecision(3)),
);

/** The bucket index of a duration: the first bound ≥ it, or the overflow bucket. */
export function bucketOf(durationMs: number): number {
  let lo = 0;
  let hi = LATENCY_BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((LATENCY_BOUNDS_MS[mid] ?? Infinity) >= durationMs) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The `q` quantile (0–1) of a histogram's counts, interpolated within its bucket, or null when
 * it is empty. The overflow bucket reads as its lower bound.
 */
export function quantile(counts: readonly number[], q: number): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (c > 0 && seen + c >= rank) {
      const lower = i === 0 ? 0 : (LATENCY_BOUNDS_MS[i - 1] ?? 0);
      const upper = LATENCY_BOUNDS_MS[i] ?? lower;
      return lower + (upper - lower) * Math.min(1, Math.max(0, (rank - seen) / c));
    }
    seen += c;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1] ?? null;
}
