// `pnpm bench amqp`: consume N persistent ~100-byte messages from a durable queue, rxq beside raw
// amqplib, each in its own node process (so one's heap never inflates the other's peak RSS).
//   rxq: fromQueue(amqp(q), { maxInFlight: 100 }) → handle(async () => {}, { concurrency: 64 }) → ack()
//   raw: prefetch(100), JSON.parse, the same async no-op handler, one basic.ack per message
// Both decode JSON, run the handler and ack every message; the preload (with confirms) is untimed.
// Each consumer handles BENCH_WARMUP messages (default 20,000) before its timed window of N opens
// (see Meter in lib.mjs), and each side runs BENCH_REPEAT times (default 5), interleaved: the best
// run counts for msgsPerSec and ratio, `medianRatio` compares the medians. `cpuUsPerMsg` is the
// consumer process's CPU time (user + system, process.cpuUsage) per message over the window, for
// the best run and as the median of the runs.
// BENCH_N overrides N (default 100,000); BENCH_BIG=1 adds a 1,000,000-message drain (timed whole);
// The latency case (latencyCase in lib.mjs) publishes 1,000 persistent msg/s for 10 s, rxq beside
// amqplib's consume; BENCH_LATENCY=0 skips it, BENCH_ONLY=latency runs only it.
// BENCH_HEADERS=1 gives every message five typed headers (a string, an int32, an int64, a boolean, a
// table); BENCH_HEADERS=wide makes the int64 2^62, beyond what amqplib's numbers hold, so rxq decodes
// every table again from its raw bytes.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { fromQueue } from '@rxq/core';
import { amqp, publishMany } from '@rxq/amqp';
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
  settle,
} from './lib.mjs';

// The raw client is the amqplib @rxq/amqp resolves (its peer, a dev dependency here).
const amqplib = createRequire(import.meta.resolve('@rxq/amqp'))('amqplib');
const URL = process.env.RXQ_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const PAD = 'x'.repeat(80);
const REPEAT = envInt('BENCH_REPEAT', 5);
const WARM = Number(process.env.BENCH_WARMUP ?? 20_000);

function* bodies(n) {
  for (let i = 0; i < n; i++) yield { n: i, pad: PAD };
}

async function withChannel(use) {
  const conn = await amqplib.connect(URL);
  try {
    const ch = await conn.createChannel();
    return await use(ch);
  } finally {
    await conn.close();
  }
}

async function preload(queue, n) {
  await withChannel((ch) => ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } }));
  const mode = process.env.BENCH_HEADERS;
  const headers =
    mode === '1' || mode === 'wide'
      ? {
          tenant: 'acme',
          n: { '!': 'int32', value: -7 },
          big: { '!': 'int64', value: mode === 'wide' ? 2n ** 62n : 2n ** 40n },
          ok: true,
          meta: { a: 'b' },
        }
      : undefined;
  await publishMany(URL, queue, bodies(n), { persistent: true, maxUnconfirmed: 5_000, ...(headers && { headers }) });
}

async function consumeRxq(queue, n, meter) {
  const source = fromQueue(amqp(queue, { connection: URL }), { maxInFlight: 100 });
  await drainWithRxq(source, n, 64, meter);
}

async function consumeRaw(queue, n, meter) {
  const conn = await amqplib.connect(URL);
  const ch = await conn.createChannel();
  await ch.prefetch(100);
  const handler = async () => {};
  await new Promise((resolve) => {
    let count = 0;
    void ch.consume(queue, (msg) => {
      const body = JSON.parse(msg.content.toString('utf8'));
      void handler(body).then(() => {
        ch.ack(msg);
        meter.add();
        if (++count === n) resolve();
      });
    });
  });
  await ch.close();
  await conn.close();
}

/** Child process: consume warm + n messages and print the window's {seconds, messages, cpuUsPerMsg, peakRssMB}. */
async function child(kind, queue, n, warm) {
  const consume = kind === 'rxq' ? consumeRxq : consumeRaw;
  const m = await measureWarm(warm, n, (meter) => consume(queue, warm + n, meter));
  console.log(JSON.stringify(m));
}

function runChild(kind, queue, n, warm) {
  const args = ['--expose-gc', ...childFlags(), fileURLToPath(import.meta.url), kind, queue, String(n), String(warm)];
  const out = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (out.status !== 0) throw new Error(`bench child ${kind} failed with ${out.status}`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

async function benchCase(name, n, repeat, warm) {
  const queue = `rxq.bench.${process.pid}.${name.replace(/\W+/g, '-')}`;
  const runs = { rxq: [], raw: [] };
  try {
    for (let i = 0; i < repeat; i++) {
      for (const kind of ['raw', 'rxq']) {
        await preload(queue, warm + n);
        settle();
        runs[kind].push(runChild(kind, queue, n, warm));
        const left = await withChannel(async (ch) => (await ch.checkQueue(queue)).messageCount);
        if (left !== 0) throw new Error(`${kind} left ${left} messages in ${queue}`);
      }
    }
  } finally {
    await withChannel((ch) => ch.deleteQueue(queue));
  }
  const a = fastest(runs.rxq);
  const b = fastest(runs.raw);
  report(name, n, a, b, {
    medianRatio: medianRatio(runs.rxq, runs.raw),
    cpuUsPerMsg: { rxq: a.cpuUsPerMsg, raw: b.cpuUsPerMsg },
    medianCpuUsPerMsg: cpuMedians(runs.rxq, runs.raw),
    warmup: warm,
    runs: { rxq: rates(runs.rxq), raw: rates(runs.raw) },
    prefetch: 100,
    concurrency: 64,
    bodyBytes: 100,
  });
}

const [kind, queue, n, warm] = process.argv.slice(2);
if (kind === 'rxq' || kind === 'raw') await child(kind, queue, Number(n), Number(warm));
else {
  if (process.env.BENCH_ONLY !== 'latency')
    await benchCase('amqp consume+ack', envInt('BENCH_N', 100_000), REPEAT, WARM);
  if (process.env.BENCH_BIG === '1') await benchCase('amqp drain 1M', 1_000_000, 1, 0);
  await latency(`rxq.bench.${process.pid}.latency`);
}

/** publish → handler at 1,000 msg/s (latencyCase in lib.mjs): rxq beside amqplib's consume (prefetch 100). */
async function latency(queue) {
  const conn = await amqplib.connect(URL);
  try {
    const pub = await conn.createChannel();
    await pub.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    await latencyCase('amqp', {
      publish: (b) => void pub.sendToQueue(queue, Buffer.from(JSON.stringify(b)), { persistent: true }),
      rxq: (onBody) => runRxq(fromQueue(amqp(queue, { connection: URL }), { maxInFlight: 100 }), onBody),
      raw: async (onBody) => {
        // A connection of its own, as rxq's source has: one shared with the publisher is throttled
        // with it (RabbitMQ's flow control is per connection).
        const own = await amqplib.connect(URL);
        const ch = await own.createChannel();
        await ch.prefetch(100);
        const handler = async () => {};
        const { consumerTag } = await ch.consume(queue, (msg) => {
          void handler(onBody(JSON.parse(msg.content.toString('utf8')))).then(() => ch.ack(msg));
        });
        return async () => {
          await ch.cancel(consumerTag);
          await own.close();
        };
      },
    });
    await pub.deleteQueue(queue);
  } finally {
    await conn.close();
  }
}
