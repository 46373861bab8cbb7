import { InvalidOptionError, json, publishHeaders, type Codec } from '@rxq/core';
import { codecOption, nonEmpty, opt, positiveInt, rejectUnknownOptions } from '@rxq/core/kit';
import kafkajs, { type Kafka } from 'kafkajs';
import { confirmingProducer } from './confirmingProducer.js';
import {
  checkConnection,
  CONNECTION_KEYS,
  isKafkaClient,
  makeClient,
  type KafkaConnectionOptions,
} from './connection.js';
import type { HeaderValue, OutgoingRecord } from './driver.js';
import { installCompressionCodecs } from './compression.js';
import { quietRequestQueue } from './requestQueue.js';
import { kafkaError } from './errors.js';
import { toMessage } from './kafkajsDriver.js';

/** Who to publish with: the application's kafkajs client, a `kafka://host:port` URL, or connection options. */
export type KafkaConnection = Kafka | string | KafkaConnectionOptions;

/** A record to publish with its Kafka fields; `value` goes through the codec unless it is bytes or null. */
export interface KafkaRecordInput<T = unknown> {
  readonly value: T | Uint8Array | null;
  /** Text or bytes; records of one key share a partition. @default none */
  readonly key?: string | Uint8Array | null;
  /** Values as text or bytes; an array is a repeated header. @default none */
  readonly headers?: Readonly<Record<string, string | Uint8Array | readonly (string | Uint8Array)[]>>;
  /** A partition to write to. @default by key (kafkajs' default partitioner), else spread */
  readonly partition?: number;
}

/** Options of {@link publish} and {@link publishMany}. */
export interface KafkaPublishOptions<T = unknown> {
  /** Encodes values that are not bytes. @default json */
  readonly codec?: Codec<T>;
  /** Broker acknowledgement: -1 all in-sync replicas, 1 the leader, 0 none. @default -1 */
  readonly acks?: -1 | 0 | 1;
  /** Batch compression: `none`, `gzip`, `snappy` or `lz4` (zstd is read, not written). @default 'none' */
  readonly compression?: 'none' | 'gzip' | 'snappy' | 'lz4';
  /** `publishMany` sends this many records per request. @default 1_000 */
  readonly maxBatch?: number;
}

const RECORD_KEYS = new Set(['value', 'key', 'headers', 'partition']);
const { CompressionTypes } = kafkajs;
const COMPRESSION = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
};

/** Whether `input` is a {@link KafkaRecordInput}: a plain object with `value` and only record keys. */
function isRecordInput(input: unknown): input is KafkaRecordInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input) || input instanceof Uint8Array) return false;
  const keys = Object.keys(input);
  return keys.includes('value') && keys.every((k) => RECORD_KEYS.has(k));
}

const bytes = (v: string | Uint8Array): Uint8Array => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v);

function outgoing<T>(
  input: T | KafkaRecordInput<T>,
  codec: Codec<T>,
  trace: Readonly<Record<string, string>> | undefined,
): OutgoingRecord {
  const r: KafkaRecordInput<T> = isRecordInput(input) ? input : { value: input };
  const v = r.value;
  const value = v === null ? null : v instanceof Uint8Array ? v : bytes(codec.encode(v));
  const headers: Record<string, HeaderValue> = {};
  for (const [name, h] of Object.entries(r.headers ?? {}))
    headers[name] = Array.isArray(h)
      ? (h as readonly (string | Uint8Array)[]).map(bytes)
      : bytes(h as string | Uint8Array);
  // The trace context an instrumentation adds (`publishHeaders`), under the record's own headers.
  if (trace !== undefined) for (const name in trace) if (!(name in headers)) headers[name] = bytes(trace[name]!);
  if (r.partition !== undefined && (!Number.isInteger(r.partition) || r.partition < 0))
    throw new InvalidOptionError('partition', 'an integer ≥ 0', r.partition);
  return {
    key: r.key === undefined || r.key === null ? null : bytes(r.key),
    value,
    headers,
    ...(r.partition === undefined ? {} : { partition: r.partition }),
  };
}

