import { InvalidOptionError, json, rejectUnknownOptions, type Codec } from '@rxq/core';
import { bool, codecOption, numberIn } from '@rxq/core/kit';
import type { SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';

/** Options of {@link sqs}. */
export interface SqsOptions<T = unknown> {
  /** A client the user already has (rxq never destroys it). @default a client per session from `clientConfig` */
  readonly client?: SQSClient;
  /** Config of the client rxq creates: region, endpoint, credentials. @default {} (the SDK's own defaults) */
  readonly clientConfig?: SQSClientConfig;
  /**
   * How long a received message stays invisible to other consumers (`VisibilityTimeout` of the
   * receive). While rxq holds it, it is extended by this much every half of it.
   * @default 30_000
   */
  readonly visibilityTimeoutMs?: number;
  /** Extend the visibility of held messages (`ChangeMessageVisibilityBatch`). @default true */
  readonly extendVisibility?: boolean;
  /** Long-polling wait of one `ReceiveMessage` (`WaitTimeSeconds`, 0–20). @default 20 */
  readonly waitTimeSeconds?: number;
  /**
   * `ReceiveMessage` calls in flight at once (each asks for up to 10), when the credit allows and
   * the queue has a backlog (the last receive came back with all it asked for); on a drained queue
   * one long poll waits.
   * @default 4
   */
  readonly maxConcurrentReceives?: number;
  /**
   * Where dead letters go: a queue name or URL of your own (a copy with rxq's attributes is sent,
   * then the original deleted), or `'redrive'`: the message is made visible again and left to the
   * queue's redrive policy (SQS moves it after `maxReceiveCount` receives).
   * @default `<queue>-dead` (`<queue>-dead.fifo` for a FIFO queue), created when missing
   */
  readonly deadLetterQueue?: string;
  /** Create the dead-letter queue when it does not exist. @default true */
  readonly createDeadLetterQueue?: boolean;
  /** How bodies are decoded (the connector's `defaultCodec`). @default json */
  readonly codec?: Codec<T>;
}

/** Validated options with every default filled in. */
export interface SqsSettings {
  readonly queue: string;
  readonly client: SQSClient | undefined;
  readonly clientConfig: SQSClientConfig;
  readonly visibilityTimeoutMs: number;
  readonly extendVisibility: boolean;
  readonly waitTimeSeconds: number;
  readonly maxConcurrentReceives: number;
  readonly deadLetterQueue: string;
  readonly createDeadLetterQueue: boolean;
  readonly fifo: boolean;
  readonly codec: Codec<unknown>;
}

const KNOWN = [
  'client',
  'clientConfig',
  'visibilityTimeoutMs',
  'extendVisibility',
  'waitTimeSeconds',
  'maxConcurrentReceives',
  'deadLetterQueue',
  'createDeadLetterQueue',
  'codec',
] as const;

/** The queue's name: the last path segment of a URL, or the name itself. */
export function queueName(queue: string): string {
  return queue.includes('://') ? (queue.split('/').pop() ?? queue) : queue;
}

/** Checks every option (throwing {@link InvalidOptionError} naming it) and fills in defaults. */
export function settingsOf(queue: unknown, options: SqsOptions<unknown>): SqsSettings {
  if (typeof queue !== 'string' || queue.length === 0)
    throw new InvalidOptionError('queue', 'a queue name or URL', queue);
  rejectUnknownOptions(options, KNOWN);
  const name = queueName(queue);
  if (!/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(name))
    throw new InvalidOptionError(
      'queue',
      'a queue name of 1 to 80 letters, digits, - and _ (FIFO: ending .fifo)',
      queue,
    );
  const fifo = name.endsWith('.fifo');
  const o = options as Record<string, unknown>;
  if (options.client !== undefined && typeof (options.client as { send?: unknown }).send !== 'function')
    throw new InvalidOptionError('client', 'an SQSClient', options.client);
  const clientConfig = options.clientConfig ?? {};
  if (typeof clientConfig !== 'object' || clientConfig === null)
    throw new InvalidOptionError('clientConfig', 'an SQSClientConfig object', clientConfig);
  const codec = codecOption(options.codec) ?? json;
  const visibilityTimeoutMs = numberIn('visibilityTimeoutMs', o.visibilityTimeoutMs, 30_000, {
    min: 1_000,
    max: 43_200_000,
  });
  const deadLetterQueue = options.deadLetterQueue ?? `${name.replace(/\.fifo$/, '')}-dead${fifo ? '.fifo' : ''}`;
  if (typeof deadLetterQueue !== 'string' || deadLetterQueue.length === 0)
    throw new InvalidOptionError('deadLetterQueue', "a queue name or URL, or 'redrive'", deadLetterQueue);
  if (deadLetterQueue !== 'redrive' && queueName(deadLetterQueue).endsWith('.fifo') !== fifo)
    throw new InvalidOptionError(
      'deadLetterQueue',
      `a ${fifo ? 'FIFO' : 'standard'} queue like the source`,
      deadLetterQueue,
    );
  return {
    queue,
    client: options.client,
    clientConfig,
    visibilityTimeoutMs,
    extendVisibility: bool('extendVisibility', o.extendVisibility, true),
    waitTimeSeconds: numberIn('waitTimeSeconds', o.waitTimeSeconds, 20, { min: 0, max: 20, integer: true }),
    maxConcurrentReceives: numberIn('maxConcurrentReceives', o.maxConcurrentReceives, 4, {
      min: 1,
      max: 100,
      integer: true,
    }),
    deadLetterQueue,
    createDeadLetterQueue: bool('createDeadLetterQueue', o.createDeadLetterQueue, true),
    fifo,
    codec: codec,
  };
}
