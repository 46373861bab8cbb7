import { randomUUID } from 'node:crypto';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ack, fromQueue, handle, silentLogger, type Message } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { kafka, publish } from '@rxq/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { expect, it } from 'vitest';
import { traced } from '../src/index.js';
import { parentOf, registerTracing } from './otel.js';
import { traceScenario } from './scenario.js';

const { exporter, tracer } = registerTracing();
const { produce, scenario } = traceScenario(exporter, tracer);
const BROKERS = ['127.0.0.1:9092'];

it('Kafka: one trace from the producer to the handler span, with partition, offset, key and group', async () => {
  const topic = `rxq-test-otel-${randomUUID().slice(0, 8)}`;
  const groupId = `${topic}-group`;
  const admin = new Kafka({ brokers: BROKERS, clientId: 'rxq-otel-test', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = tracer.startSpan('send', { kind: SpanKind.PRODUCER });
    await context.with(trace.setSpan(context.active(), producer), () =>
      publish(`kafka://${BROKERS[0]}`, topic, {
        key: 'customer-7',
        value: { card: '4242' },
        partition: 1,
      }),
    );
    producer.end();
    const source = fromQueue<{ card: string }>(
      kafka(topic, {
        brokers: BROKERS,
        groupId,
        fromBeginning: true,
        logLevel: logLevel.NOTHING,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 300,
        rebalanceTimeoutMs: 6_000,
        fetchMaxWaitMs: 100,
      }),
      { logger: silentLogger },
    );
    await collectUntil(
      source.pipe(
        handle(
          traced(
            async (m: Message<{ card: string }>) => {
              await Promise.resolve();
              tracer.startActiveSpan('db', (span) => span.end());
              return m.id;
            },
            { consumerGroup: groupId },
          ),
        ),
        ack(),
      ),
      (records) => records.length === 1,
    );
    await source.stop();
    const [process] = exporter.getFinishedSpans().filter((s) => s.name === `process ${topic}`);
    const [db] = exporter.getFinishedSpans().filter((s) => s.name === 'db');
    expect(process?.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(parentOf(process!)).toBe(producer.spanContext().spanId);
    expect(parentOf(db!)).toBe(process?.spanContext().spanId);
    expect(process?.status.code).toBe(SpanStatusCode.UNSET);
    expect(process?.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
      'messaging.consumer.group.name': groupId,
      'messaging.destination.partition.id': '1',
      'messaging.kafka.offset': 0,
      'messaging.kafka.message.key': 'customer-7',
      'rxq.attempt': 1,
    });
    expect(JSON.stringify(process?.attributes)).not.toContain('4242');
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});

it('Kafka: the shared scenario; a resend stays in the trace and the metrics match the run', async () => {
  exporter.reset();
  const topic = `rxq-test-otel-${randomUUID().slice(0, 8)}`;
  const groupId = `${topic}-group`;
  const url = `kafka://${BROKERS[0]}`;
  const admin = new Kafka({ brokers: BROKERS, clientId: 'rxq-otel-test', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producers = {
      ok: await produce(() => publish(url, topic, { value: { name: 'ok' } })),
      flaky: await produce(() => publish(url, topic, { value: { name: 'flaky' } })),
    };
    const source = fromQueue<{ name: string }>(
      kafka(topic, {
        brokers: BROKERS,
        groupId,
        fromBeginning: true,
        logLevel: logLevel.NOTHING,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 300,
        rebalanceTimeoutMs: 6_000,
        fetchMaxWaitMs: 100,
      }),
      { logger: silentLogger },
    );
    await scenario(source, 'kafka', producers);
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});
