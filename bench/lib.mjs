// Shared by every benchmark: peak RSS sampling, timing, and the one JSON line per case.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * BENCH_PROFILE=<dir>: a consumer process writes a CPU profile of its timed window only (not of
 * its start-up, preload or exit) to <dir>, for `node --cpu-prof`-style analysis in DevTools.
 */
const profileDir = process.env.BENCH_PROFILE;
let profiler;
function profileStart() {
  if (!profileDir || profiler) return;
  profiler = new Session();
  profiler.connect();
  profiler.post('Profiler.enable');
  profiler.post('Profiler.setSamplingInterval', { interval: 200 });
  profiler.post('Profiler.start');
}
function profileStop() {
  if (!profiler) return;
  profiler.post('Profiler.stop', (error, { profile } = {}) => {
    if (!error)
      writeFileSync(join(profileDir, `window-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
  });
}

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

/**
 * Counts what a consumer finishes and times a window inside its run: from the `warm`-th message
 * to the (`warm` + `n`)-th. A consumer runs for hours, so its throughput is that of a process
 * whose connections are open and whose code the JIT has compiled: the warm window. The time from
 * the start (connect, group join) to the `warm`-th message is kept as `coldSeconds`. With `warm`
 * 0 the window is the whole run, from the start.
 */
export class Meter {
  constructor(warm, n) {
    this.warm = warm;
    this.n = n;
    this.count = 0;
    this.started = performance.now();
    /** With no warm-up the window is the whole run. */
    this.from = warm === 0 ? this.mark() : undefined;
    this.to = undefined;
  }

  /** Counts `k` more finished messages (one, or a raw loop's batch). */
  add(k = 1) {
    this.count += k;
    if (this.from === undefined && this.count >= this.warm) {
      this.from = this.mark();
      profileStart();
    }
    if (this.to === undefined && this.count >= this.warm + this.n) {
      this.to = this.mark();
      profileStop();
    }
  }

  mark() {
    return { at: performance.now(), count: this.count, cpu: process.cpuUsage() };
  }

  /** { seconds, messages, cpuUsPerMsg, coldSeconds } of the window (after it closed). */
  result() {
    const { from, to } = this;
    if (!from || !to) throw new Error(`the consumer stopped at ${this.count} of ${this.warm + this.n} messages`);
    const messages = to.count - from.count;
    const cpuUs = to.cpu.user + to.cpu.system - (from.cpu.user + from.cpu.system);
    return {
      seconds: (to.at - from.at) / 1000,
      messages,
      cpuUsPerMsg: Math.round((cpuUs / messages) * 100) / 100,
      coldSeconds: (from.at - this.started) / 1000,
    };
  }
}

/**
 * Runs `consume(meter)` (a consumer of `warm` + `n` messages) with peak RSS sampled over the whole
 * run; returns the meter's window ({ seconds, messages, cpuUsPerMsg, coldSeconds }) and peakRssMB.
 */
export async function measureWarm(warm, n, consume) {
  const meter = new Meter(warm, n);
  const m = await measure(() => consume(meter));
  return { ...meter.result(), peakRssMB: m.peakRssMB };
}

/** Prints the case's JSON line: {"case", "rxq": {msgsPerSec, peakRssMB}, "raw": {msgsPerSec, peakRssMB}, "ratio"}. */
export function report(name, n, rxq, raw, extra = {}) {
  const rate = (m) => Math.round((m.messages ?? n) / m.seconds);
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

/** The median of some numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Messages per second of one measured run ({ messages, seconds }). */
export const rateOf = (m) => m.messages / m.seconds;

/** The fastest of some runs. */
export const fastest = (runs) => runs.reduce((a, b) => (rateOf(b) > rateOf(a) ? b : a));

/** Every run's rate, rounded. */
export const rates = (runs) => runs.map((m) => Math.round(rateOf(m)));

/** The median rate of rxq's runs over the median rate of raw's, to two decimals. */
export const medianRatio = (rxqRuns, rawRuns) =>
  Math.round((median(rates(rxqRuns)) / median(rates(rawRuns))) * 100) / 100;

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
export async function drainWithRxq(source, n, concurrency = 64, meter = undefined) {
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
          meter?.add();
          if (++count === n) resolve();
        },
        error: reject,
      });
  });
  await source.stop();
}

/**
 * The consumer process's CPU per message over the timed window, as the median of each side's runs,
 * with rxq's excess over raw in µs (the issue-12 target: `overUs` ≤ 1.0) and the ratio of the two.
 */
export function cpuMedians(rxqRuns, rawRuns) {
  const rxq = median(rxqRuns.map((m) => m.cpuUsPerMsg));
  const raw = median(rawRuns.map((m) => m.cpuUsPerMsg));
  return {
    rxq: Math.round(rxq * 100) / 100,
    raw: Math.round(raw * 100) / 100,
    overUs: Math.round((rxq - raw) * 100) / 100,
    ratio: Math.round((rxq / raw) * 100) / 100,
  };
}

/**
 * Extra node flags for a benchmark's consumer processes, from BENCH_NODE_FLAGS (space-separated),
 * e.g. `BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof'` or `'--trace-gc'` to profile a case.
 */
export const childFlags = () => (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/** A percentile (0..100) of some numbers, nearest rank. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * The latency case of a connector: publish → handler at a fixed rate (BENCH_LAT_RATE, 1,000
 * msg/s) for BENCH_LAT_SECONDS (10 s) after a one-second warm-up, through rxq and then through the
 * raw client, in this process (one clock: each body carries `t`, performance.now() at publish).
 * The sides run twice each (rxq, raw, raw, rxq), half the time each round. `publish(body)` sends one
 * message; `publishBatch(bodies)`, if given, sends what is due at a tick (every 5 ms) at once, as a
 * producer that batches (Kafka's linger) would; `rxq(onBody)` and `raw(onBody)` start a consumer whose
 * handler calls `onBody(body)` with the decoded body, and resolve to a stop function. Each round
 * waits for its consumer to be up (probe messages until one comes through) before the clock starts. Prints one
 * JSON line with each side's p50, p99 and max in ms and the issue-12 target (rxq p99 ≤ raw p99 + 1
 * ms). BENCH_LATENCY=0 skips it. With `warmUp`, each side first runs one unrecorded round of a
 * second (rxq, raw), so that the first recorded round (rxq's) does not carry the process's cold
 * start (the client's code not yet compiled) that the others do not: where the consumer barely keeps
 * up, the backlog of a cold start outlasts the round.
 */
export async function latencyCase(name, { publish, publishBatch, rxq, raw, extra = {}, warmUp = false }) {
  if (process.env.BENCH_LATENCY === '0') return undefined;
  const rate = envInt('BENCH_LAT_RATE', 1_000);
  const seconds = envInt('BENCH_LAT_SECONDS', 10);
  let rounds = 0;
  const side = async (start, latencies, seconds) => {
    let seen = 0;
    let expected = Infinity;
    let allIn;
    const finished = new Promise((resolve) => (allIn = resolve));
    const round = ++rounds;
    let ready;
    const readied = new Promise((resolve) => (ready = resolve));
    const stop = await start((body) => {
      // A body of an earlier round (left in a group that was not reading) does not count.
      if (body.round !== round) return;
      if (body.probe === true) return ready();
      const ms = performance.now() - body.t;
      if (body.warm !== true) latencies.push(ms);
      if (++seen >= expected) allIn();
    });
    // The consumer is up (a Kafka group has joined) once a probe comes through: until then, one
    // probe every 100 ms.
    for (let up = false, tries = 0; !up; tries++) {
      if (tries === 600) throw new Error(`${name}: the consumer did not come up in a minute`);
      await publish({ probe: true, round });
      up = await Promise.race([readied.then(() => true), new Promise((r) => setTimeout(r, 100, false))]);
    }
    // Publish on a fixed schedule: every 5 ms, what is due by then.
    const total = Math.round(rate * (seconds + 1));
    const warm = rate;
    const began = performance.now();
    let sent = 0;
    await new Promise((resolve, reject) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - began) * rate) / 1000));
        const bodies = [];
        for (; sent < due; sent++) bodies.push({ n: sent, round, t: performance.now(), warm: sent < warm });
        const sends = publishBatch ? [bodies.length > 0 && publishBatch(bodies)] : bodies.map(publish);
        Promise.all(sends).then(() => {
          if (sent >= total) resolve();
          else setTimeout(tick, 5);
        }, reject);
      };
      tick();
    });
    expected = total;
    if (seen >= expected) allIn();
    const timeout = setTimeout(allIn, 30_000);
    await finished;
    clearTimeout(timeout);
    await stop();
    if (seen < total) throw new Error(`${name}: the consumer saw ${seen} of ${total} messages`);
  };
  // Two rounds of half the time each, in the order rxq, raw, raw, rxq, so that a busy spell of the
  // shared machine weighs on both sides alike; each side's latencies are pooled.
  const half = seconds / 2;
  if (warmUp)
    for (const which of ['rxq', 'raw']) {
      settle();
      await side(which === 'rxq' ? rxq : raw, [], 1);
    }
  const pooled = { rxq: [], raw: [] };
  for (const which of ['rxq', 'raw', 'raw', 'rxq']) {
    settle();
    await side(which === 'rxq' ? rxq : raw, pooled[which], half);
  }
  const stats = (latencies) => ({
    messages: latencies.length,
    p50Ms: round3(percentile(latencies, 50)),
    p99Ms: round3(percentile(latencies, 99)),
    maxMs: round3(Math.max(...latencies)),
  });
  const r = stats(pooled.rxq);
  const w = stats(pooled.raw);
  const line = {
    case: `${name}, latency at ${rate} msg/s for ${seconds} s`,
    rxq: r,
    raw: w,
    target: { rxqP99MaxMs: round3(w.p99Ms + 1), met: r.p99Ms <= w.p99Ms + 1 },
    ...extra,
  };
  console.log(JSON.stringify(line));
  return line;
}

const round3 = (v) => Math.round(v * 1000) / 1000;

/** `handle(fn, { concurrency })` → `ack()` on `source`, started; resolves to a stop function. */
export async function runRxq(source, onBody, concurrency = 64) {
  const { ack, handle } = await import('@rxq/core');
  let failed;
  const subscription = source
    .pipe(
      handle(async (m) => onBody(m.body), { concurrency }),
      ack(),
    )
    .subscribe({ error: (e) => (failed = e) });
  return async () => {
    await source.stop();
    subscription.unsubscribe();
    if (failed) throw failed;
  };
}
