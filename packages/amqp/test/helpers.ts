import { randomUUID } from 'node:crypto';
import { text } from '@rxq/core';
import type { ContractHarness, DeadLetterView } from '@rxq/core/testing';
import { connect, type ChannelModel, type GetMessage } from 'amqplib';
import {
  amqp,
  publishMany,
  type AmqpConnectionOption,
  type AmqpConnector,
  type AmqpOptions,
  type AmqpQueueType,
} from '../src/index.js';

export const BROKER_URL = process.env.RXQ_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A queue name no other test uses. */
export const uniqueQueue = (label: string): string => `rxq.test.${label}.${randomUUID().slice(0, 8)}`;

/** A queue of this test's own, with ways to inspect it and a cleanup of everything it made. */
export interface TestQueue {
  readonly queue: string;
  readonly admin: ChannelModel;
  readonly connectors: AmqpConnector[];
  connector(options?: AmqpOptions): AmqpConnector;
  /** Ready messages in the queue (not counting unacked ones). */
  ready(name?: string): Promise<number>;
  /** Every message in `name`, taken with basic.get and given back by closing the channel. */
  peek(name: string): Promise<GetMessage[]>;
  close(): Promise<void>;
}

/** Where a {@link testQueue} lives: the broker its harness connection uses, and its connectors'. */
export interface QueuePlacement {
  /** The harness's own connection (declare, inspect, publish, clean up). @default BROKER_URL */
  readonly adminUrl?: string;
  /** The connectors' `connection`. @default BROKER_URL */
  readonly connection?: AmqpConnectionOption;
}

export async function testQueue(
  label: string,
  queueType: AmqpQueueType = 'classic',
  placement: QueuePlacement = {},
): Promise<TestQueue> {
  const queue = uniqueQueue(label);
  const connection = placement.connection ?? BROKER_URL;
  const admin = await connect(placement.adminUrl ?? BROKER_URL);
  admin.on('error', () => undefined);
  const setup = await admin.createChannel();
  await setup.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': queueType } });
  await setup.close();
  const connectors: AmqpConnector[] = [];
  const onChannel = async <R>(use: (ch: Awaited<ReturnType<ChannelModel['createChannel']>>) => Promise<R>) => {
    const ch = await admin.createChannel();
    ch.on('error', () => undefined);
    try {
      return await use(ch);
    } finally {
      await ch.close().catch(() => undefined);
    }
  };
  return {
    queue,
    admin,
    connectors,
    connector(options = {}) {
      const c = amqp(queue, { connection, queueType, ...options });
      connectors.push(c);
      return c;
    },
    ready: (name = queue) => onChannel(async (ch) => (await ch.checkQueue(name)).messageCount),
    peek: (name) =>
      onChannel(async (ch) => {
        const out: GetMessage[] = [];
        for (let m = await ch.get(name); m !== false; m = await ch.get(name)) out.push(m);
        return out;
      }).catch(() => []),
    async close() {
      const names = new Set([queue, `${queue}.dead`]);
      for (const c of connectors) {
        names.add(c.deadLetterQueue);
        for (const d of c.delayQueues) names.add(d);
      }
      await onChannel(async (ch) => {
        for (const name of names) await ch.deleteQueue(name);
      });
      await admin.close();
    },
  };
}

/** The contract suite's harness over a {@link TestQueue}. */
export async function contractHarness(
  queueType: AmqpQueueType,
  placement: QueuePlacement = {},
): Promise<ContractHarness> {
  const t = await testQueue(`contract.${queueType}`, queueType, placement);
  return {
    connector: () => t.connector(),
    publish: (bodies) => publishMany(t.admin, t.queue, bodies),
    publishRaw: (payloads) => publishMany(t.admin, t.queue, payloads, { codec: text }),
    deadLetters: async (): Promise<DeadLetterView[]> =>
      (await t.peek(`${t.queue}.dead`)).map((m) => ({
        raw: m.content,
        reason: String(m.properties.headers?.['x-rxq-dead-reason']),
        errorMessage: m.properties.headers?.['x-rxq-error-message'] as string | undefined,
      })),
    close: () => t.close(),
  };
}
