import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { InvalidOptionError, rejectUnknownOptions, setInstrumentation, type PoisonReport } from '@rxq/core';
import { messageAttributes, systemOf } from './attributes.js';
import { extractTraceContext } from './propagation.js';
import { SCOPE } from './traced.js';

/** Options of {@link installInstrumentation}. */
export interface InstallInstrumentationOptions {
  /**
   * Every rxq publish helper adds the active context (`traceparent`, `tracestate`, with the
   * registered propagator) to the headers it sends, unless the caller's headers already have a
   * `traceparent`. @default true
   */
  readonly propagate?: boolean;
  /** A poison message (dead-lettered before any handler) is a `settle` span. @default true */
  readonly poisonSpans?: boolean;
  /** Where poison spans are made. @default trace.getTracer('@rxq/otel'), looked up at each one */
  readonly tracer?: Tracer;
}

/**
 * Plugs OpenTelemetry into every rxq connector of the process (through `@rxq/core`'s
 * `setInstrumentation`), and returns a function that takes it out again. Importing `@rxq/otel`
 * calls it once with the defaults, so an app that imports the package has both:
 *
 * - **propagation**: `publish`, `publishMany` and the other publish helpers of every connector add
 *   the active trace context to the message's headers, as `injectTraceContext()` would, so a
 *   consumer's `process` span joins the producer's trace with no code at the call site. With no
 *   SDK (no propagator registered) nothing is added. A `traceparent` the caller passes is kept.
 * - **poison spans**: a message whose body could not be decoded, dead-lettered before any handler
 *   saw it, is a `settle <source>` span (kind `CLIENT`) in its producer's trace: operation
 *   `dead_letter`, `rxq.settlement` `dead-lettered`, `rxq.dead_letter.reason` (`decode` or
 *   `invalid`), `error.type` (the codec's error name), status `ERROR`; it ends when the broker
 *   has the dead letter. Nothing of the body and no error message goes into it.
 *
 * One instrumentation is installed at a time: a second call replaces the first.
 *
 * @example
 * const uninstall = installInstrumentation({ propagate: true, poisonSpans: false });
 */
export function installInstrumentation(options: InstallInstrumentationOptions = {}): () => void {
  rejectUnknownOptions(options, ['propagate', 'poisonSpans', 'tracer']);
  const { propagate = true, poisonSpans = true, tracer } = options;
  if (typeof propagate !== 'boolean') throw new InvalidOptionError('propagate', 'a boolean', propagate);
  if (typeof poisonSpans !== 'boolean') throw new InvalidOptionError('poisonSpans', 'a boolean', poisonSpans);
  if (tracer !== undefined && typeof tracer?.startSpan !== 'function')
    throw new InvalidOptionError('tracer', 'an OpenTelemetry Tracer', tracer);
  const instrumentation = {
    ...(propagate && { inject }),
    ...(poisonSpans && { poison: (report: PoisonReport) => poisonSpan(tracer ?? trace.getTracer(SCOPE), report) }),
  };
  setInstrumentation(instrumentation);
  return () => {
    // Only its own: a later install stays.
    const current = setInstrumentation(undefined);
    if (current !== instrumentation) setInstrumentation(current);
  };
}

function inject(headers: Record<string, string>): void {
  if (headers.traceparent !== undefined) return;
  propagation.inject(context.active(), headers);
}

function poisonSpan(tracer: Tracer, report: PoisonReport): void {
  const { delivery } = report;
  const parent = extractTraceContext(delivery.headers, ROOT_CONTEXT);
  const span = tracer.startSpan(`settle ${delivery.source}`, { kind: SpanKind.CLIENT }, parent);
  if (!span.isRecording()) return;
  span.setAttributes({
    ...messageAttributes(delivery, systemOf(delivery) ?? 'rxq', undefined),
    'messaging.operation.type': 'settle',
    'messaging.operation.name': 'dead_letter',
    'rxq.settlement': 'dead-lettered',
    'rxq.dead_letter.reason': report.reason,
    'error.type': report.errorName,
  });
  span.setStatus({ code: SpanStatusCode.ERROR, message: `poison: ${report.reason}` });
  report.deadLettered.then(
    () => span.end(),
    (error: unknown) => {
      // The broker did not take the dead letter: it redelivers the message.
      span.addEvent('rxq.dead_letter.failed', { 'error.type': error instanceof Error ? error.name : '_OTHER' });
      span.end();
    },
  );
}
