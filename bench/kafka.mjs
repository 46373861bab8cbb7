// Kafka: rxq `fromQueue(kafka(...))` → handle → ack beside raw kafkajs eachBatch (resolve + commit
// per batch), same topic, same JSON decoding, at-least-once both. Kafka's ConsumerPerformance tool
// is printed as the ceiling. BENCH_N (default 100,000); BENCH_BIG=1 drains 1,000,000 with rxq and
// checks peak RSS.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { ack, fromQueue, handle } from '@rxq/core';
import { kafka } from '@rxq/kafka';
import { createRequire } from 'node:module';
import { envInt, measure, report, settle } from './lib.mjs';

// kafkajs is a dependency of @rxq/kafka, not of the workspace root: resolve it from there.
const { Kafka, logLevel, Partitioners } = createRequire(new URL('../packages/kafka/package.json', import.meta.url))(
  'kafkajs',
);
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

async function rxq(topic, n, maxInFlight = 1024) {
  let done = 0;
  const source = fromQueue(
    kafka(topic, {
      client,
      groupId: group('rxq'),
      fromBeginning: true,
      heartbeatIntervalMs: 1_000,
      sessionTimeoutMs: 10_000,
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

async function raw(topic, n) {
  const consumer = client.consumer({ groupId: group('raw'), heartbeatInterval: 1_000, sessionTimeout: 10_000 });
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

async function main() {
  await admin.connect();
  if (process.argv[2] === '--preload') {
    await preload(process.argv[3], Number(process.argv[4]));
    await admin.disconnect();
    return;
  }
  const big = process.env.BENCH_BIG === '1';
  const n = envInt('BENCH_N', big ? 1_000_000 : 100_000);
  // BENCH_TOPIC: reuse a preloaded topic and keep it (profiling runs).
  const topic = process.env.BENCH_TOPIC ?? `rxq-bench-${randomUUID().slice(0, 8)}`;
  try {
    if (!(await admin.listTopics()).includes(topic)) preloadInChild(topic, n);
    settle();
    const baselineRssMB = Math.round(process.memoryUsage.rss() / 1024 / 1024);
    // BENCH_ONLY=rxq|raw runs one side (for profiling); the report then repeats it as the other.
    const only = process.env.BENCH_ONLY;
    // Rounds alternate rxq and raw (each with a fresh group), so that neither side alone pays for
    // warming up kafkajs' decoder and the broker's page cache; the best round of each is
    // reported. rxq goes first, so that its first peak RSS is not the raw run's leftover heap.
    const rounds = envInt('BENCH_ROUNDS', big ? 2 : 3);
    let rxqRun;
    let rawRun;
    const best = (a, b) => (a === undefined || b.seconds < a.seconds ? b : a);
    let firstRxqRssMB;
    for (let r = 0; r < rounds; r++) {
      if (only !== 'raw') {
        rxqRun = best(rxqRun, await measure(() => rxq(topic, n)));
        // rxq's peak RSS is its first round's, measured before any raw round left its heap behind.
        firstRxqRssMB ??= rxqRun.peakRssMB;
      }
      settle();
      if (only !== 'rxq') rawRun = best(rawRun, await measure(() => raw(topic, n)));
      settle();
    }
    if (rxqRun) rxqRun = { ...rxqRun, peakRssMB: firstRxqRssMB };
    const perf = only ? {} : ceiling(topic, n);
    report(
      big ? 'kafka drain 1M, 4 partitions' : 'kafka consume, 4 partitions',
      n,
      rxqRun ?? rawRun,
      rawRun ?? rxqRun,
      {
        ceiling: perf,
        baselineRssMB,
        rounds,
        ...(big && rxqRun ? { rssTargetMB: 150, rssOk: rxqRun.peakRssMB <= 150 } : {}),
      },
    );
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
