import { deadLetterHeaders, type DeadLetterRequest } from '@rxq/core';
import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SqsDelivery } from './delivery.js';

/** SQS allows at most ten message attributes per message. */
const MAX_ATTRIBUTES = 10;

/**
 * The attributes of a dead letter: every attribute of the original exactly as delivered (typed:
 * Binary values keep their bytes), then rxq's reason attributes, each on its own where ten still
 * fit, else together as one JSON `x-rxq-dead` attribute.
 */
export function deadLetterAttributes(
  original: Readonly<Record<string, MessageAttributeValue>>,
  rxq: Readonly<Record<string, string>>,
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const key in original) if (!(key in rxq)) out[key] = original[key]!;
  const own = Object.keys(out).length;
  if (own + Object.keys(rxq).length <= MAX_ATTRIBUTES) {
    for (const key in rxq) out[key] = { DataType: 'String', StringValue: rxq[key]! };
  } else {
    out['x-rxq-dead'] = { DataType: 'String', StringValue: JSON.stringify(rxq) };
  }
  return out;
}

/** Sends dead letters to the dead-letter queue, found (or created) on the first one. */
export class DeadLetters {
  private url: Promise<string> | undefined;

  constructor(
    private readonly client: SQSClient,
    private readonly queue: string,
    private readonly origin: string,
    private readonly fifo: boolean,
    private readonly create: boolean,
  ) {}

  async send(d: SqsDelivery, request: DeadLetterRequest): Promise<void> {
    const url = await this.queueUrl();
    const rxq = deadLetterHeaders(undefined, request, this.origin);
    const group = d.transport.attributes.MessageGroupId;
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: d.payload,
        MessageAttributes: deadLetterAttributes(d.transport.messageAttributes, rxq),
        // FIFO: the same group, and the message id as deduplication id, so that a dead letter sent
        // twice (a crash between the send and the delete) is stored once.
        ...(this.fifo
          ? { MessageGroupId: group ?? 'rxq', MessageDeduplicationId: `${d.transport.messageId}-dead` }
          : {}),
      }),
    );
  }

  private queueUrl(): Promise<string> {
    this.url ??= this.resolve().catch((error: unknown) => {
      this.url = undefined;
      throw error;
    });
    return this.url;
  }

  private async resolve(): Promise<string> {
    if (this.queue.includes('://')) return this.queue;
    try {
      const { QueueUrl } = await this.client.send(new GetQueueUrlCommand({ QueueName: this.queue }));
      if (QueueUrl) return QueueUrl;
    } catch (error) {
      if (!this.create || (error as Error).name !== 'QueueDoesNotExist') throw error;
    }
    const attributes: Record<string, string> = this.fifo ? { FifoQueue: 'true' } : {};
    const { QueueUrl } = await this.client.send(
      new CreateQueueCommand({ QueueName: this.queue, Attributes: attributes }),
    );
    return QueueUrl!;
  }
}
