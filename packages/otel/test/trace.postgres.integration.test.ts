import { randomUUID } from 'node:crypto';
import { ack, fromQueue, handle, silentLogger } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { migrate, pgQueue, pgTopic, publish, publishTopic } from '@rxq/postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traced } from '../src/index.js';
import { parentOf, registerTracing } from './otel.js';
import { traceScenario } from './scenario.js';

const { exporter, tracer } = registerTracing();
const { produce, scenario } = traceScenario(exporter, tracer);
const PG_URL = process.env.RXQ_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('one trace from the producer through the process span, on PostgreSQL', () => {
  const schema = `rxq_otel_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  beforeAll(async () => {
    await migrate({ connection: pool, schema });
  });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  it('pgQueue: publish carries the context by itself; a resend stays in the trace', async () => {
    exporter.reset();
    const queue = 'orders';
    const producers = {
      ok: await produce(() => publish(pool, queue, { name: 'ok' }, { schema })),
      flaky: await produce(() => publish(pool, queue, { name: 'flaky' }, { schema })),
    };
    const source = fromQueue<{ name: string }>(pgQueue(queue, { connection: pool, schema }), {
      logger: silentLogger,
    });
    await scenario(source, 'postgresql', producers);
  });

  it('pgTopic: a subscriber’s process span is in the publisher’s trace', async () => {
    exporter.reset();
    const topic = 'events';
    const producer = await produce(() => publishTopic(pool, topic, { name: 'ok' }, { schema }));
    const source = fromQueue<{ name: string }>(
      pgTopic(topic, { subscriber: 'billing', start: 'beginning', connection: pool, schema }),
      { logger: silentLogger },
    );
    await collectUntil(source.pipe(handle(traced(() => undefined)), ack()), (rs) => rs.length === 1);
    await source.stop();
    const [process] = exporter.getFinishedSpans().filter((s) => s.name === `process ${source.name}`);
    expect(process?.spanContext().traceId).toBe(producer.traceId);
    expect(parentOf(process!)).toBe(producer.spanId);
    expect(process?.attributes['messaging.system']).toBe('postgresql');
  });
});
