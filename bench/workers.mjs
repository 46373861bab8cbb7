// pnpm bench workers: what the other concurrency models buy on a CPU-bound handler.
//  (a) 20,000 messages from the memory queue through a CPU-bound handler (sha256 of the body, 2,000
//      times over): in-process `handle` beside `handleInWorkers` with 2 threads; the speed-up.
//  (b) the pool's per-message overhead: a no-op handler in 2 threads beside in process (µs/msg).
//  (c) the process runner: the CPU-bound handler on a Redis reliable list, 2 processes beside 1.
// BENCH_N (default 20,000) and BENCH_RUNNER_N (default 2,000) shorten a run on a busy machine.
import { ack, fromQueue, handle } from '@rxq/core';
import { memory, MemoryQueue } from '@rxq/memory';
import { handleInWorkers, supervise } from '@rxq/workers';
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { envInt, settle } from './lib.mjs';
import { cpu, noop } from './workers-handler.mjs';

// ioredis is @rxq/redis's dependency, not the workspace root's.
const { Redis } = createRequire(new URL('../packages/redis/package.json', import.meta.url))('ioredis');

const N = envInt('BENCH_N', 20_000);
const RUNNER_N = envInt('BENCH_RUNNER_N', 2_000);
const handlerUrl = new URL('./workers-handler.mjs', import.meta.url);
const consumer = fileURLToPath(new URL('./workers-consumer.mjs', import.meta.url));

/**
 * Runs `operator` over `warm` + n memory messages until all are acked, timing the window from the
 * `warm`-th ack to the last (so thread start-up and JIT warm-up stay out of it):
 * { seconds, msgsPerSec, cpuUsPerMsg, coresUsed } with the CPU of every thread of the process.
 */
function drain(n, warm, operator) {
  const queue = new MemoryQueue();
  queue.pushMany(Array.from({ length: warm + n }, (_, i) => `order-${i}`));
  return new Promise((resolve, reject) => {
    let acked = 0;
    let started = performance.now();
    let cpu0 = process.cpuUsage();
    const source = fromQueue(memory(queue), { maxInFlight: 64 });
    const sub = source.pipe(operator, ack()).subscribe({
      next: (r) => {
        if (r.settlement !== 'acked') return reject(new Error(`a message was ${r.settlement}`));
        acked++;
        if (acked === warm) {
          started = performance.now();
          cpu0 = process.cpuUsage();
        }
        if (acked === warm + n) {
          const seconds = (performance.now() - started) / 1000;
          const c = process.cpuUsage(cpu0);
          sub?.unsubscribe();
          resolve({
            seconds: Math.round(seconds * 1000) / 1000,
            msgsPerSec: Math.round(n / seconds),
            cpuUsPerMsg: Math.round(((c.user + c.system) / n) * 10) / 10,
            // CPU seconds per wall second: how many cores the case got (2 threads can use 2).
            coresUsed: Math.round(((c.user + c.system) / 1e6 / seconds) * 100) / 100,
          });
        }
      },
      error: reject,
    });
  });
}

async function runner(processes, n) {
  const admin = new Redis('redis://127.0.0.1:6379');
  const list = `rxq-bench:workers:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const stdout = new PassThrough();
  let ready = 0;
  stdout.on('data', (c) => (ready += (c.toString().match(/\] ready$/gm) ?? []).length));
  const supervisor = supervise({
    module: consumer,
    processes,
    env: { LIST: list },
    signals: false,
    stdout,
    drainTimeoutMs: 10_000,
  });
  try {
    while (ready < processes) await new Promise((r) => setTimeout(r, 20));
    const started = performance.now();
    const pipeline = admin.pipeline();
    for (let i = 0; i < n; i++) pipeline.rpush(list, JSON.stringify(`order-${i}`));
    await pipeline.exec();
    while (Number(await admin.get(`${list}:count`)) < n) await new Promise((r) => setTimeout(r, 10));
    const seconds = (performance.now() - started) / 1000;
    return { processes, seconds: Math.round(seconds * 100) / 100, msgsPerSec: Math.round(n / seconds) };
  } finally {
    const code = await supervisor.stop();
    if (code !== 0) console.error(`bench: the runner exited ${code}`);
    const keys = await admin.keys(`${list}*`);
    if (keys.length) await admin.del(...keys);
    await admin.quit();
  }
}

async function main() {
  settle();
  const inProcess = await drain(N, 20, handle(cpu, { concurrency: 1 }));
  settle();
  const threads = await drain(N, 20, handleInWorkers(handlerUrl, { threads: 2, concurrency: 4, handlerExport: 'cpu' }));
  console.log(
    JSON.stringify({
      case: `cpu-bound handler (sha256 x${2_000}), memory queue`,
      n: N,
      inProcess,
      workerThreads2: threads,
      speedUp: Math.round((threads.msgsPerSec / inProcess.msgsPerSec) * 100) / 100,
      target: { speedUp: 1.7 },
    }),
  );

  const NOOP_N = Math.min(N, 20_000);
  settle();
  const noopIn = await drain(NOOP_N, 2_000, handle(noop, { concurrency: 1 }));
  settle();
  const noopPool = await drain(
    NOOP_N,
    2_000,
    handleInWorkers(handlerUrl, { threads: 2, concurrency: 8, handlerExport: 'noop' }),
  );
  console.log(
    JSON.stringify({
      case: 'no-op handler: the thread pool overhead',
      n: NOOP_N,
      inProcess: noopIn,
      workerThreads2: noopPool,
      overheadUsPerMsg: Math.round((noopPool.seconds / NOOP_N - noopIn.seconds / NOOP_N) * 1e6 * 10) / 10,
      overheadCpuUsPerMsg: Math.round((noopPool.cpuUsPerMsg - noopIn.cpuUsPerMsg) * 10) / 10,
    }),
  );

  const one = await runner(1, RUNNER_N);
  const two = await runner(2, RUNNER_N);
  console.log(
    JSON.stringify({
      case: 'process runner, cpu-bound handler, redis reliable list',
      n: RUNNER_N,
      oneProcess: one,
      twoProcesses: two,
      speedUp: Math.round((two.msgsPerSec / one.msgsPerSec) * 100) / 100,
    }),
  );
}

await main();
