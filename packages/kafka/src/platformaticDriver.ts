import type * as Platformatic from '@platformatic/kafka';
import { UnsupportedError, type Logger } from '@rxq/core';
import { Wakeup } from '@rxq/core/kit';
import { installPlatformaticCodecs } from './compression.js';
import { brokersOf, type KafkaConnectionOptions } from './connection.js';
import type {
  BatchControl,
  DriverConsumerOptions,
  DriverHandlers,
  HeaderValue,
  KafkaDriver,
  KafkaRecord,
  PartitionOffset,
  TopicPartition,
} from './driver.js';

type Module = typeof Platformatic;
type Consumer = Platformatic.Consumer;
type Producer = Platformatic.Producer;
type Admin = Platformatic.Admin;
type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;
type RecordsBatch = NonNullable<FetchResponse['responses'][number]['partitions'][number]['records']>[number];

let loaded: Promise<Module> | undefined;

/** Loads `@platformatic/kafka` (an optional peer) once, with rxq's readers of every compression codec. */
function loadPlatformatic(): Promise<Module> {
  loaded ??= import('@platformatic/kafka').then(
    (m) => {
      installPlatformaticCodecs(m.compressionsAlgorithms);
      return m;
    },
    (error: unknown) => {
      loaded = undefined;
      throw new UnsupportedError(
        "the Kafka driver 'platformatic' needs the package @platformatic/kafka (1.x) installed beside @rxq/kafka",
        error,
      );
    },
  );
  return loaded;
}

/** The description of `@platformatic/kafka`'s (1.x) own symbol for a client's connection look-up. */
const GET_CONNECTION = 'plt.kafka.base.getConnection';

/**
 * Makes a connection look-up for a broker the client's metadata does not list fail through its
 * callback, as a retryable network error, instead of throwing. `@platformatic/kafka` 1.x looks up
 * the group coordinator it found once in its current metadata; while that broker is stopped it is
 * missing there, and the look-up threw a `TypeError` ("reading 'host'") inside a callback, out of
 * reach of every caller: an uncaught exception that ends the process. As an error, it goes
 * through the client's retries to the heartbeat's or commit's error, which ends the session as
 * lost, and the next session finds the coordinator again. Does nothing where the client has no
 * such method (another major version).
 */
export function guardUnknownBroker(client: object, m: { NetworkError: new (message: string) => Error }): void {
  let proto: object | null = Object.getPrototypeOf(client) as object | null;
  for (; proto !== null; proto = Object.getPrototypeOf(proto) as object | null) {
    const symbol = Object.getOwnPropertySymbols(proto).find((s) => s.description === GET_CONNECTION);
    if (symbol === undefined) continue;
    const target = client as Record<symbol, (broker: unknown, callback: (error?: unknown) => void) => unknown>;
    const original = target[symbol] as (broker: unknown, callback: (error?: unknown) => void) => unknown;
    target[symbol] = function (this: unknown, broker, callback) {
      if (broker === undefined || broker === null) {
        callback(new m.NetworkError('the broker asked for is not in the client metadata (it is stopped or gone)'));
        return undefined;
      }
      return original.call(this, broker, callback);
    };
    return;
  }
}

/** A rebalance noticed by the driver while a batch is held. */
class RebalanceInProgress extends Error {
  override readonly name = 'RebalanceInProgress';
}

const REJOIN = (error: unknown): boolean =>
  error instanceof RebalanceInProgress ||
  Boolean((error as { findBy?: (k: string, v: unknown) => unknown })?.findBy?.('needsRejoin', true));

/** The connection options of `@platformatic/kafka`'s clients for rxq's. */
function baseOptions(connection: KafkaConnectionOptions): Record<string, unknown> {
  const sasl = connection.sasl as { mechanism: string; username?: string; password?: string } | undefined;
  const ssl = connection.ssl;
  return {
    clientId: connection.clientId ?? 'rxq',
    bootstrapBrokers: brokersOf(connection.brokers),
    retries: 5,
    retryDelay: 200,
    ...(ssl === undefined || ssl === false ? {} : { tls: ssl === true ? {} : ssl }),
    ...(sasl === undefined
      ? {}
      : { sasl: { mechanism: sasl.mechanism.toUpperCase(), username: sasl.username, password: sasl.password } }),
  };
}

/** Header pairs as the connector's header record: a repeated name becomes an array, in order. */
const NO_HEADERS: Readonly<Record<string, HeaderValue>> = Object.freeze({});

