// Shared by every benchmark: peak RSS sampling, timing, and the one JSON line per case.
import { performance } from 'node:perf_hooks';

/** Samples RSS every 20 ms while `fn` runs; returns { result, seconds, peakRssMB }. */
export async function measure(fn) {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
  }, 20);
  const started = performance.now();
  try {
    const result = await fn();
    const seconds = (performance.now() - started) / 1000;
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, seconds, peakRssMB: Math.round((peak / 1024 / 1024) * 10) / 10 };
  } finally {
    clearInterval(timer);
  }
}

/** Prints the case's JSON line: {"case", "rxq": {msgsPerSec, peakRssMB}, "raw": {msgsPerSec, peakRssMB}, "ratio"}. */
export function report(name, n, rxq, raw, extra = {}) {
  const rate = (m) => Math.round(n / m.seconds);
  const line = {
    case: name,
    n,
    rxq: { msgsPerSec: rate(rxq), peakRssMB: rxq.peakRssMB },
    raw: { msgsPerSec: rate(raw), peakRssMB: raw.peakRssMB },
    ratio: Math.round((rate(rxq) / rate(raw)) * 100) / 100,
    ...extra,
  };
  console.log(JSON.stringify(line));
  return line;
}

/** Reads a positive integer from the environment, e.g. BENCH_N. */
export function envInt(name, fallback) {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

/** Lets the garbage collector settle between cases when node runs with --expose-gc. */
export function settle() {
  globalThis.gc?.();
}

/**
 * The pipeline every connector benchmark runs: `handle` with an async no-op at concurrency 64,
 * then `ack`; resolves after `n` settlement records and a graceful stop (which flushes the last
 * batched acks). Rejects if the source errors.
 */
export async function drainWithRxq(source, n, concurrency = 64) {
  const { ack, handle } = await import('@rxq/core');
  await new Promise((resolve, reject) => {
    let count = 0;
    source
      .pipe(
        handle(async () => {}, { concurrency }),
        ack(),
      )
      .subscribe({
        next: () => {
          if (++count === n) resolve();
        },
        error: reject,
      });
  });
  await source.stop();
}
