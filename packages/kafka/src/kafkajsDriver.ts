import type { Consumer, IHeaders, Kafka, Producer } from 'kafkajs';
import { confirmingProducer } from './confirmingProducer.js';
import { installCompressionCodecs } from './compression.js';
import { quietRequestQueue } from './requestQueue.js';
import type {
  DriverConsumerOptions,
  DriverHandlers,
  HeaderValue,
  KafkaDriver,
  KafkaRecord,
  OutgoingRecord,
  PartitionOffset,
} from './driver.js';

const REBALANCE_TYPES = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION']);

function isRebalance(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { type?: unknown; name?: unknown };
  return (typeof e.type === 'string' && REBALANCE_TYPES.has(e.type)) || e.name === 'KafkaJSRebalanceInProgress';
}

/** kafkajs fetches again after a rebalance without having rejoined the group. */
class RejoinFailedError extends Error {
  override readonly name = 'RejoinFailedError';
  constructor() {
    super('kafkajs resumed fetching after a rebalance without rejoining the group');
  }
}

const toOffsets = (offsets: readonly PartitionOffset[]) =>
  offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }));

/**
 * The kafkajs implementation of {@link KafkaDriver}: one consumer (eachBatch, autoCommit and
 * autoResolve off, no restart on failure: a crash is reported so that `fromQueue` reopens) and one
 * producer (acks from all replicas, every record's partition confirmed) per session. It commits
 * only when asked; `stop` leaves the group and disconnects, swallowing errors of a connection that
 * is already dead. The default driver of {@link kafka}; useful to wrap (fault injection,
 * instrumentation).
 *
 * @example
 * const driver: KafkaDriverFactory = (options) => kafkajsDriver(new Kafka({ brokers }), options);
 * kafka('orders', { groupId: 'billing', driver });
 */