function headersOf(pairs: readonly [Buffer | null, Buffer | null][]): Readonly<Record<string, HeaderValue>> {
  if (pairs.length === 0) return NO_HEADERS;
  const out: Record<string, HeaderValue> = {};
  for (const [k, v] of pairs) {
    const name = k === null ? '' : k.toString('utf8');
    const prev = out[name];
    if (prev === undefined) out[name] = v;
    else if (Array.isArray(prev)) (prev as (Uint8Array | string | null)[]).push(v);
    else out[name] = [prev as Uint8Array | string | null, v];
  }
  return out;
}

const asBuffer = (v: Uint8Array | string): Buffer =>
  typeof v === 'string'
    ? Buffer.from(v, 'utf8')
    : Buffer.isBuffer(v)
      ? v
      : Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** Headers to produce: one Map entry per value (distinct key Buffers), so a repeated name stays repeated. */
function outgoingHeaders(headers: Readonly<Record<string, HeaderValue>>): Map<Buffer, Buffer | null> {
  const out = new Map<Buffer, Buffer | null>();
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    const list = Array.isArray(v) ? (v as readonly (Uint8Array | string | null)[]) : [v as Uint8Array | string | null];
    for (const item of list) out.set(Buffer.from(name, 'utf8'), item === null ? null : asBuffer(item));
  }
  return out;
}

const IS_CONTROL = 0x20;

/** Kafka's OFFSET_OUT_OF_RANGE partition error. */
const OFFSET_OUT_OF_RANGE = 1;
/**
 * Partition errors that mean the fetch went to a broker that does not lead the partition (now):
 * UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, REPLICA_NOT_AVAILABLE,
 * KAFKA_STORAGE_ERROR, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, OFFSET_NOT_AVAILABLE. The
 * partition is fetched again after a metadata refresh.
 */
const STALE_LEADER = new Set([3, 5, 6, 9, 56, 74, 75, 78]);

/**
 * A fetch's response. `@platformatic/kafka` rejects a whole fetch when one partition carries an
 * error (a `ResponseError` that keeps the parsed response): the other partitions' records are in
 * it, and each partition's error is for the fetch loop to handle. A response-level error, or any
 * other failure, stays a rejection.
 */
async function fetchResponse(
  c: Consumer,
  request: Parameters<Consumer['fetch']>[0],
): Promise<{ response: FetchResponse; error?: unknown }> {
  try {
    return { response: await c.fetch(request) };
  } catch (error) {
    const { code, response } = error as { code?: unknown; response?: FetchResponse };
    if (code === 'PLT_KFK_RESPONSE' && response?.errorCode === 0 && Array.isArray(response.responses))
      return { response, error };
    throw error;
  }
}

/**
 * The `@platformatic/kafka` (1.x) implementation of {@link KafkaDriver}: its `Consumer` for the
 * group (join, heartbeats, commits, offset look-ups) and rxq's own fetch loop over
 * `Consumer.fetch` (raw record batches, read committed: aborted records are filtered, control
 * batches committed past), held by the batch handler for credit. Fetches go over a connection of
 * their own, apart from the group's requests. One `Producer` (acks from all replicas) and, for
 * dead-letter topics, one `Admin` per session.
 *
 * @example
 * kafka('orders', { groupId: 'billing', driver: 'platformatic' });
 */
