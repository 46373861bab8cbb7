import { publishMany, quietRequestQueue } from '@rxq/kafka';
import { bytes, NotFoundError } from '@rxq/core';
import {
  Kafka,
  logLevel,
  type Admin,
  type Consumer,
  type IHeaders,
  type KafkaMessage,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import { BaseAdmin, count } from './base.js';
import { deadLetterOf, matcher, Pacer, redriveHeaders, selective, unsupported } from './common.js';
import type {
  AdminCapabilities,
  DeadLetter,
  DeadLetterFilter,
  DeadLetters,
  ListOptions,
  PartitionLag,
  PeekedMessage,
  PublishOptions,
  PurgeResult,
  QueueStats,
  ReadOptions,
  RedriveOptions,
  RedriveResult,
} from './types.js';

const MAX_BATCH = 500;

/** The consumer group whose committed offsets on the dead-letter topic mark what was redriven. */
export function redriveGroup(deadLetterTopic: string): string {
  return `rxq-console.${deadLetterTopic}`;
}

function headerText(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last !== undefined) out[k] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return out;
}

function record(p: number, m: KafkaMessage, withBody: boolean): DeadLetter {
  const value = m.value ?? Buffer.alloc(0);
  return deadLetterOf(
    `${p}:${m.offset}`,
    headerText(m.headers),
    value.length,
    withBody ? Buffer.from(value) : undefined,
    Number(m.timestamp),
  );
}

type Offsets = Map<number, bigint>;

/**
 * Kafka (`@rxq/kafka`): the topic `<queue>`, its dead-letter topic `<queue>.dead`. A dead-letter
 * topic is a log: what was redriven is marked by the committed offsets of the group
 * `rxq-console.<dead-letter topic>`, and `deadLetters` counts what lies past them.
 */
export class KafkaAdmin extends BaseAdmin {
  readonly broker = 'kafka';
  readonly capabilities: AdminCapabilities = { peek: true, publish: true, redrive: true, purge: true };
  readonly deadLetters: DeadLetters;
  private readonly dlt: string;
  private producer: Producer | undefined;

