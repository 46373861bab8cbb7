import { randomUUID } from 'node:crypto';
import { ack, fromQueue, handle, retryWithResend, silentLogger } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { amqp, publish as amqpPublish } from '@rxq/amqp';
import {
  publish as redisPublish,
  publishToStream,
  readListEntry,
  redis,
  redisSimpleList,
  redisStream,
} from '@rxq/redis';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { traced } from '../src/index.js';
import { parentOf, registerTracing } from './otel.js';
import { traceScenario } from './scenario.js';

const { exporter, tracer } = registerTracing();
const { produce, scenario } = traceScenario(exporter, tracer);
const REDIS_URL = 'redis://127.0.0.1:6379';
const AMQP_URL = process.env.RXQ_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

describe('one trace from the producer through the process span, on real brokers', () => {
  const admin = new Redis(REDIS_URL, { connectionName: 'rxq-otel-test' });
  const stem = `rxq-test:otel:${randomUUID().slice(0, 8)}`;
  afterAll(async () => {
    const keys = (await admin.scan('0', 'MATCH', `${stem}*`, 'COUNT', 10_000))[1];
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('Redis reliable list: publish with headers carries the context by itself; a resend stays in the trace', async () => {
    exporter.reset();
    const queue = `${stem}:orders`;
    const producers = {
      ok: await produce(() => redisPublish(admin, queue, { name: 'ok' }, { headers: { tenant: 'acme' } })),
      flaky: await produce(() => redisPublish(admin, queue, { name: 'flaky' }, { headers: {} })),
    };
    // The list holds rxq's envelope with the W3C header beside the caller's (a plain RPUSH would hold none).
    const [entry] = await admin.lrangeBuffer(queue, 0, 0);
    expect(readListEntry(entry!).headers).toMatchObject({ tenant: 'acme' });
    expect(readListEntry(entry!).headers?.traceparent).toContain(producers.ok.traceId);
    const source = fromQueue<{ name: string }>(redis(queue, { connection: REDIS_URL }), { logger: silentLogger });
    await scenario(source, 'redis', producers);
  });

  it('Redis list: a publish without headers stays the plain body inside a span (what any consumer reads)', async () => {
    const queue = `${stem}:plain-publish`;
    await produce(() => redisPublish(admin, queue, { name: 'plain' }));
    const [entry] = await admin.lrangeBuffer(queue, 0, 0);
    expect(entry?.toString()).toBe(JSON.stringify({ name: 'plain' }));
  });

  it('Redis stream: publishToStream carries the context by itself; the group on the span', async () => {
    exporter.reset();
    const stream = `${stem}:events`;
    const group = 'billing';
    const producer = await produce(() => publishToStream(admin, stream, { name: 'ok' }));
    const source = fromQueue<{ name: string }>(
      redisStream(stream, { connection: REDIS_URL, group, start: 'beginning' }),
      {
        logger: silentLogger,
      },
    );
    await collectUntil(
      source.pipe(handle(traced(() => undefined, { consumerGroup: group })), ack()),
      (rs) => rs.length === 1,
    );
    await source.stop();
    const [process] = exporter.getFinishedSpans().filter((s) => s.name === `process ${stream}`);
    expect(process?.spanContext().traceId).toBe(producer.traceId);
    expect(parentOf(process!)).toBe(producer.spanId);
    expect(process?.attributes).toMatchObject({ 'messaging.system': 'redis', 'messaging.consumer.group.name': group });
  });

  it('Redis simple list: a plain RPUSH carries no headers, so its span starts a new trace', async () => {
    exporter.reset();
    const queue = `${stem}:plain`;
    await admin.rpush(queue, JSON.stringify({ name: 'plain' }));
    const source = fromQueue<{ name: string }>(redisSimpleList(queue, { connection: REDIS_URL }), {
      logger: silentLogger,
    });
    await collectUntil(source.pipe(handle(traced(() => undefined)), ack()), (rs) => rs.length === 1);
    await source.stop();
    const [process] = exporter.getFinishedSpans().filter((s) => s.name === `process ${queue}`);
    expect(process).toBeDefined();
    expect(parentOf(process!)).toBeUndefined();
    expect(process?.attributes['messaging.system']).toBe('redis');
  });

  it('RabbitMQ: publish carries the context by itself; a resend and a dead letter stay in the trace', async () => {
    exporter.reset();
    const queue = `rxq.test.otel.${randomUUID().slice(0, 8)}`;
    const connection = await connect(AMQP_URL);
    const channel = await connection.createChannel();
    await channel.assertQueue(queue, { durable: true });
    const connector = amqp(queue, { connection: AMQP_URL });
    try {
      const producers = {
        ok: await produce(() => amqpPublish(connection, queue, { name: 'ok' })),
        flaky: await produce(() => amqpPublish(connection, queue, { name: 'flaky' })),
      };
      await scenario(fromQueue<{ name: string }>(connector, { logger: silentLogger }), 'rabbitmq', producers);

      // A dead letter keeps the producer's traceparent.
      const doomed = await produce(() => amqpPublish(connection, queue, { name: 'doomed' }));
      const source = fromQueue<{ name: string }>(connector, { logger: silentLogger });
      await collectUntil(
        source.pipe(
          handle(
            traced(() => {
              throw new Error('never');
            }),
          ),
          retryWithResend({ maxAttempts: 1 }),
          ack(),
        ),
        (rs) => rs.some((r) => r.settlement === 'dead-lettered'),
      );
      await source.stop();
      let letter: Awaited<ReturnType<typeof channel.get>> = false;
      // Bounded poll: the dead letter is written as the source settles.
      for (let i = 0; i < 50 && letter === false; i++) {
        letter = await channel.get(connector.deadLetterQueue, { noAck: true });
        if (letter === false) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(letter && String(letter.properties.headers?.traceparent)).toContain(doomed.traceId);
    } finally {
      for (const name of new Set([queue, connector.deadLetterQueue, ...connector.delayQueues]))
        await channel.deleteQueue(name).catch(() => undefined);
      await connection.close();
    }
  });
});
