// pnpm bench memory: N messages consumed and acked from the in-process queue, (a) one by one with
// an async no-op handler at concurrency 64, (a') the same with a handler that reads
// `context.signal`, and (b) in batches of 100, each beside a hand-written loop doing the same work
// without rxq (pull, await handler, count as acked). Every case runs idle and again with a CPU
// burner (a busy-looping child process) on the other core: users run consumers on busy machines.
// Each side runs BENCH_REPEAT times (default 5), interleaved; msgsPerSec and ratio are the medians,
// `cpuUsPerMsg` is this process's CPU time per message (user + system; the burner is another
// process), median of the rounds, with rxq's excess over raw in µs, and `perCoreMsgsPerSec` the
// rate that CPU per message gives on a core of its own. BENCH_N overrides N (1,000,000);
// BENCH_CASES=one,signal,chunk,latency and BENCH_LOAD=idle,busy choose cases. The latency case
// (latencyCase in lib.mjs) pushes 1,000 msg/s for 10 s: rxq (concurrency 64) beside a pull loop.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { ack, chunk, fromQueue, handle } from '@rxq/core';
import { MemoryQueue, Timeout, memory } from '@rxq/memory';
import { cpuMedians, envInt, latencyCase, measure, median, rates, runRxq, settle } from './lib.mjs';

const N = envInt('BENCH_N', 1_000_000);
const REPEAT = envInt('BENCH_REPEAT', 5);
const body = { id: 0, kind: 'order.created', amount: 42 };
const noop = async () => {};
const readsSignal = async (_m, context) => {
  if (context.signal.aborted) throw context.signal.reason;
};

if (process.argv[2] === '--burn') {
  // The CPU burner: spins until its parent kills it.
  process.send?.('ready');
  for (;;);
}

function preload() {
  const queue = new MemoryQueue();
  queue.pushMany(Array.from({ length: N }, () => body));
  return queue;
}

/** Runs an rxq pipeline until it has settled N messages. */
function drain(queue, maxInFlight, operators) {
  return new Promise((resolve, reject) => {
    let settled = 0;
    const source = fromQueue(memory(queue), { maxInFlight });
    const subscription = source.pipe(...operators).subscribe({
      next: () => {
        if (++settled === N) {
          subscription?.unsubscribe();
          resolve(source.metrics.snapshot());
        }
      },
      error: reject,
    });
  });
}

async function rawOneByOne(queue, concurrency) {
  let acked = 0;
  const worker = async () => {
    while (queue.size > 0) {
      const item = await queue.pull({ timeoutMs: 0 });
      await noop(item);
      acked++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (acked !== N) throw new Error(`raw acked ${acked} of ${N}`);
}

async function rawBatches(queue, size) {
  let acked = 0;
  while (queue.size > 0) {
    const batch = await queue.pullMany(size, { timeoutMs: 0 });
    await noop(batch);
    acked += batch.length;
  }
  if (acked !== N) throw new Error(`raw acked ${acked} of ${N}`);
}

/** One timed run of `consume` on a fresh preloaded queue: { messages, seconds, cpuUsPerMsg, peakRssMB }. */
async function timed(consume) {
  const q = preload();
  settle();
  const cpu = process.cpuUsage();
  const m = await measure(() => consume(q));
  const used = process.cpuUsage(cpu);
  return {
    messages: N,
    seconds: m.seconds,
    peakRssMB: m.peakRssMB,
    cpuUsPerMsg: Math.round(((used.user + used.system) / N) * 1000) / 1000,
  };
}

const cases = {
  one: {
    name: 'memory one-by-one, async handler, concurrency 64',
    rxq: (q) => drain(q, 256, [handle(noop, { concurrency: 64 }), ack()]),
    raw: (q) => rawOneByOne(q, 64),
    extra: { maxInFlight: 256 },
    target: 1_500_000,
  },
  signal: {
    name: 'memory one-by-one, handler reads context.signal, concurrency 64',
    rxq: (q) => drain(q, 256, [handle(readsSignal, { concurrency: 64 }), ack()]),
    raw: (q) => rawOneByOne(q, 64),
    extra: { maxInFlight: 256 },
    target: 1_500_000,
  },
  chunk: {
    name: 'memory chunk(100)',
    // Ten batches of credit: with only 2.5 (maxInFlight 256) the pipeline waits on itself.
    rxq: (q) => drain(q, 1000, [chunk({ size: 100 }), handle(noop, { concurrency: 4 }), ack()]),
    raw: (q) => rawBatches(q, 100),
    extra: { maxInFlight: 1000 },
    target: 5_000_000,
  },
};

async function withBurner(use) {
  const burner = fork(new URL(import.meta.url).pathname, ['--burn'], { stdio: 'ignore', serialization: 'json' });
  await once(burner, 'message');
  try {
    return await use();
  } finally {
    burner.kill('SIGKILL');
    await once(burner, 'exit');
  }
}

async function main() {
  const only = process.env.BENCH_CASES?.split(',');
  const loads = process.env.BENCH_LOAD?.split(',') ?? ['idle', 'busy'];
  for (const load of loads) {
    for (const [key, c] of Object.entries(cases)) {
      if (only && !only.includes(key)) continue;
      const rxqRuns = [];
      const rawRuns = [];
      const rounds = async () => {
        for (let i = 0; i < REPEAT; i++) {
          rxqRuns.push(await timed(c.rxq));
          rawRuns.push(await timed(c.raw));
        }
      };
      if (load === 'busy') await withBurner(rounds);
      else await rounds();
      const cpu = cpuMedians(rxqRuns, rawRuns);
      const rxqRate = median(rates(rxqRuns));
      const rawRate = median(rates(rawRuns));
      console.log(
        JSON.stringify({
          case: `${c.name}, ${load === 'busy' ? 'a CPU burner on the other core' : 'idle'}`,
          n: N,
          rxq: { msgsPerSec: rxqRate, peakRssMB: Math.max(...rxqRuns.map((m) => m.peakRssMB)) },
          raw: { msgsPerSec: rawRate, peakRssMB: Math.max(...rawRuns.map((m) => m.peakRssMB)) },
          ratio: Math.round((rxqRate / rawRate) * 100) / 100,
          medianCpuUsPerMsg: cpu,
          // The rate one core would give at that CPU per message: on a shared machine the wall-clock
          // rate says how much of a core the process got as much as what rxq costs.
          perCoreMsgsPerSec: { rxq: Math.round(1e6 / cpu.rxq), raw: Math.round(1e6 / cpu.raw) },
          runs: { rxq: rates(rxqRuns), raw: rates(rawRuns) },
          ...c.extra,
          target: { rxqMsgsPerSec: c.target, met: rxqRate >= c.target },
        }),
      );
    }
  }
  if (!only || only.includes('latency')) {
    const queue = new MemoryQueue();
    await latencyCase('memory', {
      publish: (b) => queue.push(b),
      rxq: (onBody) => runRxq(fromQueue(memory(queue), { maxInFlight: 256 }), onBody),
      raw: async (onBody) => {
        let stopped = false;
        const loop = (async () => {
          while (!stopped) {
            let item;
            try {
              item = await queue.pull({ timeoutMs: 50 });
            } catch (error) {
              if (error instanceof Timeout) continue;
              throw error;
            }
            await noop(onBody(item));
          }
        })();
        return async () => {
          stopped = true;
          await loop;
        };
      },
    });
  }
}

await main();
