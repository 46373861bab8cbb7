// Kafka: rxq `fromQueue(kafka(...))` → handle → ack beside raw kafkajs eachBatch (resolve + commit
// per batch), same topic, same JSON decoding, at-least-once both; and the same pair on
// @platformatic/kafka (rxq with driver 'platformatic', raw: its message stream, commits every 1,024). Kafka's ConsumerPerformance tool
// is printed as the ceiling. BENCH_WARMUP (100,000) + BENCH_N (100,000) messages are preloaded;
// each consumer (a fresh group from the beginning) is timed over the N after its first
// BENCH_WARMUP (Meter in lib.mjs: the throughput of a consumer that is up and running), and
// `coldMsgsPerSec` is its rate from connect, through the group join, to the end of the warm-up.
// Every consumer runs in a child process of its own, as a long-running consumer would (one
// pipeline per process), with its own peak RSS. BENCH_BIG=1 drains 1,000,000 timed whole (connect
// to the last message) and checks peak RSS. BENCH_MAX_IN_FLIGHT sets rxq's maxInFlight (1,024).
// The latency case (latencyCase in lib.mjs: 1,000 msg/s for 10 s, publish → handler) follows;
// BENCH_ONLY=latency runs only it, BENCH_LATENCY=0 skips it.
// BENCH_ONLY=publish runs only the publish case: @rxq/kafka's publishMany beside kafkajs'
// producer.send, BENCH_N (100,000) keyed ~100-byte records, 1,000 per request, acks -1, onto a
// 4-partition topic; BENCH_ROUNDS (5) alternating rounds, records/s and CPU µs per record.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { ack, fromQueue, handle } from '@rxq/core';
import { kafka, publishMany } from '@rxq/kafka';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import {
  childFlags,
  cpuMedians,
  envInt,
  fastest,
  latencyCase,
  measureWarm,
  median,
  medianRatio,
  rates,
  report,
  runRxq,
} from './lib.mjs';

// kafkajs is a dependency of @rxq/kafka, not of the workspace root: resolve it from there.
const requireFromKafka = createRequire(new URL('../packages/kafka/package.json', import.meta.url));
const { Kafka, logLevel, Partitioners } = requireFromKafka('kafkajs');
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const BROKERS = ['127.0.0.1:9092'];
const PARTITIONS = 4;
const client = new Kafka({ brokers: BROKERS, clientId: 'rxq-bench', logLevel: logLevel.NOTHING });
const admin = client.admin();
const groups = [];
const group = (name) => {
  const g = `rxq-bench-${name}-${randomUUID().slice(0, 8)}`;
  groups.push(g);
  return g;
};

