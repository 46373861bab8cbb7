// node bench/kafka-leader-stop.mjs: what a producer reports as written while partition leaders stop,
// against what the topic holds. Needs the three-broker cluster (`bash scripts/kafka.sh cluster start`).
// Several producers run side by side, each on a topic of its own (3 partitions, replication factor 3,
// min.insync.replicas 2), each send awaited before the next; meanwhile each broker in turn is stopped
// (SIGTERM) and started again (LEADER_STOP_NODES, default "1 2 3"), the next once every replica is
// back in sync. Then every topic is read back by offset and each producer's confirmed records are
// looked up. Producers (LEADER_STOP_CASES, comma-separated, default all):
//   kafkajs          20 keyed records per send (acks -1), as the test harness sends
//   idempotent       the same with `idempotent: true, maxInFlightRequests: 1`
//   single           one record per send, 8 sends at a time (as rxq's resends and dead letters)
//   platformatic     @platformatic/kafka's Producer, 20 keyed records per send (acks -1)
//   publishMany      @rxq/kafka's publishMany, 20 keyed records per call (from packages/kafka/dist)
// For the kafkajs producers the partition of each record is recorded (a wrapped partitioner) and
// every send's result is checked: "result lacked" counts records whose partition the result did not
// list, although the send resolved.
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { script } from './cluster-lib.mjs';

const require = createRequire(new URL('../packages/kafka/package.json', import.meta.url));
const { Kafka, logLevel, Partitioners } = require('kafkajs');
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const CASES = (process.env.LEADER_STOP_CASES ?? 'kafkajs,idempotent,single,platformatic,publishMany').split(',');
const NODES = (process.env.LEADER_STOP_NODES ?? '1 2 3').split(/\s+/).filter(Boolean);
const brokers = script('kafka.sh', 'cluster', 'ports').trim().split(',');
const retry = { retries: 20, initialRetryTime: 200, maxRetryTime: 2_000 };
const client = new Kafka({ brokers, clientId: 'rxq-leader-stop', logLevel: logLevel.NOTHING, retry });
const admin = client.admin();
await admin.connect();

