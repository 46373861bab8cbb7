import {
  context,
  INVALID_TRACEID,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import {
  fn as checkFn,
  InvalidOptionError,
  rejectUnknownOptions,
  type Handler,
  type Item,
  type Message,
} from '@rxq/core';
import { isObservable, Observable } from 'rxjs';
import { messageAttributes, systemOf } from './attributes.js';
import { extractTraceContext } from './propagation.js';

/** The instrumentation scope name of rxq's spans and metrics. */
export const SCOPE = '@rxq/otel';

/** Options of {@link traced}. */
export interface TracedOptions {
  /** Where spans are made. @default trace.getTracer('@rxq/otel') (the global tracer provider) */
  readonly tracer?: Tracer;
  /**
   * `messaging.system` of the spans. @default told by the message's transport (`kafka`,
   * `rabbitmq`, `redis`), else `'rxq'` (the memory queue)
   */
  readonly system?: string;
  /** `messaging.consumer.group.name` (a Kafka group id, a Redis stream group). @default none */
  readonly consumerGroup?: string;
}

/**
 * Wraps a handler so that each message (or `chunk` batch) it handles is a `process` span
 * (kind `CONSUMER`) following OpenTelemetry's messaging conventions:
 *
 * - one message: the span is a child of the producer's context, read from the message's headers
 *   with the global propagator (W3C `traceparent`/`tracestate`, see {@link injectTraceContext});
 * - a batch: the span is a child of the active context, linked to each message's producer context;
 * - the handler runs inside the span's context, so spans it makes (a database call) nest under it;
 * - a handler that throws, rejects or errors marks the span `ERROR` with its error (name and
 *   message; rxq never puts a body into a span);
 * - attributes: `messaging.system`, `messaging.destination.name` (the source), `messaging.operation.type`
 *   and `.name` (`process`), `messaging.message.id`, `messaging.consumer.group.name`, Kafka's
 *   partition, offset and key, and `rxq.attempt`. Never the body, never a header value.
 *
 * - the span lasts as long as the handler really runs: a handler that ignores its abort signal
 *   after `handle`'s `timeoutMs` keeps its span open until it ends (the wrapper does not read
 *   the signal: asking for it costs `handle` an AbortController and a listener per message).
 *
 * With no SDK registered, the wrapper calls the handler directly after the API's no-op calls.
 *
 * @example
 * source.pipe(handle(traced(save), { concurrency: 16 }), ack()).subscribe();
 */
export function traced<I extends Item, R>(fn: Handler<I, R>, options: TracedOptions = {}): Handler<I, R> {
  checkFn('fn', fn);
  rejectUnknownOptions(options, ['tracer', 'system', 'consumerGroup']);
  const { system, consumerGroup } = options;
  if (system !== undefined && (typeof system !== 'string' || system === ''))
    throw new InvalidOptionError('system', 'a non-empty string', system);
  if (consumerGroup !== undefined && typeof consumerGroup !== 'string')
    throw new InvalidOptionError('consumerGroup', 'a string', consumerGroup);
  const tracer = options.tracer ?? trace.getTracer(SCOPE);
  if (typeof tracer?.startSpan !== 'function')
    throw new InvalidOptionError('tracer', 'an OpenTelemetry Tracer', tracer);
  const systemFor = (m: Message<unknown>): string => system ?? systemOf(m) ?? 'rxq';

  return (item, handlerContext) => {
    const active = context.active();
    let parent = active;
    let span: Span;
    if (Array.isArray(item)) {
      span = startBatchSpan(tracer, item as readonly Message<unknown>[], active, systemFor, consumerGroup);
    } else {
      const m = item as Message<unknown>;
      parent = extractTraceContext(m.headers, active);
      span = tracer.startSpan(`process ${m.source}`, { kind: SpanKind.CONSUMER }, parent);
      if (span.isRecording()) span.setAttributes(messageAttributes(m, systemFor(m), consumerGroup));
    }
    // No SDK and no producer context: nothing to record or propagate.
    if (!span.isRecording() && span.spanContext().traceId === INVALID_TRACEID) return fn(item, handlerContext);
    const spanContext = trace.setSpan(parent, span);
    let result: R | PromiseLike<R> | Observable<R>;
    try {
      result = context.with(spanContext, fn, undefined, item, handlerContext);
    } catch (error) {
      fail(span, error);
      span.end();
      throw error;
    }
    if (isObservable(result)) return observed(result, span, spanContext);
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<R>).then === 'function')
      return Promise.resolve(result as PromiseLike<R>).then(
        (value) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          fail(span, error);
          span.end();
          throw error;
        },
      );
    span.end();
    return result;
  };
}

function startBatchSpan(
  tracer: Tracer,
  batch: readonly Message<unknown>[],
  active: ReturnType<typeof context.active>,
  systemFor: (m: Message<unknown>) => string,
  consumerGroup: string | undefined,
): Span {
  const links: Link[] = [];
  for (const m of batch) {
    const producer = trace.getSpanContext(extractTraceContext(m.headers, ROOT_CONTEXT));
    if (producer !== undefined && producer.traceId !== INVALID_TRACEID) links.push({ context: producer });
  }
  const first = batch[0];
  const destination = first !== undefined && batch.every((m) => m.source === first.source) ? first.source : undefined;
  const attributes: Attributes = {
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.batch.message_count': batch.length,
  };
  if (first !== undefined) attributes['messaging.system'] = systemFor(first);
  if (destination !== undefined) attributes['messaging.destination.name'] = destination;
  if (consumerGroup !== undefined) attributes['messaging.consumer.group.name'] = consumerGroup;
  const name = destination === undefined ? 'process' : `process ${destination}`;
  return tracer.startSpan(name, { kind: SpanKind.CONSUMER, links, attributes }, active);
}

/** A handler's Observable, subscribed inside the span's context; the span ends with it. */
function observed<R>(result: Observable<R>, span: Span, spanContext: ReturnType<typeof context.active>): Observable<R> {
  return new Observable<R>((subscriber) => {
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      span.end();
    };
    const inner = context.with(spanContext, () =>
      result.subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => {
          fail(span, error);
          end();
          subscriber.error(error);
        },
        complete: () => {
          end();
          subscriber.complete();
        },
      }),
    );
    return () => {
      inner.unsubscribe();
      end();
    };
  });
}

/** Marks the span failed with the error's name and message. */
function fail(span: Span, error: unknown): void {
  if (error instanceof Error) {
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.name}: ${error.message}` });
    span.setAttribute('error.type', error.name);
  } else {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'non-Error thrown' });
    span.setAttribute('error.type', '_OTHER');
  }
}
