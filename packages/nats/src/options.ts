import { InvalidOptionError, json, rejectUnknownOptions, type Codec } from '@rxq/core';
import { bool, codecOption, duration, nonEmpty } from '@rxq/core/kit';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';

/** Where rxq connects: a server URL (or several), the client's connect options, or an open connection. */
export type NatsConnectionOption = string | readonly string[] | NodeConnectionOptions | NatsConnection;

/**
 * Where a consumer that rxq creates starts in the stream (JetStream's deliver policy): every
 * message, only new ones, the last one (per subject), from a stream sequence, or from a time.
 */
export type NatsDeliverFrom =
  | 'all'
  | 'new'
  | 'last'
  | 'last-per-subject'
  | { readonly sequence: number }
  | { readonly time: Date | number };

/** Options of {@link nats}. */
export interface NatsOptions<T = unknown> {
  /**
   * A server URL (`nats://host:4222`), several, the client's connect options, or an open
   * `NatsConnection` (rxq never closes a connection it did not open, and leaves reconnecting it to
   * the client).
   * @default '127.0.0.1:4222'
   */
  readonly connection?: NatsConnectionOption;
  /**
   * The durable pull consumer to read from. Processes that name the same consumer share the work.
   * @default `rxq-<stream>`
   */
  readonly consumer?: string;
  /**
   * Read through an ephemeral consumer of this session's own instead of a durable one: it starts at
   * `deliver`, and the server deletes it when the session closes (or after `inactiveMs`).
   * @default false
   */
  readonly ephemeral?: boolean;
  /** Create the durable consumer when it does not exist (an existing one keeps its config). @default true */
  readonly createConsumer?: boolean;
  /** Only subjects matching this filter (for a consumer rxq creates). @default every subject of the stream */
  readonly filterSubject?: string;
  /** Where a consumer rxq creates starts: replay from a sequence or a time. @default 'all' */
  readonly deliver?: NatsDeliverFrom;
  /**
   * The ack wait of a consumer rxq creates: how long the server waits for a settlement before it
   * redelivers. An existing consumer keeps its own, read at each connect.
   * @default 30_000
   */
  readonly ackWaitMs?: number;
  /**
   * While a message is unsettled (handled, or waiting for its turn), tell the server it is being
   * worked on (`working()`, `+WPI`) every half ack wait, so a long handler does not get it redelivered.
   * @default true
   */
  readonly extendAckWait?: boolean;
  /**
   * Where dead letters are published (with the original's headers and rxq's reason headers) before
   * the original is terminated. `false`: only `term()`, no copy (the server's
   * `MSG_TERMINATED` advisory is then the only trace).
   * @default `rxq.dead.<stream>`
   */
  readonly deadLetterSubject?: string | false;
  /**
   * The stream created (file storage, capturing `deadLetterSubject` alone) on the first dead letter
   * when no stream captures that subject. `false`: never create one; a stream of yours must capture it.
   * @default `<stream>_dead`
   */
  readonly deadLetterStream?: string | false;
  /** How long one pull request waits on an idle consumer (the server's `expires`, at least 1_000). @default 5_000 */
  readonly expiresMs?: number;
  /** How long the server keeps an ephemeral consumer after its session went silent. @default 30_000 */
  readonly inactiveMs?: number;
  /** How bodies are decoded (the connector's `defaultCodec`). @default json */
  readonly codec?: Codec<T>;
  /** The connection's name, as the server's monitoring shows it. @default `rxq:<stream>` */
  readonly connectionName?: string;
}

/** Validated options with every default filled in. */
export interface NatsSettings {
  readonly stream: string;
  readonly connection: NatsConnectionOption;
  readonly consumer: string;
  readonly ephemeral: boolean;
  readonly createConsumer: boolean;
  readonly filterSubject: string | undefined;
  readonly deliver: NatsDeliverFrom;
  readonly ackWaitMs: number;
  readonly extendAckWait: boolean;
  readonly deadLetterSubject: string | false;
  readonly deadLetterStream: string | false;
  readonly expiresMs: number;
  readonly inactiveMs: number;
  readonly codec: Codec<unknown>;
  readonly connectionName: string;
}

