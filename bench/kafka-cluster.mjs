// pnpm bench kafka-cluster: @rxq/kafka on the three-broker cluster (scripts/kafka.sh cluster).
//  (a) scaling: BENCH_N (default 40,000) ~30-byte JSON records preloaded (untimed) into a topic of
//      4 partitions (replication factor 3, min.insync.replicas 2); 1, 2 and 4 consumer processes
//      (bench/cluster-consumer.mjs) in one group, timed from the moment every process holds an
//      assignment to the N-th ack; BENCH_REPEAT rounds (default 3), the median.
//  (b) failover: 2 processes consume a stream of about 1,000 records a second (acks=all); the leader
//      of partition 0 is SIGKILLed; the time from the kill to the first record produced after it
//      being handled; BENCH_FAILOVER rounds (default 3). The broker is started again after each.
// BENCH_CASES=scaling or BENCH_CASES=failover runs one of the two cases.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { envInt, median } from './lib.mjs';
import { failoverRun, reportScaling, scaleRun, script } from './cluster-lib.mjs';

const { Kafka, logLevel, Partitioners } = createRequire(new URL('../packages/kafka/package.json', import.meta.url))(
  'kafkajs',
);
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const N = envInt('BENCH_N', 40_000);
const REPEAT = envInt('BENCH_REPEAT', 3);
const FAILOVER = envInt('BENCH_FAILOVER', 3);
/** BENCH_CASES=scaling or =failover runs one of the two. */
const CASES = (process.env.BENCH_CASES ?? 'scaling,failover').split(',');
const brokers = script('kafka.sh', 'cluster', 'ports').trim().split(',');
const client = new Kafka({
  brokers,
  clientId: 'rxq-bench',
  logLevel: logLevel.NOTHING,
  retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2_000 },
});
const admin = client.admin();
const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
await admin.connect();
await producer.connect();

async function topic(partitions) {
  const name = `rxq-bench-cluster-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({
    topics: [
      {
        topic: name,
        numPartitions: partitions,
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }],
      },
    ],
    waitForLeaders: false, // kafkajs' wait may ask a broker that has not heard of the topic yet
  });
  // every broker must know the topic before a consumer asks it
  for (const b of brokers) {
    const one = new Kafka({ brokers: [b], logLevel: logLevel.NOTHING }).admin();
    await one.connect();
    for (;;) {
      const m = await one.fetchTopicMetadata({ topics: [name] }).catch(() => undefined);
      if (m?.topics[0]?.partitions.length === partitions && m.topics[0].partitions.every((p) => p.isr.length === 3))
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await one.disconnect();
  }
  return name;
}

const send = (name, from, count) =>
  producer.send({
    topic: name,
    acks: -1,
    messages: Array.from({ length: count }, (_, i) => ({
      key: String(from + i),
      value: JSON.stringify({ n: from + i, t: Date.now() }),
    })),
  });

/** Every process in the group holds an assignment (the group is stable with `count` members). */
const groupReady = (name, count) => async () => {
  const { groups } = await admin.describeGroups([`${name}-group`]).catch(() => ({ groups: [] }));
  const g = groups[0];
  return g?.state === 'Stable' && g.members.length === count;
};

const scaling = {};
for (let round = 0; CASES.includes('scaling') && round < REPEAT; round++) {
  for (const count of [1, 2, 4]) {
    const name = await topic(4);
    for (let i = 0; i < N; i += 1_000) await send(name, i, Math.min(1_000, N - i));
    (scaling[count] ??= []).push(await scaleRun('kafka', name, N, count, groupReady(name, count)));
    await admin.deleteGroups([`${name}-group`]).catch(() => undefined);
    await admin.deleteTopics({ topics: [name] }).catch(() => undefined);
  }
}
if (CASES.includes('scaling')) reportScaling('kafka cluster', N, scaling);

const recoveries = [];
const stalls = [];
for (let round = 0; CASES.includes('failover') && round < FAILOVER; round++) {
  const name = await topic(4);
  let victim;
  const {
    recovery: ms,
    drained,
    published,
    acked,
  } = await failoverRun(
    'kafka',
    name,
    2,
    (from, count) => send(name, from, count),
    async () => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [name] });
      victim = topics[0].partitions.find((p) => p.partitionId === 0).leader;
      script('kafka.sh', 'cluster', 'kill', String(victim));
    },
    async () => script('kafka.sh', 'cluster', 'start-node', String(victim)),
  );
  recoveries.push(ms);
  if (!drained) stalls.push(`round ${round + 1}: ${acked} acks of ${published} published after 90 s`);
  console.error(`kafka cluster failover round ${round + 1}: broker ${victim} killed, ${ms} ms`);
  await admin.deleteGroups([`${name}-group`]).catch(() => undefined);
  await admin.deleteTopics({ topics: [name] }).catch(() => undefined);
}
if (CASES.includes('failover'))
  console.log(
    JSON.stringify({
      case: 'kafka cluster: partition leader SIGKILLed → first new record handled',
      ms: recoveries,
      medianMs: median(recoveries),
      stalls,
    }),
  );
await producer.disconnect();
await admin.disconnect();
