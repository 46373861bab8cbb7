// SQS (against ElasticMQ, scripts/elasticmq.sh): rxq `fromQueue(sqs(queue))` → handle → ack beside
// the raw @aws-sdk/client-sqs loop doing the same work: long-polling ReceiveMessage calls of 10 (4
// in flight), JSON decoding, an async no-op handler, DeleteMessageBatch per 10. BENCH_WARMUP
// (2,000) + BENCH_N (20,000) ~100-byte messages are sent before each round (untimed) to a fresh
// queue; each consumer runs in a child process of its own, rxq and raw alternating, timed over the
// N after the warm-up (Meter in lib.mjs). Reported: the fastest round of each, the median ratio
// over BENCH_ROUNDS (5) rounds, CPU µs per message (the server's CPU is not counted), every round.
// Then the latency case (latencyCase in lib.mjs: 1,000 msg/s for 10 s, publish → handler, p50/p99/
// max, rxq beside raw in the same process, after an unrecorded warm-up round of each side);
// `node bench/sqs.mjs --latency` runs only it,
// BENCH_LATENCY=0 skips it. Both sides read a standard queue of their own, created with ElasticMQ's
// defaults (visibility timeout 30 s, no redrive policy), with the same settings: long polls of
// WaitTimeSeconds 1 asking for 10, 4 in flight, the visibility timeout 30 s; the bodies are sent by
// SendMessageBatch from the same process, what is due every 5 ms in one batch.
//   rxq: sqs(queue, { waitTimeSeconds: 1, maxConcurrentReceives: 4 }), maxInFlight 100, handle
//        concurrency 64, ack (DeleteMessageBatch per turn)
//   raw: 4 loops of ReceiveMessage (10, WaitTimeSeconds 1) → handle each → DeleteMessageBatch
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { fromQueue } from '@rxq/core';
import { publishMany, sqs } from '@rxq/sqs';
import {
  childFlags,
  cpuMedians,
  drainWithRxq,
  envInt,
  fastest,
  latencyCase,
  measureWarm,
  medianRatio,
  rates,
  report,
  runRxq,
} from './lib.mjs';

// The raw client is @rxq/sqs's own (peer, dev) dependency: resolve it from there.
const fromSqs = createRequire(new URL('../packages/sqs/package.json', import.meta.url));
const { SQSClient, CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand, DeleteMessageBatchCommand } =
  await import(fromSqs.resolve('@aws-sdk/client-sqs'));

const clientConfig = {
  endpoint: process.env.RXQ_SQS_ENDPOINT ?? 'http://127.0.0.1:9324',
  region: 'elasticmq',
  credentials: { accessKeyId: 'rxq', secretAccessKey: 'rxq' },
};
const PAD = 'x'.repeat(80);
const MAX_IN_FLIGHT = 100;
const CALLS = 4;

async function rxq(queue, total, meter) {
  const source = fromQueue(sqs(queue, { clientConfig, waitTimeSeconds: 1, maxConcurrentReceives: CALLS }), {
    maxInFlight: MAX_IN_FLIGHT,
  });
  await drainWithRxq(source, total, 64, meter);
}

async function raw(queueUrl, total, meter) {
  const client = new SQSClient(clientConfig);
  const handler = async () => {};
  let count = 0;
  const loop = async () => {
    while (count < total) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) continue;
      await Promise.all(Messages.map((m) => handler(JSON.parse(m.Body))));
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      count += Messages.length;
      meter.add(Messages.length);
    }
  };
  await Promise.all(Array.from({ length: CALLS }, loop));
  client.destroy();
}

/**
 * publish → handler at 1,000 msg/s (latencyCase in lib.mjs): rxq beside the raw loops, each side on
 * a standard queue of its own.
 */
