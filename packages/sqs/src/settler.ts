import { RxqError } from '@rxq/core';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type BatchResultErrorEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { batcher, type Batcher } from '@rxq/core/kit';
import type { SqsDelivery } from './delivery.js';
import { sqsError } from './errors.js';

interface VisibilityChange {
  readonly d: SqsDelivery;
  readonly seconds: number;
}

/**
 * Each batch goes as soon as it is full or at the end of the event-loop turn, without waiting for
 * the one before: a settlement is at the server one round trip after it was made, however many
 * are being written, so what a crash leaves handled but not deleted stays small.
 */
const EACH_TEN = { maxSize: 10, mode: 'parallel' } as const;

/**
 * Settlements in batches of ten (the SQS maximum): deletes (`DeleteMessageBatch`) and visibility
 * changes (`ChangeMessageVisibilityBatch`: 0 to give a message back at once, more to resend it
 * after a delay, the timeout again to extend it). Entries the server refused fail their batch.
 */
export class Settler {
  private readonly deletes: Batcher<SqsDelivery>;
  private readonly changes: Batcher<VisibilityChange>;

  constructor(client: SQSClient, queueUrl: string) {
    this.deletes = batcher<SqsDelivery>({
      ...EACH_TEN,
      flush: async (ds) => {
        const reply = await client
          .send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: ds.map((d, i) => ({ Id: String(i), ReceiptHandle: d.transport.receiptHandle })),
            }),
          )
          .catch((error: unknown) => {
            throw sqsError('deleting messages', error);
          });
        refused('deleting', reply.Failed);
      },
    });
    this.changes = batcher<VisibilityChange>({
      ...EACH_TEN,
      flush: async (cs) => {
        const reply = await client
          .send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: queueUrl,
              Entries: cs.map((c, i) => ({
                Id: String(i),
                ReceiptHandle: c.d.transport.receiptHandle,
                VisibilityTimeout: c.seconds,
              })),
            }),
          )
          .catch((error: unknown) => {
            throw sqsError('changing the visibility of messages', error);
          });
        refused('changing the visibility of', reply.Failed);
      },
    });
  }

  delete(d: SqsDelivery): Promise<void> {
    return this.deletes.add(d);
  }

  /** Visible again after `seconds` (0: at once; at most 12 hours). */
  changeVisibility(d: SqsDelivery, seconds: number): Promise<void> {
    return this.changes.add({ d, seconds: Math.min(43_200, Math.max(0, Math.ceil(seconds))) });
  }

  async flush(): Promise<void> {
    await Promise.all([this.deletes.flush(), this.changes.flush()]);
  }
}

function refused(what: string, failed: readonly BatchResultErrorEntry[] | undefined): void {
  if (!failed || failed.length === 0) return;
  const codes = [...new Set(failed.map((f) => f.Code))].join(', ');
  throw new RxqError('SETTLE_FAILED', `sqs: ${what} ${failed.length} message(s) was refused: ${codes}`, {
    retryable: true,
  });
}