export function platformaticDriver(
  connection: KafkaConnectionOptions,
  options: DriverConsumerOptions,
  logger: Logger,
): KafkaDriver {
  const base = baseOptions(connection);
  let consumer: Consumer | undefined;
  let producer: Promise<Producer> | undefined;
  let admin: Promise<Admin> | undefined;
  let running = false;
  let loop: Promise<void> | undefined;
  /** The generation whose assignment the positions belong to; bumped on every join. */
  let generation = 0;
  let assignment: TopicPartition[] = [];
  /** Next offset to fetch per `topic:partition`; a partition without one is being positioned. */
  const positions = new Map<string, bigint>();
  /** Bumped by a seek: a fetch that started before it is dropped for that partition. */
  const seeks = new Map<string, number>();
  let rebalancing = false;
  /** Wakes the fetch loop's idle wait. */
  const woken = new Wakeup();
  const ensured = new Map<string, Promise<void>>();
  const key = (topic: string, partition: number): string => `${topic}:${partition}`;

  const ensureProducer = (): Promise<Producer> => {
    producer ??= loadPlatformatic().then((m) => {
      const p = new m.Producer({ ...base, acks: -1, autocreateTopics: true } as never);
      guardUnknownBroker(p, m);
      return p;
    });
    producer.catch(() => (producer = undefined));
    return producer;
  };
  const ensureAdmin = (): Promise<Admin> => {
    admin ??= loadPlatformatic().then((m) => {
      const a = new m.Admin({ ...base } as never);
      guardUnknownBroker(a, m);
      return a;
    });
    admin.catch(() => (admin = undefined));
    return admin;
  };

  /** Where a new group starts on each partition of `topics` (Kafka's `auto.offset.reset`). */
  function resetOffsets(c: Consumer, topics: string[]): ReturnType<Consumer['listOffsets']> {
    return c.listOffsets({ topics, timestamp: options.fromBeginning ? -2n : -1n });
  }

  /** Where each assigned partition starts: the group's committed offset, else earliest or latest. */
  async function position(c: Consumer, gen: number): Promise<void> {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of assignment) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    if (byTopic.size === 0) return;
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    const committed = await c.listCommittedOffsets({ topics });
    const ends = await resetOffsets(c, [...byTopic.keys()]);
    if (gen !== generation) return;
    for (const { topic, partition } of assignment) {
      const k = key(topic, partition);
      if (positions.has(k)) continue; // sought meanwhile
      const at = committed.get(topic)?.[partition];
      positions.set(k, at !== undefined && at >= 0n ? at : (ends.get(topic)?.[partition] ?? 0n));
    }
    woken.wake();
  }

  /**
   * A partition whose position is outside its log (its records were deleted by retention, or the
   * topic was truncated): it starts again where a new group would, as Kafka's
   * `auto.offset.reset` does, and the skip is logged. The group's committed offset is not asked
   * again: it is the offset that fell out of range.
   */
  async function reset(c: Consumer, gen: number, topic: string, partition: number, from: bigint): Promise<void> {
    const k = key(topic, partition);
    const seek = seeks.get(k) ?? 0;
    positions.delete(k);
    const ends = await resetOffsets(c, [topic]);
    if (gen !== generation || (seeks.get(k) ?? 0) !== seek || positions.has(k)) return;
    const to = ends.get(topic)?.[partition] ?? 0n;
    logger.warn(
      { topic, partition, offset: String(from), resetTo: String(to) },
      `the offset is out of range of the partition's log; starting again at its ${options.fromBeginning ? 'earliest' : 'latest'} offset`,
    );
    positions.set(k, to);
    woken.wake();
  }

  /** Waits up to `ms`, or until the loop is woken (a position set, a seek, a stop). */
  async function idle(ms: number): Promise<void> {
    await woken.wait(ms);
  }

  async function fetchLoop(c: Consumer, handlers: DriverHandlers): Promise<void> {
    let staleMetadata = false;
    while (running) {
      const gen = generation;
      const wanted = assignment.filter((tp) => positions.has(key(tp.topic, tp.partition)));
      if (wanted.length === 0 || rebalancing) {
        await idle(100);
        continue;
      }
      const metadata = await c.metadata({
        topics: [...new Set(wanted.map((tp) => tp.topic))],
        ...(staleMetadata ? { forceUpdate: true } : {}),
      });
      staleMetadata = false;
      const byLeader = new Map<number, { topicId: string; partitions: Record<string, unknown>[] }[]>();
      const topicNames = new Map<string, string>();
      const requested = new Map<string, { offset: bigint; seek: number }>();
      for (const { topic, partition } of wanted) {
        const t = metadata.topics.get(topic);
        const p = t?.partitions[partition];
        if (!t || !p) continue;
        const k = key(topic, partition);
        const offset = positions.get(k) as bigint;
        requested.set(k, { offset, seek: seeks.get(k) ?? 0 });
        topicNames.set(t.id, topic);
        const list = byLeader.get(p.leader) ?? [];
        list.push({
          topicId: t.id,
          partitions: [
            {
              partition,
              fetchOffset: offset,
              partitionMaxBytes: options.maxBytesPerPartition,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            },
          ],
        });
        byLeader.set(p.leader, list);
      }
      const responses = await Promise.all(
        [...byLeader].map(([node, topics]) =>
          fetchResponse(c, {
            node,
            topics: topics as never,
            maxWaitTime: options.fetchMaxWaitMs,
            minBytes: 1,
            maxBytes: options.maxFetchBytes,
            isolationLevel: 1,
          }),
        ),
      );
      let fetched = false;
      for (const { response, error } of responses)
        for (const topicResponse of response.responses) {
          const topic = topicNames.get(topicResponse.topicId);
          if (topic === undefined) continue;
          for (const part of topicResponse.partitions) {
            const k = key(topic, part.partitionIndex);
            const asked = requested.get(k);
            // A rejoin or a seek since the request: its records are not what the position wants.
            if (!running || gen !== generation || !asked || (seeks.get(k) ?? 0) !== asked.seek) continue;
            if (part.errorCode === OFFSET_OUT_OF_RANGE) {
              void reset(c, gen, topic, part.partitionIndex, asked.offset).catch((e: unknown) => handlers.crashed(e));
              continue;
            }
            if (STALE_LEADER.has(part.errorCode)) {
              // The partition's leader moved or is being elected: ask for metadata again.
              staleMetadata = true;
              continue;
            }
            if (part.errorCode !== 0) throw error;
            fetched = true;
            const batches = part.records ?? [];
            if (batches.length === 0) continue;
            const last = batches[batches.length - 1] as RecordsBatch;
            const lastOffset = last.firstOffset + BigInt(last.lastOffsetDelta);
            if (lastOffset < asked.offset) continue;
            const records = recordsOf(batches, asked.offset, part.abortedTransactions);
            positions.set(k, lastOffset + 1n);
            const tp = { topic, partition: part.partitionIndex };
            if (records.length === 0) handlers.filtered?.(tp, String(lastOffset));
            else
              try {
                await handlers.batch(tp, records, control(gen), String(lastOffset));
              } catch (error) {
                // The batch was given up for a rebalance: the new generation positions again.
                if (!REJOIN(error)) throw error;
              }
          }
        }
      // Every partition asked had a leader error: give the election a moment before asking again.
      if (staleMetadata && !fetched) await idle(100);
    }
  }

  function control(gen: number): BatchControl {
    return {
      heartbeat: () =>
        // The client heartbeats by itself; a rejoin it started (or finished) ends the held batch.
        rebalancing || gen !== generation
          ? Promise.reject(new RebalanceInProgress('the group is rebalancing'))
          : Promise.resolve(),
      commit: (offsets) => commit(offsets),
      isRebalance: REJOIN,
    };
  }

  async function commit(offsets: readonly PartitionOffset[]): Promise<void> {
    if (offsets.length === 0 || !consumer) return;
    await consumer.commit({
      offsets: offsets.map(({ topic, partition, offset }) => ({
        topic,
        partition,
        offset: BigInt(offset),
        leaderEpoch: -1,
      })),
    });
  }

  return {
    async start(handlers) {
      const m = await loadPlatformatic();
      const c = new m.Consumer({
        ...base,
        groupId: options.groupId,
        autocommit: false,
        sessionTimeout: options.sessionTimeoutMs,
        heartbeatInterval: options.heartbeatIntervalMs,
        rebalanceTimeout: options.rebalanceTimeoutMs,
        maxWaitTime: options.fetchMaxWaitMs,
        maxBytes: options.maxFetchBytes,
        maxBytesPerPartition: options.maxBytesPerPartition,
        isolationLevel: 1,
      } as never);
      guardUnknownBroker(c, m);
      consumer = c;
      c.on('consumer:group:rebalance', () => {
        if (rebalancing) return;
        rebalancing = true;
        handlers.rebalancing();
      });
      c.on('consumer:group:join', (payload: { assignments?: { topic: string; partitions: number[] }[] }) => {
        generation++;
        rebalancing = false;
        assignment = (payload.assignments ?? []).flatMap(({ topic, partitions }) =>
          partitions.map((partition) => ({ topic, partition })),
        );
        positions.clear();
        handlers.assigned(assignment);
        void position(c, generation).catch((error: unknown) => handlers.crashed(error));
      });
      // A rejoin that failed for good (the client reports it as an error event).
      c.on('error', (error: unknown) => handlers.crashed(error));
      // A heartbeat that failed after the client's retries. The client looks for the group's
      // coordinator once: when the coordinator moves to another broker (its broker stopped, a
      // rolling restart), every heartbeat and commit fails from then on (NOT_COORDINATOR, or the
      // old broker unreachable) while the fetches go on, and the member silently drops out of its
      // group. Reported as lost instead: the next session's consumer finds the coordinator again.
      c.on('consumer:heartbeat:error', (payload: { error?: unknown }) => {
        if (running) handlers.crashed(payload.error ?? new Error('a heartbeat to the group coordinator failed'));
      });
      for (const topic of options.topics) c.topics.track(topic);
      running = true;
      await c.joinGroup({});
      loop = fetchLoop(c, handlers).catch((error: unknown) => {
        if (running) handlers.crashed(error);
      });
    },
    commit,
    async produce(topic, records) {
      const p = await ensureProducer();
      await p.send({
        acks: -1,
        messages: records.map((r) => ({
          topic,
          key: r.key === null ? undefined : asBuffer(r.key),
          value: r.value === null ? null : asBuffer(r.value),
          headers: outgoingHeaders(r.headers),
          ...(r.partition === undefined ? {} : { partition: r.partition }),
        })) as never,
      });
    },
    ensureTopic(topic) {
      let done = ensured.get(topic);
      if (!done) {
        done = (async () => {
          const a = await ensureAdmin();
          const existing = await a.listTopics({});
          if (existing.includes(topic)) return;
          try {
            await a.createTopics({ topics: [topic], partitions: -1, replicas: -1 });
          } catch (error) {
            if (!(error as { findBy?: (k: string, v: unknown) => unknown }).findBy?.('apiId', 'TOPIC_ALREADY_EXISTS'))
              throw error;
          }
        })();
        ensured.set(topic, done);
        done.catch(() => ensured.delete(topic));
      }
      return done;
    },
    seek(target) {
      const k = key(target.topic, target.partition);
      seeks.set(k, (seeks.get(k) ?? 0) + 1);
      positions.set(k, BigInt(target.offset));
      woken.wake();
    },
    async offsetsAt(topic, timestamp) {
      const c = consumer;
      if (!c) return [];
      const at = await c.listOffsets({ topics: [topic], timestamp: BigInt(timestamp) });
      const ends = await c.listOffsets({ topics: [topic], timestamp: -1n });
      return (at.get(topic) ?? []).map((offset, partition) => ({
        topic,
        partition,
        // No record at or after the time: the end of the partition.
        offset: String(offset >= 0n ? offset : (ends.get(topic)?.[partition] ?? 0n)),
      }));
    },
    async offsetsOf(topic) {
      const c = consumer;
      if (!c) return [];
      const ends = (await c.listOffsets({ topics: [topic], timestamp: -1n })).get(topic) ?? [];
      const committed = await c.listCommittedOffsets({
        topics: [{ topic, partitions: ends.map((_, partition) => partition) }],
      });
      return ends.map((end, partition) => ({
        partition,
        end: Number(end),
        committed: Number(committed.get(topic)?.[partition] ?? -1n),
      }));
    },
    async stop() {
      running = false;
      woken.wake();
      const quietly = async (f: () => Promise<unknown>): Promise<void> => {
        try {
          await f();
        } catch (error) {
          logger.debug({ error: (error as Error)?.name }, 'closing a Kafka client failed');
        }
      };
      if (consumer) {
        const c = consumer;
        await quietly(() => new Promise<void>((res, rej) => c.leaveGroup(false, (e) => (e ? rej(e) : res()))));
        await quietly(async () => loop);
        await quietly(() => new Promise<void>((res, rej) => c.close(true, (e) => (e ? rej(e) : res()))));
      }
      if (producer) await quietly(async () => (await (producer as Promise<Producer>)).close());
      if (admin) await quietly(async () => (await (admin as Promise<Admin>)).close());
    },
  };
}

