import { json, publishHeaders, rejectUnknownOptions, type Codec } from '@rxq/core';
import { SendMessageBatchCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import { sqsError } from './errors.js';

/** Options of {@link publishMany}. */
export interface PublishOptions<T = unknown> {
  /** How bodies are encoded (SQS bodies are text). @default json */
  readonly codec?: Codec<T>;
  /** String attributes on every message. @default none */
  readonly attributes?: Readonly<Record<string, string>>;
  /** FIFO queues: the message group of each body. @default 'rxq' */
  readonly groupId?: (body: T, index: number) => string;
  /** Batches of ten sent at once. @default 10, 1 for a FIFO queue (so that the order holds) */
  readonly window?: number;
}

const KNOWN = ['codec', 'attributes', 'groupId', 'window'] as const;

/**
 * Sends bodies to a queue URL, ten per `SendMessageBatch`, `window` batches at a time; FIFO
 * queues (URL ending `.fifo`) get a group id and a deduplication id per message. Resolves once all
 * were accepted; rejects if any was refused.
 */
export async function publishMany<T = unknown>(
  client: SQSClient,
  queueUrl: string,
  bodies: readonly T[],
  options: PublishOptions<T> = {},
): Promise<void> {
  rejectUnknownOptions(options, KNOWN);
  const codec = (options.codec ?? json) as Codec<T>;
  const fifo = queueUrl.endsWith('.fifo');
  const given = sentAttributes(options.attributes);
  const attributes: Record<string, MessageAttributeValue> | undefined = given
    ? Object.fromEntries(Object.entries(given).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]))
    : undefined;
  const stamp = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const batches: Promise<void>[] = [];
  const window = options.window ?? (fifo ? 1 : 10);
  for (let i = 0; i < bodies.length; i += 10) {
    const entries = bodies.slice(i, i + 10).map((body, k) => {
      const encoded = codec.encode(body);
      return {
        Id: String(k),
        MessageBody: typeof encoded === 'string' ? encoded : Buffer.from(encoded).toString('utf8'),
        ...(attributes ? { MessageAttributes: attributes } : {}),
        ...(fifo
          ? { MessageGroupId: options.groupId?.(body, i + k) ?? 'rxq', MessageDeduplicationId: `${stamp}-${i + k}` }
          : {}),
      };
    });
    batches.push(
      client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })).then((reply) => {
        if (reply.Failed?.length)
          throw new Error(`${reply.Failed.length} message(s) refused: ${reply.Failed[0]?.Code}`);
      }),
    );
    if (batches.length >= window) await Promise.all(batches.splice(0));
  }
  try {
    await Promise.all(batches);
  } catch (error) {
    throw sqsError(`sending to "${queueUrl}"`, error);
  }
}

/** SQS takes at most 10 message attributes a message. */
const MAX_ATTRIBUTES = 10;

/**
 * The attributes sent: the caller's, plus the trace context an instrumentation adds
 * (`publishHeaders`) where it fits within SQS's 10 attributes (a message whose own attributes
 * leave no room goes without it, rather than being refused).
 */
function sentAttributes(
  attributes: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> | undefined {
  const sent = publishHeaders(attributes);
  if (sent === attributes || sent === undefined || Object.keys(sent).length <= MAX_ATTRIBUTES) return sent;
  return attributes;
}

/** Sends one body to a queue URL: {@link publishMany} of one. */
export function publish<T = unknown>(
  client: SQSClient,
  queueUrl: string,
  body: T,
  options: PublishOptions<T> = {},
): Promise<void> {
  return publishMany(client, queueUrl, [body], options);
}
