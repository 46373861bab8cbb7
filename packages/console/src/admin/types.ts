/**
 * The broker admin layer: one {@link QueueAdmin} per queue, opened from a URL by `openAdmin`. The
 * `rxq` command line and `@rxq/dashboard` both stand on it. Every adapter reads and writes exactly
 * the layout its connector package uses (keys, queues, topics, tables, the dead-letter destination
 * and rxq's `x-rxq-*` headers).
 */

/** A message as it sits in a queue or a dead-letter destination, read without consuming it. */
export interface PeekedMessage {
  /**
   * A stable id within its queue: the broker's own where it has one (a stream entry id, a Kafka
   * `partition:offset`, a table row id, a JetStream sequence, an SQS message id), else rxq's
   * envelope id or a hash of the bytes (Redis lists). `dlq show`, `--id` and `ids` filters use it.
   */
  readonly id: string;
  /** The attempt recorded in `x-rxq-attempt` (1 when absent). */
  readonly attempt: number;
  /** The message's headers (rxq's `x-rxq-*` among them), as text. */
  readonly headers: Readonly<Record<string, string>>;
  /** The payload bytes: only when asked for (`{ body: true }`), never otherwise. */
  readonly body?: Buffer;
  /** Payload size in bytes (known without reading it out). */
  readonly size: number;
}

/** A dead letter with what rxq recorded when it dead-lettered it. */
export interface DeadLetter extends PeekedMessage {
  /** `x-rxq-dead-reason` (`decode`, `max-attempts`, …), or null when the message has none. */
  readonly reason: string | null;
  /** `x-rxq-error-name` and `x-rxq-error-message`, or null. */
  readonly error: { readonly name: string; readonly message: string } | null;
  /** `x-rxq-dead-at` (ms since the epoch), else the broker's own timestamp, else null. */
  readonly deadAt: number | null;
  /** `x-rxq-origin`: the source it came from, or null. */
  readonly origin: string | null;
}

/** Options of `peek` and `deadLetters.list`: bodies only when asked. */
export interface ReadOptions {
  /** Read the payload bytes into `body`. @default false */
  readonly body?: boolean;
}

/** Which dead letters an operation acts on; every given field must match (AND). */
export interface DeadLetterFilter {
  /** At most this many (list: the first N; redrive and purge: stop after N). @default all */
  readonly limit?: number;
  /** Only these reasons (`x-rxq-dead-reason`, exact). */
  readonly reason?: string | readonly string[];
  /** Only those dead-lettered at least this long ago (by `deadAt`; a letter without one never matches). */
  readonly olderThanMs?: number;
  /** Only those dead-lettered before this instant (by `deadAt`). */
  readonly olderThan?: Date;
  /** Only these ids. */
  readonly ids?: readonly string[];
}

/** A dead-letter listing's options: a filter and whether to read the bodies. */
export interface ListOptions extends DeadLetterFilter, ReadOptions {}

/** Progress of a redrive, reported after each confirmed batch. */
export interface RedriveProgress {
  /** Dead letters moved back so far (confirmed in the source, removed from the dead letters). */
  readonly moved: number;
  /** Dead letters matched so far (moved or, in a dry run, that would be). */
  readonly matched: number;
  /** Dead letters in the destination when the redrive started (the bar's end), or null. */
  readonly total: number | null;
}

/** Options of `redrive`. */
export interface RedriveOptions {
  /** At most this many messages per second. @default unlimited */
  readonly rate?: number;
  /** Count what would move, move nothing. @default false */
  readonly dryRun?: boolean;
  /** Called after each confirmed batch (and once at the end). */
  readonly onProgress?: (progress: RedriveProgress) => void;
  /** Stops the redrive after the batch in flight. */
  readonly signal?: AbortSignal;
}

/** What a redrive did. */
export interface RedriveResult {
  /** Dead letters moved back to the source (0 in a dry run). */
  readonly moved: number;
  /** Dead letters that matched the filter (what a dry run would move). */
  readonly matched: number;
  readonly dryRun: boolean;
  /** The ids that matched, in order (the first 100; more are counted, not listed). */
  readonly ids: readonly string[];
}

/** What a purge did. */
export interface PurgeResult {
  readonly purged: number;
}

