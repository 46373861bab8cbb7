import { randomUUID } from 'node:crypto';
import { text } from '@rxq/core';
import type { ContractHarness, DeadLetterView } from '@rxq/core/testing';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message as SqsMessage,
} from '@aws-sdk/client-sqs';
import { publishMany, sqs, type SqsConnector, type SqsOptions } from '../src/index.js';

export const ENDPOINT = process.env.RXQ_SQS_ENDPOINT ?? 'http://127.0.0.1:9324';
export const CLIENT_CONFIG = {
  endpoint: ENDPOINT,
  region: 'elasticmq',
  credentials: { accessKeyId: 'rxq', secretAccessKey: 'rxq' },
};

/** A queue name no other test uses. */
export const uniqueQueue = (label: string, fifo = false): string =>
  `rxq-test-${label}-${randomUUID().slice(0, 8)}${fifo ? '.fifo' : ''}`;

/** A queue of this test's own, with ways to inspect it and a cleanup of everything it made. */
export interface TestQueue {
  readonly queue: string;
  readonly url: string;
  readonly client: SQSClient;
  connector(options?: SqsOptions): SqsConnector;
  send(bodies: readonly unknown[]): Promise<void>;
  /** Visible and in-flight (not visible) message counts of `name` (default this queue). */
  counts(name?: string): Promise<{ visible: number; inFlight: number; delayed: number }>;
  /** Every visible message of `name`, received (they come back after 30 s, or when the queue is deleted). */
  drain(name: string): Promise<SqsMessage[]>;
  close(): Promise<void>;
}

export async function testQueue(label: string, fifo = false): Promise<TestQueue> {
  const queue = uniqueQueue(label, fifo);
  const client = new SQSClient(CLIENT_CONFIG);
  const { QueueUrl } = await client.send(
    new CreateQueueCommand({ QueueName: queue, Attributes: fifo ? { FifoQueue: 'true' } : {} }),
  );
  const url = QueueUrl!;
  const urlOf = async (name: string) => (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
  const connectors: SqsConnector[] = [];
  return {
    queue,
    url,
    client,
    connector(options = {}) {
      const c = sqs(queue, { clientConfig: CLIENT_CONFIG, waitTimeSeconds: 1, ...options });
      connectors.push(c);
      return c;
    },
    send: (bodies) => publishMany(client, url, bodies),
    async counts(name = queue) {
      const { Attributes = {} } = await client.send(
        new GetQueueAttributesCommand({ QueueUrl: await urlOf(name), AttributeNames: ['All'] }),
      );
      return {
        visible: Number(Attributes.ApproximateNumberOfMessages),
        inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
        delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed),
      };
    },
    async drain(name) {
      const target = await urlOf(name).catch(() => undefined);
      if (!target) return [];
      const out: SqsMessage[] = [];
      for (;;) {
        const { Messages = [] } = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: target,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            VisibilityTimeout: 30,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
          }),
        );
        if (Messages.length === 0) return out;
        out.push(...Messages);
      }
    },
    async close() {
      const names = new Set([queue, `${queue.replace(/\.fifo$/, '')}-dead${fifo ? '.fifo' : ''}`]);
      for (const c of connectors) if (c.deadLetterQueue !== 'redrive') names.add(c.deadLetterQueue);
      for (const name of names) {
        const target = await urlOf(name).catch(() => undefined);
        if (target) await client.send(new DeleteQueueCommand({ QueueUrl: target })).catch(() => undefined);
      }
      client.destroy();
    },
  };
}

/** The contract suite's harness over a {@link TestQueue}. */
/**
 * SQS bodies are Unicode text of at least one character, without NUL or lone surrogates: no
 * producer can send the contract's empty or byte payloads. Each is sent as the nearest text that
 * still fails to decode as JSON.
 */
function asSqsBody(payload: string | Uint8Array): string {
  if (typeof payload === 'string') return payload.length === 0 ? ' ' : payload;
  return Array.from(payload, (b) => (b === 0 ? '\ufffd' : String.fromCharCode(b))).join('');
}

export async function contractHarness(fifo = false, options: SqsOptions = {}): Promise<ContractHarness> {
  const t = await testQueue(fifo ? 'contract-fifo' : 'contract', fifo);
  const dead = `${t.queue.replace(/\.fifo$/, '')}-dead${fifo ? '.fifo' : ''}`;
  return {
    connector: () => t.connector(options),
    publish: (bodies) => t.send(bodies),
    publishRaw: (payloads) => publishMany(t.client, t.url, payloads.map(asSqsBody), { codec: text }),
    deadLetters: async (): Promise<DeadLetterView[]> =>
      (await t.drain(dead)).map((m) => ({
        raw: m.Body,
        reason: m.MessageAttributes?.['x-rxq-dead-reason']?.StringValue ?? '',
        errorMessage: m.MessageAttributes?.['x-rxq-error-message']?.StringValue,
      })),
    close: () => t.close(),
  };
}
