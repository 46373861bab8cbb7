import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { InvalidOptionError, rejectUnknownOptions } from '@rxq/core';
import { injectTraceContext } from './propagation.js';
import { SCOPE } from './traced.js';

/** Options of {@link tracedSend}. */
export interface TracedSendOptions {
  /** Where the span is made. @default trace.getTracer('@rxq/otel') */
  readonly tracer?: Tracer;
  /** `messaging.system` of the span (`kafka`, `rabbitmq`, `redis`, …). @default 'rxq' */
  readonly system?: string;
  /** Headers of your own, to which the trace context is added. @default none */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Runs a publish inside a `send <destination>` span (kind `PRODUCER`, a child of the active
 * context) and hands it headers that carry that span's context, so that the consumer's `process`
 * span is the send span's child. Works with any rxq publish helper; the span records the publish's
 * error and ends when it settles. Resolves with what `send` resolves with.
 *
 * @example
 * await tracedSend('orders', (headers) => publish(connection, 'orders', order, { headers }), { system: 'rabbitmq' });
 */
export async function tracedSend<R>(
  destination: string,
  send: (headers: Record<string, string>) => R | PromiseLike<R>,
  options: TracedSendOptions = {},
): Promise<R> {
  rejectUnknownOptions(options, ['tracer', 'system', 'headers']);
  if (typeof destination !== 'string') throw new InvalidOptionError('destination', 'a string', destination);
  if (typeof send !== 'function') throw new InvalidOptionError('send', 'a function', send);
  const tracer = options.tracer ?? trace.getTracer(SCOPE);
  const span = tracer.startSpan(`send ${destination}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': options.system ?? 'rxq',
      'messaging.destination.name': destination,
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
    },
  });
  const spanContext = trace.setSpan(context.active(), span);
  try {
    return await context.with(spanContext, () => send(injectTraceContext(options.headers, spanContext)));
  } catch (error) {
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? `${error.name}: ${error.message}` : 'non-Error thrown',
    });
    span.setAttribute('error.type', error instanceof Error ? error.name : '_OTHER');
    throw error;
  } finally {
    span.end();
  }
}
