import { SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from '@opentelemetry/api';
import {
  ack,
  InvalidOptionError,
  messagesOf,
  rejectUnknownOptions,
  type AckOptions,
  type Item,
  type Message,
  type Outcome,
  type SettlementRecord,
} from '@rxq/core';
import { Observable, type OperatorFunction } from 'rxjs';
import { systemOf } from './attributes.js';
import { extractTraceContext } from './propagation.js';
import { SCOPE } from './traced.js';

/** Options of {@link tracedAck}: `ack`'s, plus where the spans go. */
export interface TracedAckOptions extends AckOptions {
  /** Where spans are made. @default trace.getTracer('@rxq/otel') */
  readonly tracer?: Tracer;
  /** `messaging.system`. @default told by the message's transport, else `'rxq'` */
  readonly system?: string;
}

/** `messaging.operation.name` of each settlement. */
const OPERATION: Record<SettlementRecord['settlement'], string> = {
  acked: 'ack',
  requeued: 'nack',
  resent: 'resend',
  'dead-lettered': 'dead_letter',
  released: 'release',
};

/**
 * `ack(options)` that also records how each message ended as a `settle` span in the message's
 * producer trace (a sibling of its `process` span): `settle <source>` with
 * `messaging.operation.type` `settle`, `messaging.operation.name` (`ack`, `nack`, `resend`,
 * `dead_letter`, `release`), `rxq.settlement`, `rxq.attempt`, and for a failure `error.type`;
 * a dead letter's span has status `ERROR`. So a message's whole life (each attempt, its resends,
 * its end) reads as one trace. Emits the same records as `ack`.
 *
 * @example
 * source.pipe(handle(traced(work)), retryWithResend({ maxAttempts: 5 }), tracedAck()).subscribe();
 */
export function tracedAck<I extends Item, R>(
  options: TracedAckOptions = {},
): OperatorFunction<Outcome<I, R>, SettlementRecord> {
  const { tracer: tracerOption, system, ...ackOptions } = options;
  rejectUnknownOptions(options, ['requeue', 'maxAttempts', 'backoff', 'tracer', 'system']);
  if (system !== undefined && (typeof system !== 'string' || system === ''))
    throw new InvalidOptionError('system', 'a non-empty string', system);
  const tracer = tracerOption ?? trace.getTracer(SCOPE);
  const settle = ack<I, R>(ackOptions);
  return (source) =>
    new Observable<SettlementRecord>((subscriber) => {
      /** Messages handed to `ack` and not yet reported, by source and id. */
      const pending = new Map<string, Message<unknown>>();
      const keyOf = (sourceName: string, id: string): string => `${sourceName}\u0000${id}`;
      const outcomes = new Observable<Outcome<I, R>>((inner) =>
        source.subscribe({
          next(outcome) {
            for (const m of messagesOf(outcome.item)) pending.set(keyOf(m.source, m.id), m);
            inner.next(outcome);
          },
          error: (e: unknown) => inner.error(e),
          complete: () => inner.complete(),
        }),
      );
      return settle(outcomes).subscribe({
        next(record) {
          const key = keyOf(record.source, record.id);
          const message = pending.get(key);
          pending.delete(key);
          if (message !== undefined) span(tracer, message, record, system);
          subscriber.next(record);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}

function span(tracer: Tracer, message: Message<unknown>, record: SettlementRecord, system: string | undefined): void {
  const parent = extractTraceContext(message.headers);
  const s = tracer.startSpan(`settle ${record.source}`, { kind: SpanKind.CLIENT }, parent);
  if (!s.isRecording()) return;
  const attributes: Attributes = {
    'messaging.system': system ?? systemOf(message) ?? 'rxq',
    'messaging.destination.name': record.source,
    'messaging.operation.type': 'settle',
    'messaging.operation.name': OPERATION[record.settlement],
    'messaging.message.id': record.id,
    'rxq.settlement': record.settlement,
    'rxq.attempt': record.attempt,
  };
  if (!record.ok) attributes['error.type'] = record.error instanceof Error ? record.error.name : '_OTHER';
  s.setAttributes(attributes);
  if (record.settlement === 'dead-lettered') s.setStatus({ code: SpanStatusCode.ERROR, message: 'dead-lettered' });
  s.end();
}
