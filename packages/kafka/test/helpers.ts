import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import type { Connector, Session } from '@rxq/core';
import { confirmingProducer } from '../src/confirmingProducer.js';
import { kafka, type KafkaSourceOptions } from '../src/index.js';

/** The broker of the tests: RXQ_KAFKA_PORT (as scripts/kafka.sh reads it) picks a private one. */
export const BROKERS = [`127.0.0.1:${process.env.RXQ_KAFKA_PORT ?? '9092'}`];

/** The driver the suite runs on: RXQ_KAFKA_DRIVER=platformatic for @platformatic/kafka, else kafkajs. */
export const DRIVER: 'kafkajs' | 'platformatic' =
  process.env.RXQ_KAFKA_DRIVER === 'platformatic' ? 'platformatic' : 'kafkajs';

/** The source options that select {@link DRIVER} (kafkajs: its logs off). */
export const DRIVER_OPTIONS: Partial<KafkaSourceOptions> =
  DRIVER === 'platformatic' ? { driver: 'platformatic' } : { logLevel: logLevel.NOTHING };

/** Quick group settings for tests: few seconds per join, heartbeats often. */
export const QUICK: Partial<KafkaSourceOptions> = {
  brokers: BROKERS,
  ...DRIVER_OPTIONS,
  fromBeginning: true,
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 300,
  rebalanceTimeoutMs: 6_000,
  fetchMaxWaitMs: 100,
  commitIntervalMs: 200,
  pollMs: 300,
};

export const unique = (prefix: string): string => `rxq-test-${prefix}-${randomUUID().slice(0, 8)}`;

/** Where a {@link TestTopic} lives: another broker or cluster, and its topics' settings. */
export interface TopicPlacement {
  readonly brokers: string[];
  readonly replicationFactor?: number;
  /** Topic configs, e.g. `{ 'min.insync.replicas': '2' }`. */
  readonly config?: Readonly<Record<string, string>>;
  /** Return as soon as the controller accepted the topic, before every broker knows it. */
  readonly unannounced?: boolean;
}

/** A topic (and its dead-letter topic) made for one test, with a producer and cleanup. */
export class TestTopic {
  readonly client: Kafka;
  readonly admin: Admin;
  readonly producer: Producer;
  readonly group: string;
  /** kafkajs' send, resolved only once every record's partition is confirmed (a leader may stop under it). */
  private readonly confirming = confirmingProducer();
  /** Resolves when a session opened by this harness has closed. */
  private readonly closing = new Set<Promise<void>>();
  private readonly groups: string[] = [];

