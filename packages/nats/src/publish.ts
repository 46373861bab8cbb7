import { json, publishHeaders, rejectUnknownOptions, type Codec } from '@rxq/core';
import { jetstream, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { natsError } from './errors.js';

/** Options of {@link publish} and {@link publishMany}. */
export interface PublishOptions<T = unknown> {
  /** How bodies are encoded. @default json */
  readonly codec?: Codec<T>;
  /** Headers on every message. @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /** Publishes awaited at once by {@link publishMany}. @default 1_000 */
  readonly window?: number;
}

const KNOWN = ['codec', 'headers', 'window'] as const;

function clientOf(target: NatsConnection | JetStreamClient): JetStreamClient {
  return 'publish' in target && 'consumers' in target ? target : jetstream(target);
}

/** Publishes one body to a subject a stream captures; resolves with the stream's ack. */
export async function publish<T = unknown>(
  target: NatsConnection | JetStreamClient,
  subject: string,
  body: T,
  options: PublishOptions<T> = {},
): Promise<PubAck> {
  rejectUnknownOptions(options, KNOWN);
  const [ack] = await send(clientOf(target), subject, [body], options);
  return ack!;
}

/**
 * Publishes bodies in order, `window` publishes in flight at a time, each acknowledged by the
 * stream; resolves once all are stored.
 */
export async function publishMany<T = unknown>(
  target: NatsConnection | JetStreamClient,
  subject: string,
  bodies: readonly T[],
  options: PublishOptions<T> = {},
): Promise<void> {
  rejectUnknownOptions(options, KNOWN);
  await send(clientOf(target), subject, bodies, options);
}

async function send<T>(
  js: JetStreamClient,
  subject: string,
  bodies: readonly T[],
  options: PublishOptions<T>,
): Promise<PubAck[]> {
  const codec = (options.codec ?? json) as Codec<T>;
  const window = options.window ?? 1_000;
  const acks: PubAck[] = [];
  // With the trace context an instrumentation adds (`publishHeaders`).
  const headers = publishHeaders(options.headers);
  for (let i = 0; i < bodies.length; i += window) {
    const batch = bodies.slice(i, i + window).map((body) => {
      const opts = headers ? { headers: toHeaders(headers) } : {};
      return js.publish(subject, codec.encode(body), opts);
    });
    try {
      acks.push(...(await Promise.all(batch)));
    } catch (error) {
      throw natsError(`publishing to "${subject}"`, error);
    }
  }
  return acks;
}

function toHeaders(record: Readonly<Record<string, string>>) {
  const h = natsHeaders();
  for (const key in record) h.set(key, record[key]!);
  return h;
}