async function preload(topic, n) {
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const pad = 'x'.repeat(80);
  const chunk = 5_000;
  const inFlight = [];
  for (let i = 0; i < n; i += chunk) {
    const messages = [];
    for (let j = i; j < Math.min(n, i + chunk); j++)
      messages.push({ key: String(j), value: JSON.stringify({ n: j, pad }) });
    inFlight.push(producer.send({ topic, acks: 1, messages }));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await producer.disconnect();
}

async function rxq(topic, groupId, n, meter, maxInFlight = envInt('BENCH_MAX_IN_FLIGHT', 1024), commit = {}) {
  let done = 0;
  const source = fromQueue(
    kafka(topic, {
      ...(commit.driver === 'platformatic' ? { brokers: BROKERS } : { client }),
      groupId,
      fromBeginning: true,
      heartbeatIntervalMs: 1_000,
      sessionTimeoutMs: 10_000,
      ...commit,
    }),
    { maxInFlight },
  );
  await new Promise((resolve, reject) => {
    const sub = source
      .pipe(
        handle(async () => {}, { concurrency: 64 }),
        ack(),
      )
      .subscribe({
        next: () => {
          meter.add();
          if (++done === n) resolve();
        },
        error: reject,
      });
    source.status$.subscribe((s) => s.status === 'closed' && done < n && reject(new Error(`closed at ${done}`)));
    void sub;
  });
  await source.stop();
  return source.metrics.snapshot();
}

async function raw(topic, groupId, n, meter) {
  const consumer = client.consumer({ groupId, heartbeatInterval: 1_000, sessionTimeout: 10_000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let done = 0;
  const handler = async () => {};
  await new Promise((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }) => {
          for (const m of batch.messages) {
            JSON.parse(m.value.toString('utf8'));
            await handler(m);
            resolveOffset(m.offset);
            meter.add();
          }
          const next = String(BigInt(batch.lastOffset()) + 1n);
          await commitOffsetsIfNecessary({
            topics: [{ topic, partitions: [{ partition: batch.partition, offset: next }] }],
          });
          await heartbeat();
          done += batch.messages.length;
          if (done >= n) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
}

/**
 * publish → handler at 1,000 msg/s (latencyCase in lib.mjs) on a 4-partition topic: rxq beside
 * kafkajs's eachMessage (auto-commit), each with a group of its own.
 */
async function latency() {
  const topic = `rxq-bench-lat-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const rxqGroup = group('lat-rxq');
  const rawGroup = group('lat-raw');
  try {
    await latencyCase('kafka, 4 partitions', {
      publish: (b) => producer.send({ topic, acks: 1, messages: [{ value: JSON.stringify(b) }] }),
      publishBatch: (bodies) =>
        producer.send({ topic, acks: 1, messages: bodies.map((b) => ({ value: JSON.stringify(b) })) }),
      rxq: (onBody) =>
        runRxq(
          fromQueue(
            kafka(topic, {
              client,
              groupId: rxqGroup,
              fromBeginning: true,
              heartbeatIntervalMs: 1_000,
              sessionTimeoutMs: 10_000,
            }),
            { maxInFlight: 1024 },
          ),
          onBody,
        ),
      raw: async (onBody) => {
        const consumer = client.consumer({ groupId: rawGroup, heartbeatInterval: 1_000, sessionTimeout: 10_000 });
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        const handler = async () => {};
        await consumer.run({
          eachMessage: async ({ message }) => handler(onBody(JSON.parse(message.value.toString('utf8')))),
        });
        return () => consumer.disconnect();
      },
    });
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  }
}

/**
 * Raw @platformatic/kafka: its messages stream from the earliest offset, each JSON-parsed and
 * handed to the same no-op async handler, at-least-once: the processed offsets committed every
 * 1,024 messages (about as often as raw kafkajs commits per batch), autocommit off.
 */
async function rawPlatformatic(topic, groupId, n, meter) {
  const { Consumer } = await import(pathToFileURL(requireFromKafka.resolve('@platformatic/kafka')).href);
  const consumer = new Consumer({
    clientId: 'rxq-bench',
    bootstrapBrokers: BROKERS,
    groupId,
    autocommit: false,
    heartbeatInterval: 1_000,
    sessionTimeout: 10_000,
    maxWaitTime: 100,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  const handler = async () => {};
  const next = new Map();
  let since = 0;
  let done = 0;
  const commit = () =>
    consumer.commit({
      offsets: [...next].map(([partition, offset]) => ({ topic, partition, offset, leaderEpoch: -1 })),
    });
  for await (const m of stream) {
    JSON.parse(m.value.toString('utf8'));
    await handler(m);
    next.set(m.partition, m.offset + 1n);
    meter.add();
    if (++since >= 1024) {
      since = 0;
      await commit();
    }
    if (++done >= n) break;
  }
  await commit();
  await stream.close();
  await consumer.close(true);
}

/** publishMany beside the kafkajs producer it wraps: the cost of what rxq adds to a publish. */
async function publishCase(n, rounds) {
  const topic = `rxq-bench-publish-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  const pad = 'x'.repeat(80);
  const records = Array.from({ length: n }, (_, j) => ({ key: String(j), value: { n: j, pad } }));
  const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const sides = {
    rxq: () => publishMany(client, topic, records, { maxBatch: 1_000 }),
    raw: async () => {
      for (let i = 0; i < n; i += 1_000)
        await producer.send({
          topic,
          acks: -1,
          messages: records
            .slice(i, i + 1_000)
            .map((r) => ({ key: Buffer.from(r.key), value: Buffer.from(JSON.stringify(r.value)) })),
        });
    },
  };
  const runs = { rxq: [], raw: [] };
  try {
    for (let r = 0; r < rounds; r++)
      for (const side of ['rxq', 'raw']) {
        const cpu = process.cpuUsage();
        const from = performance.now();
        await sides[side]();
        const ms = performance.now() - from;
        const used = process.cpuUsage(cpu);
        runs[side].push({ msgsPerSec: Math.round(n / (ms / 1000)), cpuUsPerMsg: (used.user + used.system) / n });
      }
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  }
  const summary = (list) => ({
    msgsPerSec: median(list.map((m) => m.msgsPerSec)),
    cpuUsPerMsg: Number(median(list.map((m) => m.cpuUsPerMsg)).toFixed(2)),
    rounds: list.map((m) => m.msgsPerSec),
  });
  console.log(JSON.stringify({ publish: { n, rxq: summary(runs.rxq), raw: summary(runs.raw) } }));
}

function ceiling(topic, n) {
  const g = group('perf');
  const out = spawnSync(
    'bash',
    ['scripts/kafka.sh', 'perf-consume', topic, String(n), '--group', g, '--timeout', '60000'],
    {
      encoding: 'utf8',
    },
  );
  const lines = out.stdout.trim().split('\n');
  const header = (lines.find((l) => l.includes('nMsg.sec')) ?? '').split(',').map((s) => s.trim());
  const values = (lines.at(-1) ?? '').split(',').map((s) => s.trim());
  const at = (name) => Number(values[header.indexOf(name)]);
  return {
    tool: 'ConsumerPerformance',
    msgsPerSec: Math.round(at('nMsg.sec')),
    fetchMsgsPerSec: Math.round(at('fetch.nMsg.sec')),
  };
}

/** Preloads in a child process, so that the producer's heap never counts in the measured RSS. */
function preloadInChild(topic, n) {
  const child = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--preload', topic, String(n)], {
    stdio: 'inherit',
  });
  if (child.status !== 0) throw new Error(`preload failed (${child.status})`);
}

/** One consumer (rxq or raw) in a child process: warm + n messages, the n after warm timed. */
function consumeInChild(side, topic, warm, n) {
  const args = [
    '--expose-gc',
    ...childFlags(),
    new URL(import.meta.url).pathname,
    '--consume',
    side,
    topic,
    group(side),
  ];
  const out = spawnSync(process.execPath, [...args, String(warm), String(n)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (out.status !== 0) throw new Error(`bench child ${side} failed (${out.status})`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

async function main() {
  if (process.argv[2] === '--consume') {
    const [, , , side, topic, groupId, warm, n] = process.argv;
    // rxq-interval: rxq committing once a second only (the connector's behaviour before commits
    // followed the settled prefix: maxUncommitted out of reach), for BENCH_COMMIT=compare.
    // BENCH_MAX_IN_FLIGHT: the commit comparison at another maxInFlight (a smaller one makes the
    // settled count call for more commits a second at the same rate).
    const mif = envInt('BENCH_MAX_IN_FLIGHT', 1024);
    const consume =
      side === 'rxq'
        ? (t, g, total, meter) => rxq(t, g, total, meter, mif)
        : side === 'rxq-interval'
          ? (t, g, total, meter) => rxq(t, g, total, meter, mif, { maxUncommitted: Number.MAX_SAFE_INTEGER })
          : side === 'rxq-eager'
            ? (t, g, total, meter) => rxq(t, g, total, meter, mif, { commitIntervalMs: 0 })
            : side === 'rxq-platformatic'
              ? (t, g, total, meter) => rxq(t, g, total, meter, 1024, { driver: 'platformatic' })
              : side === 'raw-platformatic'
                ? rawPlatformatic
                : raw;
    const total = Number(warm) + Number(n);
    const m = await measureWarm(Number(warm), Number(n), (meter) => consume(topic, groupId, total, meter));
    console.log(JSON.stringify(m));
    return;
  }
  await admin.connect();
  if (process.argv[2] === '--preload') {
    await preload(process.argv[3], Number(process.argv[4]));
    await admin.disconnect();
    return;
  }
  const big = process.env.BENCH_BIG === '1';
  const n = envInt('BENCH_N', big ? 1_000_000 : 100_000);
  const warm = big ? 0 : Number(process.env.BENCH_WARMUP ?? 100_000);
  const total = warm + n;
  if (process.env.BENCH_ONLY === 'publish') {
    try {
      await publishCase(n, envInt('BENCH_ROUNDS', 5));
    } finally {
      await admin.disconnect();
    }
    return;
  }
  if (process.env.BENCH_ONLY === 'latency') {
    try {
      await latency();
    } finally {
      await admin.deleteGroups(groups).catch(() => undefined);
      await admin.disconnect();
    }
    return;
  }
  // BENCH_TOPIC: reuse a preloaded topic and keep it (profiling runs).
  const topic = process.env.BENCH_TOPIC ?? `rxq-bench-${randomUUID().slice(0, 8)}`;
  try {
    if (!(await admin.listTopics()).includes(topic)) preloadInChild(topic, total);
    // BENCH_ONLY=rxq|raw runs one side (for profiling); the report then repeats it as the other.
    const only = process.env.BENCH_ONLY;
    // Rounds alternate rxq and raw (each a fresh process and group), so that a slow spell of the
    // shared machine hits both sides; the best round of each is reported, and every round listed.
    const rounds = envInt('BENCH_ROUNDS', big ? 2 : 5);
    if (process.env.BENCH_COMMIT === 'compare') {
      // The cost of committing every maxInFlight settled messages (the default) beside committing
      // once a second only (before), and after every settle (commitIntervalMs 0), rounds interleaved.
      const dflt = [];
      const interval = [];
      const eager = [];
      for (let r = 0; r < rounds; r++) {
        dflt.push(consumeInChild('rxq', topic, warm, n));
        interval.push(consumeInChild('rxq-interval', topic, warm, n));
        eager.push(consumeInChild('rxq-eager', topic, warm, n));
      }
      report('kafka commit cost: default vs once a second (before)', n, fastest(dflt), fastest(interval), {
        medianRatio: medianRatio(dflt, interval),
        cpuUsPerMsg: { default: fastest(dflt).cpuUsPerMsg, onceASecond: fastest(interval).cpuUsPerMsg },
        eagerMedianRatio: medianRatio(eager, interval),
        runs: { default: rates(dflt), onceASecond: rates(interval), eager: rates(eager) },
        cpuRuns: {
          default: dflt.map((m) => m.cpuUsPerMsg),
          onceASecond: interval.map((m) => m.cpuUsPerMsg),
          eager: eager.map((m) => m.cpuUsPerMsg),
        },
      });
      return;
    }
    const rxqRuns = [];
    const rawRuns = [];
    // Both drivers side by side (BENCH_DRIVERS=kafkajs for kafkajs only): rxq on @platformatic/kafka
    // and raw @platformatic/kafka, in the same interleaved rounds.
    const both = !only && process.env.BENCH_DRIVERS !== 'kafkajs';
    const pRxqRuns = [];
    const pRawRuns = [];
    for (let r = 0; r < rounds; r++) {
      if (only !== 'raw') rxqRuns.push(consumeInChild('rxq', topic, warm, n));
      if (only !== 'rxq') rawRuns.push(consumeInChild('raw', topic, warm, n));
      if (both) {
        pRxqRuns.push(consumeInChild('rxq-platformatic', topic, warm, n));
        pRawRuns.push(consumeInChild('raw-platformatic', topic, warm, n));
      }
    }
    const cold = (m) => (m && warm > 0 ? Math.round(warm / m.coldSeconds) : undefined);
    // Peak RSS: the highest of any round.
    const peak = (runs) => Math.max(...runs.map((m) => m.peakRssMB));
    const rxqRun = rxqRuns.length ? { ...fastest(rxqRuns), peakRssMB: peak(rxqRuns) } : undefined;
    const rawRun = rawRuns.length ? { ...fastest(rawRuns), peakRssMB: peak(rawRuns) } : undefined;
    const perf = only ? {} : ceiling(topic, total);
    report(
      big ? 'kafka drain 1M, 4 partitions' : 'kafka consume, 4 partitions',
      n,
      rxqRun ?? rawRun,
      rawRun ?? rxqRun,
      {
        ...(rxqRuns.length && rawRuns.length ? { medianRatio: medianRatio(rxqRuns, rawRuns) } : {}),
        cpuUsPerMsg: { rxq: rxqRun?.cpuUsPerMsg, raw: rawRun?.cpuUsPerMsg },
        ...(rxqRuns.length && rawRuns.length ? { medianCpuUsPerMsg: cpuMedians(rxqRuns, rawRuns) } : {}),
        coldMsgsPerSec: { rxq: cold(rxqRun), raw: cold(rawRun) },
        ceiling: perf,
        warmup: warm,
        runs: { rxq: rates(rxqRuns), raw: rates(rawRuns) },
        ...(big && rxqRun ? { rssTargetMB: 150, rssOk: rxqRun.peakRssMB <= 150 } : {}),
      },
    );
    if (both) {
      const pRxq = { ...fastest(pRxqRuns), peakRssMB: peak(pRxqRuns) };
      const pRaw = { ...fastest(pRawRuns), peakRssMB: peak(pRawRuns) };
      report(
        big ? 'kafka drain 1M, 4 partitions, @platformatic/kafka' : 'kafka consume, 4 partitions, @platformatic/kafka',
        n,
        pRxq,
        pRaw,
        {
          medianRatio: medianRatio(pRxqRuns, pRawRuns),
          cpuUsPerMsg: { rxq: pRxq.cpuUsPerMsg, raw: pRaw.cpuUsPerMsg },
          coldMsgsPerSec: { rxq: cold(pRxq), raw: cold(pRaw) },
          runs: { rxq: rates(pRxqRuns), raw: rates(pRawRuns) },
          medians: {
            rxqKafkajs: median(rates(rxqRuns)),
            rawKafkajs: median(rates(rawRuns)),
            rxqPlatformatic: median(rates(pRxqRuns)),
            rawPlatformatic: median(rates(pRawRuns)),
          },
          cpuMedians: {
            rxqKafkajs: median(rxqRuns.map((m) => m.cpuUsPerMsg)),
            rawKafkajs: median(rawRuns.map((m) => m.cpuUsPerMsg)),
            rxqPlatformatic: median(pRxqRuns.map((m) => m.cpuUsPerMsg)),
            rawPlatformatic: median(pRawRuns.map((m) => m.cpuUsPerMsg)),
          },
          ...(big ? { rssTargetMB: 150, rssOk: pRxq.peakRssMB <= 150 } : {}),
        },
      );
    }
    if (!only && !big) await latency();
  } finally {
    if (!process.env.BENCH_TOPIC) await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