/** A Kafka partition's lag for a consumer group. */
export interface PartitionLag {
  readonly partition: number;
  /** The group's committed offset (-1 when it has none). */
  readonly committed: number;
  /** The partition's high watermark (the next offset to be written). */
  readonly end: number;
  /** end − committed (end − start when nothing is committed). */
  readonly lag: number;
}

/** A queue's figures. Each is the broker's own count, or null where the broker cannot know it. */
export interface QueueStats {
  /** Messages waiting to be delivered. */
  readonly depth: number | null;
  /** Delivered and not yet settled. */
  readonly inFlight: number | null;
  /** Waiting for a delayed resend (Redis's delayed set, AMQP's delay queues, …). */
  readonly delayed: number | null;
  /** Messages in the dead-letter destination. */
  readonly deadLetters: number | null;
  /** Live consumers. */
  readonly consumers: number | null;
  /** Per-partition lag of the consumer group (Kafka), else null. */
  readonly lag: readonly PartitionLag[] | null;
}

/** What an adapter can do; an operation it cannot do throws `UnsupportedError`. */
export interface AdminCapabilities {
  readonly peek: boolean;
  readonly publish: boolean;
  readonly redrive: boolean;
  readonly purge: boolean;
}

/** The dead letters of one queue. */
export interface DeadLetters {
  /** Where they are, for display (`orders:dead`, `orders.dlq`, …). */
  readonly destination: string;
  /** The dead letters that match, oldest first, without removing them. */
  list(options?: ListOptions): Promise<DeadLetter[]>;
  /**
   * Moves the matching dead letters back to the source queue (at the tail), with the dead-letter
   * headers and the attempt cleared (`x-rxq-redriven-at` added). At-least-once: a dead letter is
   * removed only after its copy is confirmed in the source; see the README for what a kill
   * mid-redrive can double on each broker.
   */
  redrive(filter?: DeadLetterFilter, options?: RedriveOptions): Promise<RedriveResult>;
  /** Deletes the matching dead letters. */
  purge(filter?: DeadLetterFilter): Promise<PurgeResult>;
}

/** Admin operations on one queue of one broker. */
export interface QueueAdmin {
  /** The URL scheme (`redis`, `amqp`, `kafka`, `postgres`, `sqs`, `nats`). */
  readonly broker: string;
  /** The queue (list, stream, queue, topic, subject) this admin acts on. */
  readonly queue: string;
  /** The URL without credentials, for display. */
  readonly target: string;
  readonly capabilities: AdminCapabilities;
  /** The first `n` waiting messages, without consuming them. */
  peek(n: number, options?: ReadOptions): Promise<PeekedMessage[]>;
  /** Publishes each body as one message (as a producer outside rxq would); resolves with the count. */
  publish(bodies: readonly (string | Buffer)[], options?: PublishOptions): Promise<number>;
  stats(): Promise<QueueStats>;
  readonly deadLetters: DeadLetters;
  /** The same as `deadLetters.redrive`. */
  redrive(filter?: DeadLetterFilter, options?: RedriveOptions): Promise<RedriveResult>;
  /** The same as `deadLetters.purge`: deletes matching dead letters (never the queue's own messages). */
  purge(filter?: DeadLetterFilter): Promise<PurgeResult>;
  /** Closes the connections; idempotent. */
  close(): Promise<void>;
}

/** Options of `publish`. */
export interface PublishOptions {
  /** Headers on every message (string values). @default none */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options of `openAdmin`; an unknown name is an `InvalidOptionError`. */
export interface AdminOptions {
  /**
   * The dead-letter destination, where it is not the connector's default (`<queue>:dead` for
   * Redis, `<queue>.dead` for AMQP, …: see the README's table).
   */
  readonly deadLetter?: string;
  /**
   * The consumer group whose lag and in-flight figures `stats` reports (Kafka, Redis streams,
   * NATS durable consumer, PostgreSQL topic subscriber). @default the only one, when there is one
   */
  readonly group?: string;
  /**
   * Where credentials missing from the URL are read: `RXQ_USERNAME` and `RXQ_PASSWORD` (and the
   * AWS SDK's own `AWS_*` variables for SQS). @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}
