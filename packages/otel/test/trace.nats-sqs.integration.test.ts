import { randomUUID } from 'node:crypto';
import { SpanStatusCode } from '@opentelemetry/api';
import { ack, fromQueue, handle, silentLogger, text } from '@rxq/core';
import { nats, publish as natsPublish } from '@rxq/nats';
import { publish as sqsPublish, sqs } from '@rxq/sqs';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { traced } from '../src/index.js';
import { parentOf, registerTracing } from './otel.js';
import { traceScenario } from './scenario.js';
import { until } from '@rxq/core/testing';

const { exporter, tracer } = registerTracing();
const { produce, scenario } = traceScenario(exporter, tracer);
const NATS_SERVER = process.env.RXQ_NATS_URL ?? '127.0.0.1:4222';
const SQS_CONFIG = {
  endpoint: process.env.RXQ_SQS_ENDPOINT ?? 'http://127.0.0.1:9324',
  region: 'elasticmq',
  credentials: { accessKeyId: 'rxq', secretAccessKey: 'rxq' },
};

/** The poison span of `source`: in the producer's trace, with the reason and not a byte of the body. */
async function expectPoisonSpan(
  spans: InMemorySpanExporter,
  source: string,
  system: string,
  producer: { traceId: string; spanId: string },
) {
  await until(() => spans.getFinishedSpans().some((s) => s.name === `settle ${source}`), { timeoutMs: 20_000 });
  const poison = spans.getFinishedSpans().find((s) => s.name === `settle ${source}`)!;
  expect(poison.spanContext().traceId).toBe(producer.traceId);
  expect(parentOf(poison)).toBe(producer.spanId);
  expect(poison.attributes).toMatchObject({
    'messaging.system': system,
    'messaging.operation.name': 'dead_letter',
    'rxq.dead_letter.reason': 'decode',
    'error.type': 'DecodeError',
  });
  expect(poison.status.code).toBe(SpanStatusCode.ERROR);
  expect(JSON.stringify([poison.attributes, poison.events, poison.status])).not.toContain('card-4242');
}

describe('one trace from the producer through the process span, on NATS JetStream and SQS', () => {
  it('NATS: publish carries the context by itself; a resend (nak) stays in the trace; a poison body is a span', async () => {
    exporter.reset();
    const stream = `RXQ_T_otel_${randomUUID().slice(0, 8)}`;
    const subject = `${stream}.in`;
    const nc = await connect({ servers: NATS_SERVER, name: `rxq-test:${stream}` });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], storage: StorageType.File });
    const connector = nats(stream, { connection: NATS_SERVER, ackWaitMs: 5_000 });
    try {
      const producers = {
        ok: await produce(() => natsPublish(nc, subject, { name: 'ok' })),
        flaky: await produce(() => natsPublish(nc, subject, { name: 'flaky' })),
      };
      const source = fromQueue<{ name: string }>(connector, { logger: silentLogger });
      expect(source.system).toBe('nats');
      await scenario(source, 'nats', producers);

      exporter.reset();
      const poisoned = await produce(() => natsPublish(nc, subject, '{"card-4242": broken', { codec: text }));
      const again = fromQueue<{ name: string }>(connector, { logger: silentLogger });
      const handled: unknown[] = [];
      const subscription = again.pipe(handle(traced((m) => void handled.push(m.body))), ack()).subscribe();
      await expectPoisonSpan(exporter, stream, 'nats', poisoned);
      await again.stop();
      subscription.unsubscribe();
      expect(handled).toEqual([]);
    } finally {
      for (const name of [stream, connector.deadLetterStream].filter((n): n is string => n !== undefined))
        await jsm.streams.delete(name).catch(() => undefined);
      await nc.close();
    }
  });

  it('SQS: publish carries the context in message attributes; a resend stays in the trace; a poison body is a span', async () => {
    exporter.reset();
    const queue = `rxq-test-otel-${randomUUID().slice(0, 8)}`;
    const client = new SQSClient(SQS_CONFIG);
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: queue }));
    const url = QueueUrl!;
    const connector = sqs(queue, { clientConfig: SQS_CONFIG, waitTimeSeconds: 1 });
    try {
      const producers = {
        ok: await produce(() => sqsPublish(client, url, { name: 'ok' }, { attributes: { tenant: 'acme' } })),
        flaky: await produce(() => sqsPublish(client, url, { name: 'flaky' })),
      };
      const source = fromQueue<{ name: string }>(connector, { logger: silentLogger });
      expect(source.system).toBe('aws_sqs');
      await scenario(source, 'aws_sqs', producers);

      // Ten attributes of the caller's leave no room (SQS takes ten): the message goes without the context.
      const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, String(i)]));
      await produce(() => sqsPublish(client, url, { name: 'full' }, { attributes: ten }));
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5, MessageAttributeNames: ['All'] }),
      );
      expect(Object.keys(Messages[0]?.MessageAttributes ?? {}).sort()).toEqual(Object.keys(ten).sort());
      await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: Messages[0]!.ReceiptHandle! }));

      exporter.reset();
      const poisoned = await produce(() => sqsPublish(client, url, '{"card-4242": broken', { codec: text }));
      const again = fromQueue<{ name: string }>(connector, { logger: silentLogger });
      const handled: unknown[] = [];
      const subscription = again.pipe(handle(traced((m) => void handled.push(m.body))), ack()).subscribe();
      await expectPoisonSpan(exporter, queue, 'aws_sqs', poisoned);
      await again.stop();
      subscription.unsubscribe();
      expect(handled).toEqual([]);
    } finally {
      for (const name of [queue, `${queue}-dead`]) {
        const target = await client
          .send(new GetQueueUrlCommand({ QueueName: name }))
          .then((r) => r.QueueUrl)
          .catch(() => undefined);
        if (target) await client.send(new DeleteQueueCommand({ QueueUrl: target })).catch(() => undefined);
      }
      client.destroy();
    }
  });
});