  private constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    queue: string,
    shown: string,
    secrets: readonly string[],
    deadLetter: string | undefined,
    private readonly group: string | undefined,
  ) {
    super(queue, shown, secrets);
    this.dlt = deadLetter ?? `${queue}.dead`;
    this.deadLetters = this.deadLettersAt(this.dlt);
  }

  static async open(
    url: URL,
    shown: string,
    secrets: readonly string[],
    queue: string,
    deadLetter: string | undefined,
    group: string | undefined,
  ): Promise<KafkaAdmin> {
    const brokers = [url.host, ...(url.searchParams.get('brokers')?.split(',').filter(Boolean) ?? [])];
    const sasl = url.username
      ? ({
          mechanism: (url.searchParams.get('mechanism') ?? 'plain') as 'plain',
          username: decodeURIComponent(url.username),
          password: decodeURIComponent(url.password),
        } as SASLOptions)
      : undefined;
    // The console's own kafkajs clients: no negative timer after each response (Node 24 warns).
    quietRequestQueue(import.meta.url);
    const kafka = new Kafka({
      clientId: 'rxq-console',
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 5_000,
      retry: { retries: 2 },
      ...(sasl ? { sasl } : {}),
      ...(url.searchParams.get('ssl') === 'true' ? { ssl: true } : {}),
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
    } catch (error) {
      throw new Error(`cannot reach Kafka at ${shown}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return new KafkaAdmin(kafka, admin, queue, shown, secrets, deadLetter, group);
  }

  protected async shutdown(): Promise<void> {
    await this.producer?.disconnect();
    await this.admin.disconnect();
  }

  private async exists(topic: string): Promise<boolean> {
    return (await this.admin.listTopics()).includes(topic);
  }

  /** Low and high watermarks per partition. */
  private async watermarks(topic: string): Promise<{ low: Offsets; high: Offsets }> {
    const low: Offsets = new Map();
    const high: Offsets = new Map();
    for (const p of await this.admin.fetchTopicOffsets(topic)) {
      low.set(p.partition, BigInt(p.low));
      high.set(p.partition, BigInt(p.high));
    }
    return { low, high };
  }

  /** A group's committed offsets on a topic (-1: none). */
  private async committed(groupId: string, topic: string): Promise<Offsets> {
    const out: Offsets = new Map();
    const r = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    for (const p of r[0]?.partitions ?? []) out.set(p.partition, BigInt(p.offset));
    return out;
  }

  /** Where a group stands on a topic: its committed offset, or the low watermark. */
  private async positions(groupId: string | undefined, topic: string): Promise<{ start: Offsets; end: Offsets }> {
    const { low, high } = await this.watermarks(topic);
    const done = groupId === undefined ? new Map<number, bigint>() : await this.committed(groupId, topic);
    const start: Offsets = new Map();
    for (const [p, l] of low) {
      const c = done.get(p) ?? -1n;
      start.set(p, c > l ? c : l);
    }
    return { start, end: high };
  }

  /** The group whose lag `stats` and `peek` use: the option, else the only one with offsets on the topic. */
  private async consumerGroup(): Promise<string | undefined> {
    if (this.group !== undefined) return this.group;
    const { groups } = await this.admin.listGroups();
    const found: string[] = [];
    for (const g of groups) {
      if (g.groupId.startsWith('rxq-console')) continue;
      const offsets = await this.committed(g.groupId, this.queue);
      if ([...offsets.values()].some((o) => o >= 0n)) found.push(g.groupId);
      if (found.length > 1) return undefined;
    }
    return found[0];
  }

  /**
   * Reads each partition of `topic` from `start` up to (not including) `end` with a consumer of
   * `groupId`, handing each partition's records to `visit` in order; stops when every partition
   * is read through or `visit` returns false.
   */
  private async read(
    topic: string,
    groupId: string,
    start: Offsets,
    end: Offsets,
    visit: (consumer: Consumer, partition: number, records: KafkaMessage[]) => Promise<boolean>,
  ): Promise<void> {
    const pending = new Set([...end].filter(([p, e]) => (start.get(p) ?? 0n) < e).map(([p]) => p));
    if (pending.size === 0) return;
    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 10_000,
      maxWaitTimeInMs: 200,
      allowAutoTopicCreation: false,
    });
    let finish!: (error?: unknown) => void;
    const finished = new Promise<void>(
      (resolve, reject) =>
        (finish = (error) =>
          error === undefined
            ? resolve()
            : reject(error instanceof Error ? error : new Error('the Kafka consumer crashed', { cause: error }))),
    );
    consumer.on(consumer.events.CRASH, (e) => finish(e.payload.error));
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          const p = batch.partition;
          if (!pending.has(p)) return;
          const from = start.get(p) ?? 0n;
          const to = end.get(p) ?? 0n;
          const records = batch.messages.filter((m) => BigInt(m.offset) >= from && BigInt(m.offset) < to);
          const go = records.length === 0 ? true : await visit(consumer, p, records);
          const last = batch.messages[batch.messages.length - 1];
          // The next fetch starts after what is resolved (else the same batch comes again).
          if (go && last) payload.resolveOffset(last.offset);
          await payload.heartbeat();
          if (!go) {
            pending.clear();
            finish();
          } else if (last && BigInt(last.offset) + 1n >= to) {
            pending.delete(p);
            consumer.pause([{ topic, partitions: [p] }]);
            if (pending.size === 0) finish();
          }
        },
      });
      for (const p of pending) consumer.seek({ topic, partition: p, offset: String(start.get(p) ?? 0n) });
      await finished;
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  }

  peek(n: number, options: ReadOptions = {}): Promise<PeekedMessage[]> {
    count(n, 'n');
    return this.guard(async () => {
      if (!(await this.exists(this.queue))) throw new NotFoundError(`kafka: topic ${this.queue} does not exist`);
      if (n === 0) return [];
      const { start, end } = await this.positions(await this.consumerGroup(), this.queue);
      const out: PeekedMessage[] = [];
      await this.read(
        this.queue,
        `rxq-console-peek-${process.pid}-${Date.now()}`,
        start,
        end,
        async (_c, p, records) => {
          for (const m of records) if (out.length < n) out.push(peeked(record(p, m, options.body === true)));
          return out.length < n;
        },
      );
      return out;
    });
  }

  publish(bodies: readonly (string | Buffer)[], options: PublishOptions = {}): Promise<number> {
    return this.guard(async () => {
      const headers = options.headers;
      const payloads = bodies.map((b) => (typeof b === 'string' ? Buffer.from(b, 'utf8') : b));
      await publishMany(
        this.kafka,
        this.queue,
        payloads.map((value) => ({ value, ...(headers ? { headers } : {}) })),
        { codec: bytes },
      );
      return payloads.length;
    });
  }

  stats(): Promise<QueueStats> {
    return this.guard(async () => {
      if (!(await this.exists(this.queue))) throw new NotFoundError(`kafka: topic ${this.queue} does not exist`);
      const group = await this.consumerGroup();
      const { low, high } = await this.watermarks(this.queue);
      let lag: PartitionLag[] | null = null;
      let depth = 0;
      let consumers: number | null = null;
      if (group !== undefined) {
        const done = await this.committed(group, this.queue);
        lag = [...high].map(([partition, end]) => {
          const c = done.get(partition) ?? -1n;
          const from = c >= 0n ? c : (low.get(partition) ?? 0n);
          return { partition, committed: Number(c), end: Number(end), lag: Number(end - from) };
        });
        depth = lag.reduce((s, l) => s + l.lag, 0);
        const described = await this.admin.describeGroups([group]);
        consumers = described.groups[0]?.members.length ?? 0;
      } else {
        for (const [p, h] of high) depth += Number(h - (low.get(p) ?? 0n));
      }
      let deadLetters = 0;
      if (await this.exists(this.dlt)) {
        const { start, end } = await this.positions(redriveGroup(this.dlt), this.dlt);
        for (const [p, e] of end) deadLetters += Number(e - (start.get(p) ?? 0n));
      }
      // Kafka does not know unsettled messages (consumers hold them) nor delays (timers in the consumer).
      return { depth, inFlight: null, delayed: null, deadLetters, consumers, lag };
    });
  }

  protected async listDead(options: ListOptions): Promise<DeadLetter[]> {
    const match = matcher(options);
    const limit = options.limit ?? Infinity;
    const out: DeadLetter[] = [];
    if (limit === 0 || !(await this.exists(this.dlt))) return out;
    const { start, end } = await this.positions(redriveGroup(this.dlt), this.dlt);
    await this.read(this.dlt, `rxq-console-list-${process.pid}-${Date.now()}`, start, end, async (_c, p, records) => {
      for (const m of records) {
        const l = record(p, m, options.body === true);
        if (match(l) && out.length < limit) out.push(l);
      }
      return out.length < limit;
    });
    return out;
  }

  protected async redriveDead(filter: DeadLetterFilter, options: RedriveOptions): Promise<RedriveResult> {
    if (selective(filter))
      throw unsupported(
        'kafka',
        'a redrive by reason, age or id',
        'a dead-letter topic is a log and a group offset can only mark a prefix as redriven (redrive all, or with --limit)',
      );
    if (!(await this.exists(this.dlt))) return new Pacer(options, 0).result();
    const group = redriveGroup(this.dlt);
    const { start, end } = await this.positions(group, this.dlt);
    let total = 0;
    for (const [p, e] of end) total += Number(e - (start.get(p) ?? 0n));
    const pacer = new Pacer(options, total);
    let left = filter.limit ?? Infinity;
    pacer.progress();
    if (!options.dryRun) {
      this.producer ??= this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await this.producer.connect();
    }
    await this.read(
      this.dlt,
      options.dryRun ? `rxq-console-dry-${process.pid}-${Date.now()}` : group,
      start,
      end,
      async (consumer, p, records) => {
        for (let i = 0; i < records.length && left > 0 && !pacer.stopped; ) {
          const chunk = records.slice(i, i + Math.min(pacer.batch(MAX_BATCH), left));
          i += chunk.length;
          left -= chunk.length;
          await pacer.take(chunk.length);
          pacer.noteMatched(chunk.map((m) => ({ id: `${p}:${m.offset}` })));
          if (!options.dryRun) {
            const now = Date.now();
            // Produced and acknowledged by every in-sync replica, then the offset is committed.
            await this.producer?.send({
              topic: this.queue,
              acks: -1,
              messages: chunk.map((m) => ({
                key: m.key,
                value: m.value,
                headers: copyHeaders(m.headers, now),
                timestamp: String(now),
              })),
            });
            await consumer.commitOffsets([
              {
                topic: this.dlt,
                partition: p,
                offset: String(BigInt((chunk[chunk.length - 1] as KafkaMessage).offset) + 1n),
              },
            ]);
            pacer.moved += chunk.length;
          }
          pacer.progress();
        }
        return left > 0 && !pacer.stopped;
      },
    );
    return pacer.result();
  }

  protected async purgeDead(filter: DeadLetterFilter): Promise<PurgeResult> {
    if (selective(filter) || filter.limit !== undefined)
      throw unsupported(
        'kafka',
        'purging some dead letters',
        'Kafka deletes records only as a prefix of the log (purge all)',
      );
    if (!(await this.exists(this.dlt))) return { purged: 0 };
    const { start, end } = await this.positions(redriveGroup(this.dlt), this.dlt);
    let purged = 0;
    for (const [p, e] of end) purged += Number(e - (start.get(p) ?? 0n));
    await this.admin.deleteTopicRecords({
      topic: this.dlt,
      partitions: [...end].map(([partition, offset]) => ({ partition, offset: String(offset) })),
    });
    return { purged };
  }
}

/** A redriven copy's headers: every raw header but rxq's dead-letter ones, and when. */
function copyHeaders(h: IHeaders | undefined, now: number): IHeaders {
  const kept = redriveHeaders(headerText(h), now);
  const out: IHeaders = {};
  for (const [k, v] of Object.entries(h ?? {})) if (k in kept && v !== undefined) out[k] = v;
  out['x-rxq-redriven-at'] = String(now);
  return out;
}

function peeked(l: DeadLetter): PeekedMessage {
  return { id: l.id, attempt: l.attempt, headers: l.headers, size: l.size, ...(l.body ? { body: l.body } : {}) };
}
