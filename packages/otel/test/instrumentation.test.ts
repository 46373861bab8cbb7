import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ack, codec, fromQueue, getInstrumentation, handle, json, silentLogger, type Message } from '@rxq/core';
import { collectUntil, until } from '@rxq/core/testing';
import { memory, MemoryQueue, type DeadLetter } from '@rxq/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { injectTraceContext, installInstrumentation, traced } from '../src/index.js';
import { parentOf, registerTracing } from './otel.js';

const { exporter, tracer } = registerTracing();

/** Runs `publish` inside a producer span; returns that span's context. */
function inProducerSpan(publish: () => void): { traceId: string; spanId: string } {
  const producer = tracer.startSpan('send', { kind: SpanKind.PRODUCER });
  context.with(trace.setSpan(context.active(), producer), publish);
  producer.end();
  return producer.spanContext();
}

/** Takes `n` messages from `queue` through a traced handler; returns their headers. */
async function consume<T>(queue: MemoryQueue<T>, name: string, n: number) {
  const seen: Message<T>['headers'][] = [];
  const source = fromQueue(memory(queue, { name, pollMs: 10 }), { logger: silentLogger });
  await collectUntil(
    source.pipe(handle(traced((m: Message<T>) => void seen.push(m.headers))), ack()),
    (records) => records.length === n,
  );
  await source.stop();
  return seen;
}

const spansNamed = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);

describe('installInstrumentation: publish helpers carry the context by themselves', () => {
  // Importing @rxq/otel installed it; a test that changes it puts the default back.
  afterEach(() => void installInstrumentation());

  it('importing @rxq/otel installs it: push and pushMany in a span carry its traceparent, no headers given', async () => {
    expect(getInstrumentation()?.inject).toBeTypeOf('function');
    exporter.reset();
    const queue = new MemoryQueue<number>();
    const one = inProducerSpan(() => queue.push(1));
    const many = inProducerSpan(() => queue.pushMany([2, 3]));
    const headers = await consume(queue, 'auto', 3);
    expect(headers[0]?.traceparent).toBe(`00-${one.traceId}-${one.spanId}-01`);
    expect(headers[1]?.traceparent).toBe(`00-${many.traceId}-${many.spanId}-01`);
    const processes = spansNamed('process auto');
    expect(processes.map(parentOf)).toEqual([one.spanId, many.spanId, many.spanId]);
  });

  it('outside any span nothing is added; a traceparent the caller gives is kept, beside its other headers', async () => {
    const queue = new MemoryQueue<number>();
    queue.push(1);
    const other = inProducerSpan(() => undefined);
    const callerHeaders = injectTraceContext(
      { tenant: 'acme' },
      trace.setSpan(context.active(), trace.wrapSpanContext({ ...other, traceFlags: 1 })),
    );
    inProducerSpan(() => queue.push(2, { headers: callerHeaders }));
    const headers = await consume(queue, 'kept', 2);
    expect(headers[0]).toEqual({});
    expect(headers[1]).toEqual({ tenant: 'acme', traceparent: `00-${other.traceId}-${other.spanId}-01` });
  });

  it('uninstalled (or propagate: false), a publish in a span sends only what it was given', async () => {
    const uninstall = installInstrumentation();
    uninstall();
    expect(getInstrumentation()).toBeUndefined();
    const queue = new MemoryQueue<number>();
    inProducerSpan(() => queue.push(1));
    installInstrumentation({ propagate: false });
    inProducerSpan(() => queue.push(2, { headers: { tenant: 'acme' } }));
    const headers = await consume(queue, 'off', 2);
    expect(headers).toEqual([{}, { tenant: 'acme' }]);
  });

  it('an uninstall takes out only its own instrumentation', () => {
    const first = installInstrumentation();
    const second = installInstrumentation({ poisonSpans: false });
    const installed = getInstrumentation();
    first();
    expect(getInstrumentation()).toBe(installed);
    second();
    expect(getInstrumentation()).toBeUndefined();
  });

  it('rejects an unknown or wrong option, naming it', () => {
    expect(() => installInstrumentation({ propagation: true } as never)).toThrow(/propagation.*propagate/);
    expect(() => installInstrumentation({ poisonSpans: 'yes' } as never)).toThrow(/poisonSpans/);
    expect(() => installInstrumentation({ tracer: {} } as never)).toThrow(/tracer/);
  });
});

describe('poison messages are spans', () => {
  afterEach(() => void installInstrumentation());

  it('a body that cannot be decoded: a settle span in the producer trace, with the reason and no body', async () => {
    exporter.reset();
    const queue = new MemoryQueue<unknown>();
    const deadLetters = new MemoryQueue<DeadLetter<unknown>>();
    const producer = inProducerSpan(() => queue.push('{"card": "4242" broken'));
    queue.push('7');
    const source = fromQueue(memory(queue, { name: 'payments', pollMs: 10, deadLetter: deadLetters }), {
      codec: codec({ name: 'json-text', decode: (v) => json.decode(v as string, {}) }),
      logger: silentLogger,
    });
    // The good message after it is handled: the poison one never reaches the handler.
    const records = await collectUntil(source.pipe(handle(traced(() => undefined)), ack()), (rs) => rs.length === 1);
    await source.stop();
    expect(records.map((r) => r.settlement)).toEqual(['acked']);
    await until(() => spansNamed('settle payments').length === 1);
    const [span] = spansNamed('settle payments');
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.spanContext().traceId).toBe(producer.traceId);
    expect(parentOf(span!)).toBe(producer.spanId);
    expect(span?.attributes).toMatchObject({
      'messaging.system': 'rxq',
      'messaging.destination.name': 'payments',
      'messaging.operation.type': 'settle',
      'messaging.operation.name': 'dead_letter',
      'rxq.settlement': 'dead-lettered',
      'rxq.dead_letter.reason': 'decode',
      'error.type': 'DecodeError',
      'rxq.attempt': 1,
    });
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'poison: decode' });
    expect(deadLetters.size).toBe(1);
    expect(JSON.stringify([span?.name, span?.attributes, span?.events, span?.status])).not.toContain('4242');
  });

  it('poisonSpans: false makes none', async () => {
    installInstrumentation({ poisonSpans: false });
    exporter.reset();
    const queue = new MemoryQueue<unknown>();
    const deadLetters = new MemoryQueue<DeadLetter<unknown>>();
    inProducerSpan(() => queue.push('not json'));
    queue.push('7');
    const source = fromQueue(memory(queue, { name: 'quiet', pollMs: 10, deadLetter: deadLetters }), {
      codec: codec({ name: 'json-text', decode: (v) => json.decode(v as string, {}) }),
      logger: silentLogger,
    });
    await collectUntil(source.pipe(handle(traced(() => undefined)), ack()), (rs) => rs.length === 1);
    await source.stop();
    expect(deadLetters.size).toBe(1);
    expect(spansNamed('settle quiet')).toEqual([]);
    expect(spansNamed('process quiet')).toHaveLength(1);
  });
});
