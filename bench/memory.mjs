// pnpm bench memory: N messages consumed and acked from the in-process queue, (a) one by one with
// an async no-op handler at concurrency 64 and (b) in batches of 100, each beside a hand-written
// loop doing the same work without rxq (pull, await handler, count as acked).
import { ack, chunk, fromQueue, handle } from '@rxq/core';
import { MemoryQueue, memory } from '@rxq/memory';
import { envInt, measure, report, settle } from './lib.mjs';

const N = envInt('BENCH_N', 1_000_000);
const body = { id: 0, kind: 'order.created', amount: 42 };
const noop = async () => {};

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

async function main() {
  let q = preload();
  settle();
  const rxqA = await measure(() => drain(q, 256, [handle(noop, { concurrency: 64 }), ack()]));
  q = preload();
  settle();
  const rawA = await measure(() => rawOneByOne(q, 64));
  report('memory one-by-one, async handler, concurrency 64', N, rxqA, rawA, {
    maxInFlight: 256,
    target: { rxqMsgsPerSec: 1_000_000 },
  });

  q = preload();
  settle();
  // Ten batches of credit: with only 2.5 (maxInFlight 256) the pipeline waits on itself.
  const rxqB = await measure(() => drain(q, 1000, [chunk({ size: 100 }), handle(noop, { concurrency: 4 }), ack()]));
  q = preload();
  settle();
  const rawB = await measure(() => rawBatches(q, 100));
  report('memory chunk(100)', N, rxqB, rawB, { maxInFlight: 1000, target: { rxqMsgsPerSec: 5_000_000 } });
}

await main();