const KNOWN = [
  'connection',
  'consumer',
  'ephemeral',
  'createConsumer',
  'filterSubject',
  'deliver',
  'ackWaitMs',
  'extendAckWait',
  'deadLetterSubject',
  'deadLetterStream',
  'expiresMs',
  'inactiveMs',
  'codec',
  'connectionName',
] as const;

/** JetStream names: no whitespace, `.`, `*`, `>`, path separators. */
const NAME = /^[^\s.*>/\\]{1,255}$/;
const SUBJECT = /^[^\s]{1,255}$/;

/** Checks every option (throwing {@link InvalidOptionError} naming it) and fills in defaults. */
export function settingsOf(stream: unknown, options: NatsOptions<unknown>): NatsSettings {
  if (typeof stream !== 'string' || !NAME.test(stream))
    throw new InvalidOptionError('stream', 'a JetStream stream name (no spaces, ".", "*", ">")', stream);
  rejectUnknownOptions(options, KNOWN);
  const o = options as Record<string, unknown>;
  const connection = options.connection ?? '127.0.0.1:4222';
  if (typeof connection !== 'string' && (typeof connection !== 'object' || connection === null))
    throw new InvalidOptionError('connection', 'a server URL, URLs, connect options or a NatsConnection', connection);
  const ephemeral = bool('ephemeral', o.ephemeral, false);
  if (ephemeral && options.consumer !== undefined)
    throw new InvalidOptionError('consumer', 'no durable name with ephemeral: true', options.consumer);
  const codec = codecOption(options.codec) ?? json;
  return {
    stream,
    connection,
    consumer: name('consumer', options.consumer, `rxq-${stream}`),
    ephemeral,
    createConsumer: bool('createConsumer', o.createConsumer, true),
    filterSubject: options.filterSubject === undefined ? undefined : subject('filterSubject', options.filterSubject),
    deliver: deliverOf(options.deliver),
    ackWaitMs: duration('ackWaitMs', options.ackWaitMs, 30_000, 1),
    extendAckWait: bool('extendAckWait', o.extendAckWait, true),
    deadLetterSubject:
      options.deadLetterSubject === false
        ? false
        : subject('deadLetterSubject', options.deadLetterSubject ?? `rxq.dead.${stream}`),
    deadLetterStream:
      options.deadLetterStream === false ? false : name('deadLetterStream', options.deadLetterStream, `${stream}_dead`),
    expiresMs: duration('expiresMs', options.expiresMs, 5_000, 1_000),
    inactiveMs: duration('inactiveMs', options.inactiveMs, 30_000, 1_000),
    codec: codec,
    connectionName: nonEmpty('connectionName', options.connectionName, `rxq:${stream}`),
  };
}

function deliverOf(value: unknown): NatsDeliverFrom {
  if (value === undefined) return 'all';
  if (value === 'all' || value === 'new' || value === 'last' || value === 'last-per-subject') return value;
  if (typeof value === 'object' && value !== null) {
    const v = value as { sequence?: unknown; time?: unknown };
    rejectUnknownOptions(value, 'sequence' in v ? ['sequence'] : ['time'], 'deliver');
    if (Number.isInteger(v.sequence) && (v.sequence as number) >= 1) return { sequence: v.sequence as number };
    if (v.time instanceof Date && !Number.isNaN(v.time.getTime())) return { time: v.time };
    if (typeof v.time === 'number' && Number.isFinite(v.time)) return { time: v.time };
  }
  throw new InvalidOptionError(
    'deliver',
    "'all', 'new', 'last', 'last-per-subject', { sequence: n ≥ 1 } or { time: Date | ms }",
    value,
  );
}

function name(option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && NAME.test(value)) return value;
  throw new InvalidOptionError(option, 'a JetStream name (no spaces, ".", "*", ">")', value);
}

function subject(option: string, value: unknown): string {
  if (typeof value === 'string' && SUBJECT.test(value)) return value;
  throw new InvalidOptionError(option, 'a NATS subject', value);
}

/** Whether the option is an open connection (rather than a way to open one). */
export function isConnection(value: NatsConnectionOption): value is NatsConnection {
  return (
    typeof value === 'object' && !Array.isArray(value) && typeof (value as Partial<NatsConnection>).flush === 'function'
  );
}