async function createTopic() {
  const name = `rxq-leader-stop-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({
    topics: [
      {
        topic: name,
        numPartitions: 3,
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }],
      },
    ],
    waitForLeaders: false,
  });
  await inSync(name);
  return name;
}

async function inSync(topic) {
  for (const b of brokers) {
    const one = new Kafka({ brokers: [b], logLevel: logLevel.NOTHING, retry }).admin();
    await one.connect(); // a node just started may take a moment to answer
    for (;;) {
      const m = await one.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      if (m?.topics[0]?.partitions.length === 3 && m.topics[0].partitions.every((p) => p.isr.length === 3)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await one.disconnect();
  }
}

const kafkaSh = fileURLToPath(new URL('../scripts/kafka.sh', import.meta.url));
const cluster = (...args) => promisify(execFile)('bash', [kafkaSh, 'cluster', ...args], { timeout: 180_000 });

const body = (n) => JSON.stringify({ n });

/** A producer loop: `send(from, count)` resolves when the producer says those records are written. */
function loop(name, topic, send, { perSend = 20, parallel = 1 } = {}) {
  const state = { name, topic, confirmed: new Set(), failed: 0, lacked: 0, running: true, next: 0 };
  const one = async () => {
    while (state.running) {
      const from = state.next;
      state.next += perSend;
      try {
        const lacked = await send(from, perSend);
        state.lacked += lacked ?? 0;
        for (let n = from; n < from + perSend; n++) state.confirmed.add(n);
      } catch {
        state.failed += perSend;
      }
    }
  };
  state.done = Promise.all(Array.from({ length: parallel }, one));
  return state;
}

/** A kafkajs producer whose partitioner records each message's partition; returns records whose partition the result lacked. */
async function kafkajsCase(name, topic, producerOptions, shape) {
  const partitionOf = new WeakMap();
  const producer = client.producer({
    ...producerOptions,
    createPartitioner: () => {
      const inner = Partitioners.DefaultPartitioner();
      return (args) => {
        const p = inner(args);
        partitionOf.set(args.message, p);
        return p;
      };
    },
  });
  await producer.connect();
  const state = loop(
    name,
    topic,
    async (from, count) => {
      const messages = Array.from({ length: count }, (_, i) => ({ key: String(from + i), value: body(from + i) }));
      const result = await producer.send({ topic, acks: -1, messages });
      const listed = new Set(result.filter((r) => r.errorCode === 0).map((r) => r.partition));
      return messages.filter((m) => !listed.has(partitionOf.get(m))).length;
    },
    shape,
  );
  state.close = () => producer.disconnect();
  return state;
}

async function platformaticCase(topic) {
  const { Producer } = await import(require.resolve('@platformatic/kafka'));
  const producer = new Producer({ clientId: 'rxq-leader-stop', bootstrapBrokers: brokers, acks: -1, retries: 20 });
  const state = loop('platformatic', topic, async (from, count) => {
    await producer.send({
      acks: -1,
      messages: Array.from({ length: count }, (_, i) => ({
        topic,
        key: Buffer.from(String(from + i)),
        value: Buffer.from(body(from + i)),
      })),
    });
  });
  state.close = () => producer.close();
  return state;
}

async function publishManyCase(topic) {
  const { publishMany } = await import(new URL('../packages/kafka/dist/index.js', import.meta.url).href);
  const state = loop('publishMany', topic, async (from, count) => {
    await publishMany(
      client,
      topic,
      Array.from({ length: count }, (_, i) => ({ key: String(from + i), value: { n: from + i } })),
    );
  });
  state.close = async () => {};
  return state;
}

/** Every `n` in `topic`, read by offset up to each partition's end. */
async function readBack(topic) {
  const ends = await admin.fetchTopicOffsets(topic);
  const left = new Map(ends.filter((e) => e.high !== e.low).map((e) => [e.partition, BigInt(e.high) - 1n]));
  const seen = new Set();
  let records = 0;
  if (left.size === 0) return { seen, records };
  const consumer = client.consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const m of batch.messages) {
          records++;
          seen.add(JSON.parse(String(m.value)).n);
          resolveOffset(m.offset);
          if (left.get(batch.partition) !== undefined && BigInt(m.offset) >= left.get(batch.partition))
            left.delete(batch.partition);
        }
        if (left.size === 0) resolve();
      },
    });
  });
  await consumer.disconnect();
  await admin.deleteGroups([`${topic}-reader`]).catch(() => undefined);
  return { seen, records };
}

const makers = {
  kafkajs: (t) => kafkajsCase('kafkajs', t, {}),
  idempotent: (t) => kafkajsCase('idempotent', t, { idempotent: true, maxInFlightRequests: 1 }),
  single: (t) => kafkajsCase('single', t, {}, { perSend: 1, parallel: 8 }),
  platformatic: platformaticCase,
  publishMany: publishManyCase,
};
const states = [];
for (const c of CASES) states.push(await makers[c](await createTopic()));
const settle = () => new Promise((r) => setTimeout(r, 3_000)); // load before and between the stops
await settle();
const described = script('kafka.sh', 'cluster', 'topics', '--describe', '--topic', states[0].topic);
console.log(described.split('\n').slice(0, 1).join('\n'));
for (const node of NODES) {
  const from = Date.now();
  // not execFileSync: the producers keep sending while the node stops and starts
  await cluster('stop-node', node);
  await cluster('start-node', node);
  for (const s of states) await inSync(s.topic);
  console.log(`node ${node} stopped and back in sync in ${((Date.now() - from) / 1000).toFixed(1)} s`);
  await settle();
}
for (const s of states) s.running = false;
await Promise.all(states.map((s) => s.done));
for (const s of states) {
  await s.close();
  const { seen, records } = await readBack(s.topic);
  const missing = [...s.confirmed].filter((n) => !seen.has(n)).length;
  console.log(
    `${s.name.padEnd(12)} confirmed ${s.confirmed.size}, failed sends' records ${s.failed}, in topic ${seen.size} ` +
      `(${records} records), confirmed but missing ${missing}` +
      (s.name === 'kafkajs' || s.name === 'idempotent' || s.name === 'single' ? `, result lacked ${s.lacked}` : ''),
  );
}
await admin.deleteTopics({ topics: states.map((s) => s.topic) }).catch(() => undefined);
await admin.disconnect();