  private constructor(
    readonly name: string,
    readonly partitions: number,
    readonly placement: TopicPlacement,
  ) {
    this.group = `${name}-group`;
    this.client = new Kafka({
      brokers: placement.brokers,
      clientId: 'rxq-test',
      logLevel: logLevel.NOTHING,
      // On a cluster, the harness's own producer outlives a broker's death: a partition's leader
      // moves only once the controller fenced the dead broker (broker.session.timeout.ms, 9 s).
      ...(placement.replicationFactor ? { retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 2_000 } } : {}),
    });
    this.admin = this.client.admin();
    this.producer = this.client.producer({ createPartitioner: this.confirming.createPartitioner });
  }

  static async create(
    prefix: string,
    partitions = 1,
    placement: TopicPlacement = { brokers: BROKERS },
  ): Promise<TestTopic> {
    const t = new TestTopic(unique(prefix), partitions, placement);
    await t.admin.connect();
    const { replicationFactor, config = {} } = placement;
    await t.admin.createTopics({
      topics: [
        {
          topic: t.name,
          numPartitions: partitions,
          ...(replicationFactor ? { replicationFactor } : {}),
          configEntries: Object.entries(config).map(([name, value]) => ({ name, value })),
        },
      ],
      // A cluster's brokers learn of a new topic one after another: kafkajs' own wait can ask one
      // that does not know it yet (UNKNOWN_TOPIC_OR_PARTITION); wait for every replica instead.
      waitForLeaders: replicationFactor === undefined && !placement.unannounced,
    });
    if (replicationFactor !== undefined && !placement.unannounced) await t.replicated(replicationFactor);
    await t.producer.connect();
    return t;
  }

  /**
   * Resolves once every partition has a leader and `replicas` in-sync replicas, as each broker
   * says (a client asks its bootstrap broker first): a consumer that starts on a broker that has
   * not heard of the topic yet gets UNKNOWN_TOPIC_OR_PARTITION.
   */
  private async replicated(replicas: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const broker of this.placement.brokers) {
      const admin = new Kafka({ brokers: [broker], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        for (;;) {
          const metadata = await admin.fetchTopicMetadata({ topics: [this.name] }).catch(() => undefined);
          const partitions = metadata?.topics[0]?.partitions ?? [];
          if (
            partitions.length === this.partitions &&
            partitions.every((p) => p.leader >= 0 && p.isr.length === replicas)
          )
            break;
          if (Date.now() > deadline)
            throw new Error(`${this.name}: not on ${replicas} replicas within ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        await admin.disconnect();
      }
    }
  }

  get dead(): string {
    return `${this.name}.dead`;
  }

  /** A connector on this topic; every session it opens is tracked until it closes. */
  connector(options: Partial<KafkaSourceOptions> = {}): Connector {
    const connector = kafka(this.name, { ...QUICK, brokers: this.placement.brokers, groupId: this.group, ...options });
    const closing = this.closing;
    return {
      ...connector,
      async open(context) {
        const session: Session = await connector.open(context);
        let closed!: () => void;
        closing.add(new Promise<void>((resolve) => (closed = resolve)));
        const close = session.close.bind(session);
        session.close = () => close().finally(closed);
        return session;
      },
    };
  }

  /** Produces payloads as any producer would (no rxq headers), spread over partitions by key. */
  async publishRaw(payloads: readonly (string | Uint8Array)[], keyed = false): Promise<void> {
    for (let i = 0; i < payloads.length; i += 1000) {
      await this.confirming.send(this.producer, {
        topic: this.name,
        acks: -1,
        messages: payloads.slice(i, i + 1000).map((p, j) => ({
          key: keyed ? String(i + j) : null,
          value: typeof p === 'string' ? p : Buffer.from(p),
        })),
      });
    }
  }

  publish(bodies: readonly unknown[], keyed = false): Promise<void> {
    return this.publishRaw(
      bodies.map((b) => JSON.stringify(b)),
      keyed,
    );
  }

  /** Every record of `topic` (read with a throwaway group up to the current end). */
  async readAll(topic: string): Promise<{ value: Buffer | null; headers: Record<string, string> }[]> {
    const ends = await this.admin.fetchTopicOffsets(topic).catch(() => []);
    const total = ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    if (total === 0) return [];
    const consumer = this.client.consumer({ groupId: this.extraGroup('reader'), maxWaitTimeInMs: 100 });
    const out: { value: Buffer | null; headers: Record<string, string> }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`readAll(${topic}): ${out.length}/${total}`)), 20_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
          out.push({ value: message.value, headers });
          if (out.length >= total) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    return out;
  }

  /** A further consumer group for this test, deleted by {@link close}. */
  extraGroup(prefix: string): string {
    const group = `${this.name}-${prefix}-${randomUUID().slice(0, 8)}`;
    this.groups.push(group);
    return group;
  }

  /** Resolves when every session opened through {@link connector} has closed (or after `timeoutMs`). */
  async sessionsClosed(timeoutMs = 15_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all(this.closing), late]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    // A consumer still closing would recreate the topic (auto-create) right after its deletion.
    await this.sessionsClosed();
    await this.producer.disconnect();
    const existing = await this.admin.listTopics();
    const mine = [this.name, this.dead].filter((t) => existing.includes(t));
    for (const group of [this.group, ...this.groups]) await this.admin.deleteGroups([group]).catch(() => undefined);
    if (mine.length > 0) await this.admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await this.admin.disconnect();
  }
}