/**
 * Publishes one record to `topic` and resolves when the broker has it (all in-sync replicas by
 * default). `message` is a body (encoded with the codec, JSON by default; bytes go as they are;
 * `null` is a tombstone) or `{ key, value, headers, partition }`. `connection` is the application's
 * kafkajs client (used and left as it is: only a producer is made and closed), a
 * `kafka://host:port[,host:port]` URL or `{ brokers, ssl, sasl, clientId }`. Rejects with a
 * classified `RxqError` (`AUTHENTICATION_FAILED`, `AUTHORIZATION_FAILED`, `NOT_FOUND`,
 * `UNSUPPORTED`, `CONNECTION_LOST`).
 *
 * @example
 * await publish('kafka://127.0.0.1:9092', 'orders', { key: 'customer-7', value: { id: 1 }, headers: { tenant: 'a' } });
 */
export function publish<T = unknown>(
  connection: KafkaConnection,
  topic: string,
  message: T | KafkaRecordInput<T>,
  options: KafkaPublishOptions<T> = {},
): Promise<void> {
  return publishMany(connection, topic, [message], options);
}

/**
 * Publishes many records to `topic`, in order, `maxBatch` per request, each request awaited. Resolves
 * when the broker has them all; rejects at the first refused request (the earlier ones are
 * written). Same `connection` and `message` forms as {@link publish}.
 *
 * @example
 * await publishMany(client, 'orders', orders.map((o) => ({ key: o.customer, value: o })));
 */
export async function publishMany<T = unknown>(
  connection: KafkaConnection,
  topic: string,
  messages: Iterable<T | KafkaRecordInput<T>>,
  options: KafkaPublishOptions<T> = {},
): Promise<void> {
  rejectUnknownOptions(options, ['codec', 'acks', 'compression', 'maxBatch']);
  nonEmpty('topic', topic);
  const codec = (codecOption(options.codec, { encode: true }) ?? json) as Codec<T>;
  const acks = options.acks ?? -1;
  if (acks !== -1 && acks !== 0 && acks !== 1) throw new InvalidOptionError('acks', '-1, 0 or 1', acks);
  const compression = COMPRESSION[options.compression ?? 'none'];
  if (compression === undefined)
    throw new InvalidOptionError('compression', "'none', 'gzip', 'snappy' or 'lz4'", options.compression);
  const maxBatch = opt(options.maxBatch, 1_000, (v) => positiveInt('maxBatch', v));
  const client = clientOf(connection);
  const trace = publishHeaders(undefined);
  installCompressionCodecs();
  quietRequestQueue();
  const confirming = confirmingProducer();
  const producer = client.producer({ createPartitioner: confirming.createPartitioner });
  try {
    await producer.connect();
    let batch: OutgoingRecord[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      await confirming.send(producer, { topic, acks, compression, messages: batch.map(toMessage) });
      batch = [];
    };
    for (const m of messages) {
      batch.push(outgoing(m, codec, trace));
      if (batch.length >= maxBatch) await flush();
    }
    await flush();
  } catch (error) {
    if (error instanceof InvalidOptionError) throw error;
    throw kafkaError(error, `could not publish to Kafka topic "${topic}"`);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

function clientOf(connection: KafkaConnection): Kafka {
  if (isKafkaClient(connection)) return connection;
  if (typeof connection === 'string') return makeClient({ brokers: connection });
  if (typeof connection !== 'object' || connection === null)
    throw new InvalidOptionError('connection', 'a kafkajs client, a kafka:// URL or { brokers }', connection);
  rejectUnknownOptions(connection, CONNECTION_KEYS, 'connection');
  checkConnection(connection, 'connection.');
  return makeClient(connection);
}
