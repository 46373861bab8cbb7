// NATS JetStream: rxq `fromQueue(nats(stream))` → handle → ack beside the raw @nats-io/jetstream
// client doing the same work: a durable pull consumer with explicit acks, JSON decoding, an async
// no-op handler, one ack per message. BENCH_WARMUP (20,000) + BENCH_N (100,000) ~100-byte messages
// are preloaded once (untimed); each round reads them all through a fresh durable consumer, rxq
// and raw alternating (each in a child process of its own), timed over the N after the warm-up
// (Meter in lib.mjs). Reported: the fastest round of each, the median ratio over BENCH_ROUNDS (5)
// rounds, CPU µs per message, every round's rate. BENCH_BIG=1 drains 1,000,000 timed whole
// (connect to the last message) and checks rxq's peak RSS against 150 MB. Then the latency case
// (latencyCase in lib.mjs: 1,000 msg/s for 10 s, publish → handler, after an unrecorded warm-up
// round of each side); `node bench/nats.mjs
// --latency` runs only it, BENCH_LATENCY=0 skips it.
//   rxq: maxInFlight 256, handle concurrency 64, acks resolved by one PING per batch
//   raw: consumer.consume({ max_messages: 256 }) iterated in order, m.ack() per message
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { fromQueue } from '@rxq/core';
import { nats, publishMany } from '@rxq/nats';
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

// The raw client is @rxq/nats's own (peer, dev) dependency: resolve it from there.
const fromNats = createRequire(new URL('../packages/nats/package.json', import.meta.url));
const { connect } = await import(fromNats.resolve('@nats-io/transport-node'));
const { jetstream, jetstreamManager, AckPolicy, StorageType } = await import(fromNats.resolve('@nats-io/jetstream'));

const SERVER = process.env.RXQ_NATS_URL ?? '127.0.0.1:4222';
const PAD = 'x'.repeat(80);
const MAX_IN_FLIGHT = 256;

async function rxq(stream, consumer, total, meter) {
  const source = fromQueue(nats(stream, { connection: SERVER, consumer }), { maxInFlight: MAX_IN_FLIGHT });
  await drainWithRxq(source, total, 64, meter);
}

async function raw(stream, consumer, total, meter) {
  const nc = await connect({ servers: SERVER });
  const js = jetstream(nc);
  const c = await js.consumers.get(stream, consumer);
  const messages = await c.consume({ max_messages: MAX_IN_FLIGHT });
  const handler = async () => {};
  let count = 0;
  for await (const m of messages) {
    await handler(JSON.parse(new TextDecoder().decode(m.data)));
    m.ack();
    meter.add();
    if (++count === total) break;
  }
  await nc.flush();
  await nc.close();
}

