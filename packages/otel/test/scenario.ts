import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { ack, fixed, handle, retryWithResend, type Message, type QueueObservable } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { expect } from 'vitest';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { instrumentMetrics, traced } from '../src/index.js';
import { meterWithReader } from './metricReader.js';
import { parentOf } from './otel.js';

/** The producer-to-handler trace scenario every broker's trace test runs. */
export function traceScenario(exporter: InMemorySpanExporter, tracer: Tracer) {
  /**
   * Publishes inside a producer span, with no trace headers of its own: the publish helper adds
   * the span's context (`@rxq/otel` installed itself on import).
   */
  async function produce(publish: () => Promise<unknown>) {
    const producer = tracer.startSpan('send', { kind: SpanKind.PRODUCER });
    await context.with(trace.setSpan(context.active(), producer), publish);
    producer.end();
    return producer.spanContext();
  }

  /**
   * Two messages: `ok` is handled at once; `flaky` fails on its first attempt and is resent. Every
   * process span, and the span the handler makes, must be in its producer's trace.
   */
  async function scenario(
    source: QueueObservable<{ name: string }>,
    system: string,
    producers: Record<'ok' | 'flaky', { traceId: string; spanId: string }>,
  ) {
    const { meter, points, shutdown } = meterWithReader();
    // No system given: the source's connector tells it.
    const metrics = instrumentMetrics(source, { meter });
    const records = await collectUntil(
      source.pipe(
        handle(
          traced(async (m: Message<{ name: string }>) => {
            tracer.startActiveSpan(`db ${m.body.name}`, (span) => span.end());
            if (m.body.name === 'flaky' && m.attempt === 1) throw new Error('flaky once');
          }),
          { concurrency: 2 },
        ),
        retryWithResend({ maxAttempts: 3, backoff: fixed() }),
        ack(),
        metrics.record,
      ),
      (rs) => rs.filter((r) => r.settlement === 'acked').length === 2,
    );
    await source.stop();
    expect(records.map((r) => r.settlement).sort()).toEqual(['acked', 'acked', 'resent']);
    // The metrics of this known run: three deliveries (one a retry), two acked, one resent.
    const series = { 'messaging.system': system, 'messaging.destination.name': source.name };
    const value = async (name: string) => {
      const found = await points(name);
      expect(found.map((p) => p.attributes)).toEqual([series]);
      return found[0]?.value;
    };
    expect(await value('messaging.client.consumed.messages')).toBe(3);
    expect(await value('rxq.messages.acked')).toBe(2);
    expect(await value('rxq.messages.resent')).toBe(1);
    expect(await value('rxq.messages.dead_lettered')).toBe(0);
    expect(await value('rxq.messages.in_flight')).toBe(0);
    const durations = await points('messaging.process.duration');
    expect(durations.reduce((n, p) => n + (p.value as Histogram).count, 0)).toBe(3);
    metrics.close();
    await shutdown();
    const spans = exporter.getFinishedSpans();
    for (const name of ['ok', 'flaky'] as const) {
      const producer = producers[name];
      const processes = spans.filter(
        (s) => s.name === `process ${source.name}` && s.spanContext().traceId === producer.traceId,
      );
      const dbs = spans.filter((s) => s.name === `db ${name}`);
      expect(processes.map((s) => s.attributes['rxq.attempt'])).toEqual(name === 'ok' ? [1] : [1, 2]);
      for (const process of processes) {
        expect(parentOf(process)).toBe(producer.spanId);
        expect(process.attributes['messaging.system']).toBe(system);
        expect(process.attributes['messaging.destination.name']).toBe(source.name);
      }
      expect(dbs).toHaveLength(processes.length);
      for (const db of dbs) {
        expect(db.spanContext().traceId).toBe(producer.traceId);
        expect(processes.map((p) => p.spanContext().spanId)).toContain(parentOf(db));
      }
      const statuses = processes.map((p) => p.status.code);
      expect(statuses).toEqual(name === 'ok' ? [SpanStatusCode.UNSET] : [SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
    }
  }

  return { produce, scenario };
}