const IS_TRANSACTIONAL = 0x10;

/**
 * Records to deliver from raw batches, from `from` on: control batches skipped, and the batches of
 * aborted transactions (read committed, as Kafka's own consumer does: a producer's records are
 * skipped from the first offset of each aborted transaction the broker lists to that
 * transaction's abort marker, however many transactions of one producer a fetch holds).
 */
function recordsOf(
  batches: readonly RecordsBatch[],
  from: bigint,
  aborted: readonly { producerId: bigint; firstOffset: bigint }[] = [],
): KafkaRecord[] {
  const out: KafkaRecord[] = [];
  const start = Number(from);
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  const abortedNow = new Set<bigint>();
  for (const batch of batches) {
    while (
      pending.length > 0 &&
      (pending[0] as { firstOffset: bigint }).firstOffset <= batch.firstOffset + BigInt(batch.lastOffsetDelta)
    )
      abortedNow.add((pending.shift() as { producerId: bigint }).producerId);
    if (batch.attributes & IS_CONTROL) {
      // An abort marker (control record type 0) ends that producer's aborted transaction.
      const k = batch.records[0]?.key;
      if (k && k.length >= 4 && k.readInt16BE(2) === 0) abortedNow.delete(batch.producerId);
      continue;
    }
    if (batch.attributes & IS_TRANSACTIONAL && abortedNow.has(batch.producerId)) continue;
    // Offsets and timestamps as numbers (exact to 2^53, as the connector's offsets are).
    const base = Number(batch.firstOffset);
    const time = Number(batch.firstTimestamp);
    for (const r of batch.records) {
      const offset = base + r.offsetDelta;
      if (offset < start) continue;
      out.push({
        offset: String(offset),
        key: r.key,
        value: r.value,
        headers: headersOf(r.headers),
        timestamp: String(time + Number(r.timestampDelta)),
      });
    }
  }
  return out;
}
