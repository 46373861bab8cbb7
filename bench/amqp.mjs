// `pnpm bench amqp`: consume N persistent ~100-byte messages from a durable queue, rxq beside raw
// amqplib, each in its own node process (so one's heap never inflates the other's peak RSS).
//   rxq: fromQueue(amqp(q), { maxInFlight: 100 }) → handle(async () => {}, { concurrency: 64 }) → ack()
//   raw: prefetch(100), JSON.parse, the same async no-op handler, one basic.ack per message
// Both decode JSON, run the handler and ack every message; the preload (with confirms) is untimed.
// BENCH_N overrides N (default 100,000); BENCH_BIG=1 adds a 1,000,000-message drain.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { fromQueue } from '@rxq/core';
import { amqp, publishAll } from '@rxq/amqp';
import { drainWithRxq, envInt, measure, report, settle } from './lib.mjs';

// The raw client is @rxq/amqp's own dependency: resolve it from there.
const amqplib = createRequire(import.meta.resolve('@rxq/amqp'))('amqplib');
const URL = process.env.RXQ_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const PAD = 'x'.repeat(80);

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
  await publishAll(URL, queue, bodies(n), { persistent: true, maxUnconfirmed: 5_000 });
}

async function consumeRxq(queue, n) {
  const source = fromQueue(amqp(queue, { connection: URL }), { maxInFlight: 100 });
  await drainWithRxq(source, n);
}

async function consumeRaw(queue, n) {
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
        if (++count === n) resolve();
      });
    });
  });
  await ch.close();
  await conn.close();
}

/** Child process: consume and print {seconds, peakRssMB}. */
async function child(kind, queue, n) {
  const m = await measure(() => (kind === 'rxq' ? consumeRxq(queue, n) : consumeRaw(queue, n)));
  console.log(JSON.stringify({ seconds: m.seconds, peakRssMB: m.peakRssMB }));
}

function runChild(kind, queue, n) {
  const out = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), kind, queue, String(n)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (out.status !== 0) throw new Error(`bench child ${kind} failed with ${out.status}`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

async function benchCase(name, n) {
  const queue = `rxq.bench.${process.pid}.${name}`;
  const measured = {};
  try {
    for (const kind of ['raw', 'rxq']) {
      await preload(queue, n);
      settle();
      measured[kind] = runChild(kind, queue, n);
      const left = await withChannel(async (ch) => (await ch.checkQueue(queue)).messageCount);
      if (left !== 0) throw new Error(`${kind} left ${left} messages in ${queue}`);
    }
  } finally {
    await withChannel((ch) => ch.deleteQueue(queue));
  }
  report(name, n, measured.rxq, measured.raw, { prefetch: 100, concurrency: 64, bodyBytes: 100 });
}

const [kind, queue, n] = process.argv.slice(2);
if (kind === 'rxq' || kind === 'raw') await child(kind, queue, Number(n));
else {
  await benchCase('amqp consume+ack', envInt('BENCH_N', 100_000));
  if (process.env.BENCH_BIG === '1') await benchCase('amqp drain 1M', 1_000_000);
}
