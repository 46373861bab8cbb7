// Shared by bench/kafka-cluster.mjs and bench/amqp-cluster.mjs: consumer processes
// (bench/cluster-consumer.mjs) on a clustered broker, their throughput with 1, 2 and 4 processes,
// and the time from a node failure to the first message published after it being handled.
import { execFileSync, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median } from './lib.mjs';

const child = fileURLToPath(new URL('./cluster-consumer.mjs', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `bash scripts/<script> ARGS` (the cluster scripts). */
export function script(path, ...args) {
  return execFileSync('bash', [fileURLToPath(new URL(`../scripts/${path}`, import.meta.url)), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** `count` consumer processes of `kind` on `name`, each reporting { acked, holding, firstAfterMark }. */
export function consumers(kind, name, count) {
  const procs = Array.from({ length: count }, (_, i) => {
    const p = fork(child, [kind, name, String(i)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    p.last = { acked: 0, holding: 0, firstAfterMark: undefined };
    p.on('message', (m) => (p.last = m));
    return p;
  });
  const sum = (k) => procs.reduce((s, p) => s + p.last[k], 0);
  return {
    procs,
    acked: () => sum('acked'),
    /** The earliest time any process handled a body published after the mark. */
    firstAfterMark: () => Math.min(...procs.map((p) => p.last.firstAfterMark ?? Infinity)),
    send: (m) => procs.forEach((p) => p.send(m)),
    async until(what, check, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`bench: ${what} not reached within ${timeoutMs} ms`);
        if (procs.some((p) => p.exitCode !== null)) throw new Error('bench: a consumer process exited');
        await sleep(20);
      }
    },
    async close() {
      for (const p of procs) p.disconnect();
      await Promise.all(procs.map((p) => (p.exitCode === null ? new Promise((r) => p.once('exit', r)) : null)));
    },
  };
}

/**
 * One scaling run: `n` messages already in `name`; `count` processes start, each holds what it
 * got until every process is ready (`ready()`), then all go; timed from go to the n-th ack.
 */
export async function scaleRun(kind, name, n, count, ready) {
  const c = consumers(kind, name, count);
  try {
    await c.until('every consumer ready', () => ready(c));
    const started = performance.now();
    c.send({ go: true });
    await c.until(`${n} acks`, () => c.acked() >= n, 600_000);
    const seconds = (performance.now() - started) / 1000;
    return Math.round(n / seconds);
  } finally {
    await c.close();
  }
}

/** Prints the scaling figures: msg/s per process count (each run, the median) and the speed-up. */
export function reportScaling(name, n, runsByCount) {
  const base = median(runsByCount[1] ?? [0]);
  for (const [count, runs] of Object.entries(runsByCount)) {
    const m = median(runs);
    console.log(
      JSON.stringify({
        case: `${name}, ${count} consumer process${count === '1' ? '' : 'es'}`,
        n,
        msgsPerSec: m,
        runs,
        speedUp: base ? Math.round((m / base) * 100) / 100 : undefined,
      }),
    );
  }
}

/**
 * One failover run: `count` processes consume while `publish(from, size)` (an at-least-once
 * producer: it retries until the brokers took the batch) sends batches of 50 bodies `{ n, t }`
 * (about 1,000 a second); after 5 s `fail()` takes a node away; the run ends once every published
 * body was acked, and `heal()` brings the node back. Returns the ms from the failure to the first
 * handled body published after it.
 */
export async function failoverRun(kind, name, count, publish, fail, heal) {
  const c = consumers(kind, name, count);
  let published = 0;
  let producing = true;
  try {
    c.send({ go: true });
    const load = (async () => {
      while (producing) {
        await publish(published, 50);
        published += 50;
        await sleep(50);
      }
    })();
    await sleep(5_000); // steady state before the failure
    const failedAt = Date.now();
    c.send({ mark: failedAt });
    await fail();
    await c.until('a message after the failure', () => c.firstAfterMark() < Infinity, 180_000);
    const recovery = c.firstAfterMark() - failedAt;
    await sleep(2_000);
    producing = false;
    await load;
    // Then every published body must be acked; a consumer that stops making progress is reported.
    const drained = await c
      .until(`every one of ${published} acked`, () => c.acked() >= published, 90_000)
      .then(() => true)
      .catch(() => false);
    return { recovery, drained, published, acked: c.acked() };
  } finally {
    producing = false;
    await c.close();
    await heal();
  }
}
