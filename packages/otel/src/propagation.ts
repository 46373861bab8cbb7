import { context, propagation, type Context, type TextMapGetter } from '@opentelemetry/api';

/** Reads a message's string headers as a W3C carrier (`traceparent`, `tracestate`). */
const getter: TextMapGetter<Readonly<Record<string, string>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** The producer's context recorded in `headers`, under `parent` (the active context by default). */
export function extractTraceContext(
  headers: Readonly<Record<string, string>> | undefined,
  parent: Context = context.active(),
): Context {
  return headers === undefined ? parent : propagation.extract(parent, headers, getter);
}

/**
 * `headers` plus the current trace context (`traceparent`, `tracestate` with the W3C propagator),
 * for the `headers` option of any rxq publish helper, so that the consumer's `process` span joins
 * the producer's trace. A new object; `headers` is not changed. With no propagator registered (no
 * SDK), it returns a copy of `headers`.
 *
 * A Redis list entry carries headers only in rxq's envelope: `publish(client, 'q', body, { headers:
 * injectTraceContext() })` writes one, but a plain `RPUSH` of the body by another producer has no
 * headers, so its message starts a new trace.
 *
 * @example
 * await publish(connection, 'orders', order, { headers: injectTraceContext({ tenant: 'acme' }) });
 */
export function injectTraceContext(
  headers?: Readonly<Record<string, string>>,
  from: Context = context.active(),
): Record<string, string> {
  const out: Record<string, string> = { ...headers };
  propagation.inject(from, out);
  return out;
}