export function kafkajsDriver(client: Kafka, options: DriverConsumerOptions): KafkaDriver {
  installCompressionCodecs();
  quietRequestQueue();
  let consumer: Consumer | undefined;
  let producer: Producer | undefined;
  let producerReady: Promise<Producer> | undefined;
  const admin = client.admin();
  let adminReady: Promise<void> | undefined;
  const connectAdmin = (): Promise<void> => {
    adminReady ??= admin.connect();
    adminReady.catch(() => (adminReady = undefined));
    return adminReady;
  };
  const ensured = new Map<string, Promise<void>>();
  const confirming = confirmingProducer();

  const ensureProducer = (): Promise<Producer> => {
    producerReady ??= (async () => {
      const p = client.producer({ createPartitioner: confirming.createPartitioner, allowAutoTopicCreation: true });
      await p.connect();
      producer = p;
      return p;
    })();
    producerReady.catch(() => (producerReady = undefined));
    return producerReady;
  };

  return {
    async start(handlers: DriverHandlers) {
      const c = client.consumer({
        groupId: options.groupId,
        sessionTimeout: options.sessionTimeoutMs,
        heartbeatInterval: options.heartbeatIntervalMs,
        rebalanceTimeout: options.rebalanceTimeoutMs,
        maxWaitTimeInMs: options.fetchMaxWaitMs,
        maxBytesPerPartition: options.maxBytesPerPartition,
        maxBytes: options.maxFetchBytes,
        retry: {
          retries: 5,
          initialRetryTime: 100,
          maxRetryTime: 2_000,
          restartOnFailure: () => Promise.resolve(false),
        },
      });
      consumer = c;
      // kafkajs announces a rebalance (REBALANCING), then rejoins (GROUP_JOIN). When that rejoin
      // fails with an error it retries (the group's coordinator moving to another broker), kafkajs
      // starts fetching again in the old generation without telling: the session has revoked every
      // partition by then and would drop whatever comes, for as long as that generation lasts.
      let rejoining = false;
      c.on(c.events.REBALANCING, () => {
        rejoining = true;
        handlers.rebalancing();
      });
      c.on(c.events.GROUP_JOIN, (event) => {
        rejoining = false;
        const assignment = event.payload.memberAssignment;
        handlers.assigned(
          Object.keys(assignment).flatMap((topic) =>
            (assignment[topic] ?? []).map((partition) => ({ topic, partition })),
          ),
        );
      });
      // A fetch with records but none to deliver (transaction markers, aborted records) never
      // reaches eachBatch: kafkajs reports it through this event, emitted synchronously.
      c.on(c.events.START_BATCH_PROCESS, (event) => {
        const p = event.payload;
        if (p.batchSize === 0 && p.firstOffset !== null && handlers.filtered)
          handlers.filtered({ topic: p.topic, partition: p.partition }, String(p.lastOffset));
      });
      c.on(c.events.CRASH, (event) => {
        if (!event.payload.restart) handlers.crashed(event.payload.error);
      });
      await c.connect();
      await c.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          // Empty, or fetched before a seek moved the position: nothing to hand out.
          if (batch.isEmpty() || payload.isStale()) return;
          if (rejoining) {
            // Left unresolved: a new session joins again and fetches from the committed offsets.
            handlers.crashed(new RejoinFailedError());
            return;
          }
          // kafkajs messages already have the KafkaRecord shape: passed through, not copied.
          const records: readonly KafkaRecord[] = batch.messages;
          // Fetch position only (nothing is committed): the next fetch starts after this batch.
          const lastOffset = batch.lastOffset();
          payload.resolveOffset(lastOffset);
          await handlers.batch(
            { topic: batch.topic, partition: batch.partition },
            records,
            {
              heartbeat: () => payload.heartbeat(),
              isRebalance,
              commit: (offsets) => payload.commitOffsetsIfNecessary({ topics: groupByTopic(offsets) }),
            },
            lastOffset,
          );
        },
      });
    },
    async commit(offsets) {
      if (offsets.length === 0 || !consumer) return;
      await consumer.commitOffsets(toOffsets(offsets));
    },
    async produce(topic, records) {
      const p = await ensureProducer();
      // Resolves once every record's partition is confirmed (see confirmingProducer).
      await confirming.send(p, { topic, acks: -1, messages: records.map(toMessage) });
    },
    ensureTopic(topic) {
      let done = ensured.get(topic);
      if (!done) {
        done = (async () => {
          await connectAdmin();
          // false when it exists already; waits for the leader so that the first produce finds it.
          await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
        })();
        ensured.set(topic, done);
        done.catch(() => ensured.delete(topic));
      }
      return done;
    },
    seek(target) {
      consumer?.seek({ topic: target.topic, partition: target.partition, offset: target.offset });
    },
    async offsetsAt(topic, timestamp) {
      await connectAdmin();
      const found = await admin.fetchTopicOffsetsByTimestamp(topic, timestamp);
      return found.map(({ partition, offset }) => ({ topic, partition, offset }));
    },
    async offsetsOf(topic) {
      await connectAdmin();
      const [ends, [group]] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId: options.groupId, topics: [topic] }),
      ]);
      return ends.map(({ partition, high }) => ({
        partition,
        end: Number(high),
        committed: Number(group?.partitions.find((p) => p.partition === partition)?.offset ?? -1),
      }));
    },
    async stop() {
      const quietly = async (f: () => Promise<void>): Promise<void> => {
        try {
          await f();
        } catch {
          // Closing a dead connection: nothing left to do.
        }
      };
      await quietly(async () => consumer?.disconnect());
      await quietly(async () => producer?.disconnect());
      if (adminReady) await quietly(() => admin.disconnect());
    },
  };
}

function groupByTopic(
  offsets: readonly PartitionOffset[],
): { topic: string; partitions: { partition: number; offset: string }[] }[] {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const { topic, partition, offset } of offsets) {
    const list = byTopic.get(topic) ?? [];
    list.push({ partition, offset });
    byTopic.set(topic, list);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

const asBuffer = (v: Uint8Array): Buffer =>
  Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const EMPTY = Buffer.alloc(0);
// kafkajs 2.2.4 cannot write a header without value (it sizes it with Buffer.byteLength(null)
// and throws): such a header is written with an empty value.
const headerValue = (v: Uint8Array | string | null): Buffer | string =>
  v === null ? EMPTY : typeof v === 'string' ? v : asBuffer(v);

/** A record as kafkajs sends it: bytes kept as Buffers (kafkajs would stringify other views). */
export function toMessage(r: OutgoingRecord): {
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  partition?: number;
} {
  const headers: Record<string, unknown> = {};
  for (const name in r.headers) {
    const v: HeaderValue = r.headers[name];
    if (v === undefined) continue;
    headers[name] = Array.isArray(v)
      ? (v as readonly (Uint8Array | string | null)[]).map(headerValue)
      : headerValue(v as Uint8Array | string | null);
  }
  return {
    key: r.key === null ? null : asBuffer(r.key),
    value: r.value === null ? null : asBuffer(r.value),
    headers: headers as IHeaders,
    ...(r.partition === undefined ? {} : { partition: r.partition }),
  };
}