function consumeInChild(side, stream, consumer, warm, n) {
  const args = ['--expose-gc', ...childFlags(), new URL(import.meta.url).pathname, '--consume', side, stream, consumer];
  const out = spawnSync(process.execPath, [...args, String(warm), String(n)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (out.status !== 0) throw new Error(`bench child ${side} failed (${out.status})`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

/**
 * publish → handler at 1,000 msg/s (latencyCase in lib.mjs): rxq beside the raw client's
 * `consume()`, each through a durable consumer of its own created at the stream's end.
 */
async function latency(nc, jsm) {
  const stream = `RXQ_BENCH_LAT_${randomUUID().slice(0, 8)}`;
  await jsm.streams.add({ name: stream, subjects: [`${stream}.in`], storage: StorageType.File });
  const js = jetstream(nc);
  try {
    for (const name of ['lat-rxq', 'lat-raw'])
      await jsm.consumers.add(stream, { durable_name: name, ack_policy: AckPolicy.Explicit, max_ack_pending: 1_000 });
    await latencyCase('nats', {
      // Core NATS publishes (the stream stores them), flushed at each tick: a JetStream publish
      // waits for its ack one by one, and that wait would be the latency measured.
      publish: (b) => js.publish(`${stream}.in`, JSON.stringify(b)),
      publishBatch: (bodies) => {
        for (const b of bodies) nc.publish(`${stream}.in`, JSON.stringify(b));
        return nc.flush();
      },
      rxq: (onBody) =>
        runRxq(
          fromQueue(nats(stream, { connection: SERVER, consumer: 'lat-rxq' }), { maxInFlight: MAX_IN_FLIGHT }),
          onBody,
        ),
      warmUp: true,
      extra: { warmUp: true },
      raw: async (onBody) => {
        const c = await js.consumers.get(stream, 'lat-raw');
        const messages = await c.consume({ max_messages: MAX_IN_FLIGHT });
        const handler = async () => {};
        const loop = (async () => {
          for await (const m of messages) {
            await handler(onBody(JSON.parse(new TextDecoder().decode(m.data))));
            m.ack();
          }
        })();
        return async () => {
          await messages.close();
          await loop;
        };
      },
    });
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
  }
}

async function main() {
  if (process.argv[2] === '--latency') {
    const nc = await connect({ servers: SERVER });
    try {
      await latency(nc, await jetstreamManager(nc));
    } finally {
      await nc.close();
    }
    return;
  }
  if (process.argv[2] === '--consume') {
    const [, , , side, stream, consumer, warm, n] = process.argv;
    const total = Number(warm) + Number(n);
    const run = side === 'rxq' ? rxq : raw;
    const m = await measureWarm(Number(warm), Number(n), (meter) => run(stream, consumer, total, meter));
    console.log(JSON.stringify(m));
    return;
  }
  const big = process.env.BENCH_BIG === '1';
  const n = envInt('BENCH_N', big ? 1_000_000 : 100_000);
  const warm = big ? 0 : Number(process.env.BENCH_WARMUP ?? 20_000);
  const rounds = envInt('BENCH_ROUNDS', big ? 1 : 5);
  const stream = `RXQ_BENCH_${randomUUID().slice(0, 8)}`;
  const nc = await connect({ servers: SERVER });
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.add({ name: stream, subjects: [`${stream}.in`], storage: StorageType.File });
    const total = warm + n;
    for (let i = 0; i < total; i += 10_000) {
      const bodies = Array.from({ length: Math.min(10_000, total - i) }, (_, k) => ({ n: i + k, pad: PAD }));
      await publishMany(nc, `${stream}.in`, bodies, { window: 2_000 });
    }
    const rxqRuns = [];
    const rawRuns = [];
    for (let r = 0; r < rounds; r++) {
      for (const side of ['rxq', 'raw']) {
        const consumer = `bench-${side}-${r}`;
        await jsm.consumers.add(stream, {
          durable_name: consumer,
          ack_policy: AckPolicy.Explicit,
          max_ack_pending: 1_000,
        });
        (side === 'rxq' ? rxqRuns : rawRuns).push(consumeInChild(side, stream, consumer, warm, n));
        await jsm.consumers.delete(stream, consumer);
      }
    }
    const peak = (runs) => Math.max(...runs.map((m) => m.peakRssMB));
    const rxqRun = { ...fastest(rxqRuns), peakRssMB: peak(rxqRuns) };
    const rawRun = { ...fastest(rawRuns), peakRssMB: peak(rawRuns) };
    report(big ? 'nats drain 1M' : 'nats consume+ack', n, rxqRun, rawRun, {
      medianRatio: medianRatio(rxqRuns, rawRuns),
      cpuUsPerMsg: { rxq: rxqRun.cpuUsPerMsg, raw: rawRun.cpuUsPerMsg },
      medianCpuUsPerMsg: cpuMedians(rxqRuns, rawRuns),
      warmup: warm,
      maxInFlight: MAX_IN_FLIGHT,
      runs: { rxq: rates(rxqRuns), raw: rates(rawRuns) },
      ...(big ? { rssTargetMB: 150, rssOk: rxqRun.peakRssMB <= 150 } : {}),
    });
    if (!big) await latency(nc, jsm);
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  }
}

await main();
