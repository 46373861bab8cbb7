import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ack, chunk, fixed, fromQueue, handle, retryWithResend, silentLogger, type Message } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { memory, MemoryQueue, type DeadLetter } from '@rxq/memory';
import { describe, expect, it } from 'vitest';
import { injectTraceContext, traced, tracedAck, tracedSend } from '../src/index.js';
import { parentOf, registerTracing } from './otel.js';

const { exporter, tracer } = registerTracing();

/** Pushes `body` inside a producer span; returns that span's context. */
function produce<T>(queue: MemoryQueue<T>, body: T): { traceId: string; spanId: string } {
  const producer = tracer.startSpan('send orders', { kind: SpanKind.PRODUCER });
  context.with(trace.setSpan(context.active(), producer), () => queue.push(body, { headers: injectTraceContext() }));
  producer.end();
  return producer.spanContext();
}

const spansNamed = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);

describe('traced on the memory queue', () => {
  it('one trace: producer span → process span → a span made inside the handler', async () => {
    exporter.reset();
    const queue = new MemoryQueue<{ secret: string }>();
    const producer = produce(queue, { secret: 'card 4242' });
    const source = fromQueue(memory(queue, { name: 'orders', pollMs: 20 }), { logger: silentLogger });
    await collectUntil(
      source.pipe(
        handle(
          traced(async () => {
            await new Promise((resolve) => setTimeout(resolve, 5)); // the context survives an await
            tracer.startActiveSpan('db insert', (span) => span.end());
          }),
        ),
        ack(),
      ),
      (records) => records.length === 1,
    );
    const [process] = spansNamed('process orders');
    const [db] = spansNamed('db insert');
    expect(process?.kind).toBe(SpanKind.CONSUMER);
    expect(process?.spanContext().traceId).toBe(producer.traceId);
    expect(parentOf(process!)).toBe(producer.spanId);
    expect(db?.spanContext().traceId).toBe(producer.traceId);
    expect(parentOf(db!)).toBe(process?.spanContext().spanId);
    expect(process?.status.code).toBe(SpanStatusCode.UNSET);
    expect(process?.attributes).toMatchObject({
      'messaging.system': 'rxq',
      'messaging.destination.name': 'orders',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'rxq.attempt': 1,
    });
    expect(typeof process?.attributes['messaging.message.id']).toBe('string');
    // Nothing of the body anywhere in the span.
    expect(JSON.stringify([process?.attributes, process?.events])).not.toContain('4242');
  });

  it('a failing handler marks its span as error; the resend and the dead letter stay in the trace', async () => {
    exporter.reset();
    const queue = new MemoryQueue<number>();
    const deadLetter = new MemoryQueue<DeadLetter<number>>();
    const producer = produce(queue, 1);
    const source = fromQueue(memory(queue, { name: 'failing', pollMs: 20, deadLetter }), { logger: silentLogger });
    await collectUntil(
      source.pipe(
        handle(
          traced(
            () => {
              throw new TypeError('no stock');
            },
            { system: 'shop' },
          ),
        ),
        retryWithResend({ maxAttempts: 2, backoff: fixed() }),
        ack(),
      ),
      () => deadLetter.size === 1,
    );
    const spans = spansNamed('process failing');
    expect(spans.map((s) => s.attributes['rxq.attempt'])).toEqual([1, 2]);
    for (const span of spans) {
      expect(span.spanContext().traceId).toBe(producer.traceId);
      expect(parentOf(span)).toBe(producer.spanId);
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'TypeError: no stock' });
      expect(span.attributes['error.type']).toBe('TypeError');
      expect(span.attributes['messaging.system']).toBe('shop');
      expect(span.events.map((e) => e.name)).toContain('exception');
    }
    const [letter] = await deadLetter.pullMany(1);
    expect(letter?.headers.traceparent).toContain(producer.traceId);
  });

  it('a chunk batch is one span linked to each message’s producer', async () => {
    exporter.reset();
    const queue = new MemoryQueue<number>();
    const producers = [produce(queue, 1), produce(queue, 2), produce(queue, 3)];
    const source = fromQueue(memory(queue, { name: 'batched', pollMs: 20 }), { logger: silentLogger });
    await collectUntil(
      source.pipe(
        chunk({ size: 3, maxWaitMs: 1_000 }),
        handle(traced((batch: readonly Message<number>[]) => batch.length)),
        ack(),
      ),
      (records) => records.length === 3,
    );
    const [span] = spansNamed('process batched');
    expect(spansNamed('process batched')).toHaveLength(1);
    expect(span?.attributes['messaging.batch.message_count']).toBe(3);
    expect(span?.links.map((l) => l.context.spanId)).toEqual(producers.map((p) => p.spanId));
    expect(span?.links.map((l) => l.context.traceId)).toEqual(producers.map((p) => p.traceId));
  });

  it('a message without trace headers starts a new trace; an Observable handler is traced until it completes', async () => {
    exporter.reset();
    const queue = new MemoryQueue<number>();
    queue.push(5);
    const source = fromQueue(memory(queue, { name: 'plain', pollMs: 20 }), { logger: silentLogger });
    const { Observable } = await import('rxjs');
    await collectUntil(
      source.pipe(
        handle(
          traced(
            () =>
              new Observable<number>((subscriber) => {
                tracer.startActiveSpan('inner', (span) => span.end());
                setTimeout(() => {
                  subscriber.next(1);
                  subscriber.complete();
                }, 5);
              }),
          ),
        ),
        ack(),
      ),
      (records) => records.length === 1,
    );
    const [process] = spansNamed('process plain');
    const [inner] = spansNamed('inner');
    expect(parentOf(process!)).toBeUndefined();
    expect(parentOf(inner!)).toBe(process?.spanContext().spanId);
    expect(process!.duration[1] + process!.duration[0] * 1e9).toBeGreaterThanOrEqual(4_000_000);
  });

  it('tracedAck: each settlement is a settle span in the producer trace, a dead letter with status error', async () => {
    exporter.reset();
    const queue = new MemoryQueue<number>();
    const good = produce(queue, 1);
    const bad = produce(queue, 2);
    const source = fromQueue(memory(queue, { name: 'settled', pollMs: 20 }), { logger: silentLogger });
    await collectUntil(
      source.pipe(
        handle(
          traced((m: Message<number>) => {
            if (m.body === 2) throw new RangeError('bad');
          }),
        ),
        retryWithResend({ maxAttempts: 2, backoff: fixed() }),
        tracedAck(),
      ),
      (records) => records.length === 3,
    );
    const settles = exporter.getFinishedSpans().filter((s) => s.name === 'settle settled');
    const of = (traceId: string) =>
      settles
        .filter((s) => s.spanContext().traceId === traceId)
        .map((s) => [s.attributes['messaging.operation.name'], s.attributes['rxq.attempt'], s.status.code]);
    expect(of(good.traceId)).toEqual([['ack', 1, SpanStatusCode.UNSET]]);
    expect(of(bad.traceId)).toEqual([
      ['resend', 1, SpanStatusCode.UNSET],
      ['dead_letter', 2, SpanStatusCode.ERROR],
    ]);
    for (const s of settles) {
      expect(s.attributes['messaging.operation.type']).toBe('settle');
      expect([good.spanId, bad.spanId]).toContain(parentOf(s));
    }
    expect(settles.find((s) => s.attributes['rxq.settlement'] === 'dead-lettered')?.attributes['error.type']).toBe(
      'RangeError',
    );
  });

  it('tracedSend: a send span around a publish, parent of the process span; a failed publish is an error', async () => {
    exporter.reset();
    const queue = new MemoryQueue<number>();
    const request = tracer.startSpan('POST /orders');
    await context.with(trace.setSpan(context.active(), request), () =>
      tracedSend('sent', (headers) => queue.push(1, { headers: { ...headers } }), {
        headers: { tenant: 'acme' },
        system: 'memory',
      }),
    );
    request.end();
    const source = fromQueue(memory(queue, { name: 'sent', pollMs: 20 }), { logger: silentLogger });
    let tenant: string | undefined;
    await collectUntil(
      source.pipe(handle(traced((m: Message<number>) => void (tenant = m.headers.tenant))), ack()),
      (records) => records.length === 1,
    );
    expect(tenant).toBe('acme');
    await expect(
      tracedSend('sent', () => {
        throw new TypeError('broker said no');
      }),
    ).rejects.toThrow('broker said no');
    const sends = spansNamed('send sent');
    expect(sends).toHaveLength(2);
    expect(sends[0]?.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(sends[0]!)).toBe(request.spanContext().spanId);
    expect(sends[0]?.attributes).toMatchObject({
      'messaging.system': 'memory',
      'messaging.destination.name': 'sent',
      'messaging.operation.type': 'send',
    });
    expect(sends[1]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'TypeError: broker said no' });
    const [process] = spansNamed('process sent');
    expect(parentOf(process!)).toBe(sends[0]?.spanContext().spanId);
    expect(process?.spanContext().traceId).toBe(request.spanContext().traceId);
  });

  it('rejects an unknown option, naming the closest one', () => {
    expect(() => traced(() => 1, { sytem: 'x' } as never)).toThrow(/sytem.*system/);
  });
});
