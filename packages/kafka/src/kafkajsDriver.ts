import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import type { DriverConsumerOptions, DriverHandlers, KafkaDriver, KafkaRecord, PartitionOffset } from './driver.js';

/** kafkajs client settings used when the connector makes its own client. */
export interface KafkajsClientSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logLevel: logLevel;
}

/** Makes a kafkajs `Kafka` client from settings. */
export function kafkajsClient(settings: KafkajsClientSettings): Kafka {
  return new Kafka({
    brokers: [...settings.brokers],
    clientId: settings.clientId,
    logLevel: settings.logLevel,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
  });
}

const REBALANCE_TYPES = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION']);

function isRebalance(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { type?: unknown; name?: unknown };
  return (typeof e.type === 'string' && REBALANCE_TYPES.has(e.type)) || e.name === 'KafkaJSRebalanceInProgress';
}

const toOffsets = (offsets: readonly PartitionOffset[]) =>
  offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }));

/**
 * The kafkajs implementation of {@link KafkaDriver}: one consumer (eachBatch, autoCommit and
 * autoResolve off, no restart on failure: a crash is reported so that `fromQueue` reopens) and one
 * producer (acks from all replicas) per session. It commits only when asked; `stop` leaves the
 * group and disconnects, swallowing errors of a connection that is already dead. The default
 * driver of {@link kafka}; useful to wrap (fault injection, instrumentation).
 *
 * @example
 * const driver: KafkaDriverFactory = (options) => kafkajsDriver(new Kafka({ brokers }), options);
 * kafka('orders', { groupId: 'billing', driver });
 */
export function kafkajsDriver(client: Kafka, options: DriverConsumerOptions): KafkaDriver {
  let consumer: Consumer | undefined;
  let producer: Producer | undefined;
  let producerReady: Promise<Producer> | undefined;
  const admin = client.admin();
  let adminReady: Promise<void> | undefined;

  const ensureProducer = (): Promise<Producer> => {
    producerReady ??= (async () => {
      const p = client.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
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
      c.on(c.events.REBALANCING, () => handlers.rebalancing());
      c.on(c.events.GROUP_JOIN, (event) => {
        const assignment = event.payload.memberAssignment;
        handlers.assigned(
          Object.keys(assignment).flatMap((topic) =>
            (assignment[topic] ?? []).map((partition) => ({ topic, partition })),
          ),
        );
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
          // kafkajs messages already have the KafkaRecord shape: passed through, not copied.
          const records: readonly KafkaRecord[] = batch.messages;
          // Fetch position only (nothing is committed): the next fetch starts after this batch.
          payload.resolveOffset(batch.lastOffset());
          await handlers.batch({ topic: batch.topic, partition: batch.partition }, records, {
            heartbeat: () => payload.heartbeat(),
            isRebalance,
            commit: (offsets) => payload.commitOffsetsIfNecessary({ topics: groupByTopic(offsets) }),
          });
        },
      });
    },
    async commit(offsets) {
      if (offsets.length === 0 || !consumer) return;
      await consumer.commitOffsets(toOffsets(offsets));
    },
    async produce(topic, records) {
      const p = await ensureProducer();
      await p.send({
        topic,
        acks: -1,
        messages: records.map((r) => ({
          key: r.key === null ? null : Buffer.from(r.key),
          value: r.value === null ? null : Buffer.from(r.value),
          headers: { ...r.headers },
        })),
      });
    },
    seek(target) {
      consumer?.seek({ topic: target.topic, partition: target.partition, offset: target.offset });
    },
    async offsetsAt(topic, timestamp) {
      adminReady ??= admin.connect();
      await adminReady;
      const found = await admin.fetchTopicOffsetsByTimestamp(topic, timestamp);
      return found.map(({ partition, offset }) => ({ topic, partition, offset }));
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