async function latency(client) {
  const queues = {};
  try {
    for (const side of ['rxq', 'raw']) {
      const name = `rxq-bench-lat-${side}-${randomUUID().slice(0, 8)}`;
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name }));
      queues[side] = { name, url: QueueUrl };
    }
    // Each round's bodies go to the queue of the side that runs.
    let current = queues.rxq;
    const send = (bodies) => publishMany(client, current.url, bodies);
    const started = (side, start) => (onBody) => {
      current = queues[side];
      return start(onBody);
    };
    await latencyCase('sqs (ElasticMQ)', {
      publish: (body) => send([body]),
      publishBatch: send,
      rxq: started('rxq', (onBody) =>
        runRxq(
          fromQueue(sqs(queues.rxq.name, { clientConfig, waitTimeSeconds: 1, maxConcurrentReceives: CALLS }), {
            maxInFlight: MAX_IN_FLIGHT,
          }),
          onBody,
        ),
      ),
      raw: started('raw', async (onBody) => {
        const consumer = new SQSClient(clientConfig);
        const handler = async (body) => onBody(body);
        let running = true;
        const loop = async () => {
          while (running) {
            const { Messages = [] } = await consumer.send(
              new ReceiveMessageCommand({ QueueUrl: queues.raw.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
            );
            if (Messages.length === 0) continue;
            await Promise.all(Messages.map((m) => handler(JSON.parse(m.Body))));
            await consumer.send(
              new DeleteMessageBatchCommand({
                QueueUrl: queues.raw.url,
                Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
              }),
            );
          }
        };
        const loops = Promise.all(Array.from({ length: CALLS }, loop));
        return async () => {
          running = false;
          await loops;
          consumer.destroy();
        };
      }),
      extra: { waitTimeSeconds: 1, receivesInFlight: CALLS, maxInFlight: MAX_IN_FLIGHT, warmUp: true },
      warmUp: true,
    });
  } finally {
    for (const q of Object.values(queues))
      await client.send(new DeleteQueueCommand({ QueueUrl: q.url })).catch(() => undefined);
  }
}

function consumeInChild(side, queue, warm, n) {
  const args = [
    '--expose-gc',
    ...childFlags(),
    '--no-warnings',
    new URL(import.meta.url).pathname,
    '--consume',
    side,
    queue,
  ];
  const out = spawnSync(process.execPath, [...args, String(warm), String(n)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (out.status !== 0) throw new Error(`bench child ${side} failed (${out.status})`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

async function main() {
  if (process.argv[2] === '--latency') {
    const client = new SQSClient(clientConfig);
    try {
      await latency(client);
    } finally {
      client.destroy();
    }
    return;
  }
  if (process.argv[2] === '--consume') {
    const [, , , side, queue, warm, n] = process.argv;
    const total = Number(warm) + Number(n);
    const url = `${clientConfig.endpoint}/000000000000/${queue}`;
    const m = await measureWarm(Number(warm), Number(n), (meter) =>
      side === 'rxq' ? rxq(queue, total, meter) : raw(url, total, meter),
    );
    console.log(JSON.stringify(m));
    return;
  }
  const n = envInt('BENCH_N', 20_000);
  const warm = Number(process.env.BENCH_WARMUP ?? 2_000);
  const rounds = envInt('BENCH_ROUNDS', 5);
  const client = new SQSClient(clientConfig);
  const rxqRuns = [];
  const rawRuns = [];
  try {
    for (let r = 0; r < rounds; r++) {
      for (const side of ['rxq', 'raw']) {
        const queue = `rxq-bench-${randomUUID().slice(0, 8)}`;
        const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: queue }));
        try {
          const bodies = Array.from({ length: warm + n }, (_, i) => ({ n: i, pad: PAD }));
          await publishMany(client, QueueUrl, bodies, { window: 20 });
          (side === 'rxq' ? rxqRuns : rawRuns).push(consumeInChild(side, queue, warm, n));
        } finally {
          await client.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
        }
      }
    }
  } finally {
    client.destroy();
  }
  const peak = (runs) => Math.max(...runs.map((m) => m.peakRssMB));
  const rxqRun = { ...fastest(rxqRuns), peakRssMB: peak(rxqRuns) };
  const rawRun = { ...fastest(rawRuns), peakRssMB: peak(rawRuns) };
  report('sqs consume+delete (ElasticMQ)', n, rxqRun, rawRun, {
    medianRatio: medianRatio(rxqRuns, rawRuns),
    cpuUsPerMsg: { rxq: rxqRun.cpuUsPerMsg, raw: rawRun.cpuUsPerMsg },
    medianCpuUsPerMsg: cpuMedians(rxqRuns, rawRuns),
    warmup: warm,
    maxInFlight: MAX_IN_FLIGHT,
    receivesInFlight: CALLS,
    runs: { rxq: rates(rxqRuns), raw: rates(rawRuns) },
  });
  const latencyClient = new SQSClient(clientConfig);
  try {
    await latency(latencyClient);
  } finally {
    latencyClient.destroy();
  }
}

await main();
