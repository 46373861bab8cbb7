import { metrics, ValueType, type Attributes, type Meter, type Observable as Instrument } from '@opentelemetry/api';
import { rejectUnknownOptions, InvalidOptionError, type MetricsSnapshot, type SettlementRecord } from '@rxq/core';
import { tap, type MonoTypeOperatorFunction, type Subscription } from 'rxjs';
import { entriesOf, type Sources } from './sources.js';
import { SCOPE } from './traced.js';

/** Options of {@link instrumentMetrics}. */
export interface InstrumentMetricsOptions {
  /** Where the instruments are made. @default metrics.getMeter('@rxq/otel') (the global meter provider) */
  readonly meter?: Meter;
  /**
   * `messaging.system` of sources whose connector declares none (the memory queue, the gateway)
   * and that are given without one (`{ source, system }`). Every broker connector declares its
   * own (`redis`, `rabbitmq`, `kafka`, `nats`, `aws_sqs`, `postgresql`), which this does not
   * override. @default 'rxq'
   */
  readonly system?: string;
}

/** The instruments of {@link instrumentMetrics}: `record` for durations, `close` to stop. */
export interface RxqMetrics {
  /**
   * Records each settlement record's handler duration in `messaging.process.duration` (seconds,
   * with `error.type` for failures); place it after `ack()`. Passes the records on unchanged.
   */
  readonly record: MonoTypeOperatorFunction<SettlementRecord>;
  /** Stops reading the sources (the instruments report nothing more). */
  close(): void;
}

/** Counters read from each source's `metrics` at every collection: name, description, field. */
const COUNTERS: readonly (readonly [string, string, keyof MetricsSnapshot])[] = [
  ['messaging.client.consumed.messages', 'Messages delivered to the application (decoded)', 'received'],
  ['rxq.messages.acked', 'Messages acked', 'acked'],
  ['rxq.messages.requeued', 'Messages put back at once (nacked)', 'requeued'],
  ['rxq.messages.resent', 'Messages resent with attempt + 1', 'resent'],
  ['rxq.messages.dead_lettered', 'Messages dead-lettered (poison included)', 'deadLettered'],
  ['rxq.messages.poison', 'Bodies that could not be decoded (dead-lettered)', 'poison'],
  ['rxq.messages.released', 'Messages given back unhandled (stop, unsubscribe)', 'released'],
  ['rxq.settle.errors', 'Settlement writes the broker did not take (it redelivers)', 'settleErrors'],
];

/**
 * Publishes OpenTelemetry metrics of rxq sources, labelled by `messaging.system` and
 * `messaging.destination.name` (the source's name). Counters and the in-flight gauge are read
 * from each source's `metrics` when the SDK collects; sources with the same system and name (two
 * subscriptions of a queue, merged) are summed into one series, so nothing is counted twice.
 *
 * - `messaging.client.consumed.messages` (counter): messages emitted to the application;
 * - `rxq.messages.acked`, `.requeued`, `.resent`, `.dead_lettered`, `.poison`, `.released`,
 *   `rxq.settle.errors` (counters);
 * - `rxq.messages.in_flight` (up-down counter): emitted and not yet settled;
 * - `rxq.reconnects` (counter): reconnect attempts after a lost connection or a failed connect;
 * - `messaging.process.duration` (histogram, seconds): handler durations, through `record`.
 *
 * @example
 * const m = instrumentMetrics([orders, invoices], { meter: metrics.getMeter('shop') }); // systems told by their connectors
 * merge(orders, invoices).pipe(handle(work), ack(), m.record).subscribe();
 */
export function instrumentMetrics(sources: Sources, options: InstrumentMetricsOptions = {}): RxqMetrics {
  rejectUnknownOptions(options, ['meter', 'system']);
  const entries = entriesOf(sources, options.system ?? 'rxq');
  const meter = options.meter ?? metrics.getMeter(SCOPE);
  if (typeof meter?.createObservableCounter !== 'function')
    throw new InvalidOptionError('meter', 'an OpenTelemetry Meter', meter);

  const counters = COUNTERS.map(
    ([name, description, field]) =>
      [
        meter.createObservableCounter(name, { description, unit: '{message}', valueType: ValueType.INT }),
        field,
      ] as const,
  );
  const inFlight = meter.createObservableUpDownCounter('rxq.messages.in_flight', {
    description: 'Messages emitted and not yet settled',
    unit: '{message}',
    valueType: ValueType.INT,
  });
  const reconnects = meter.createObservableCounter('rxq.reconnects', {
    description: 'Reconnect attempts after a lost connection or a failed connect',
    unit: '{reconnect}',
    valueType: ValueType.INT,
  });
  const duration = meter.createHistogram('messaging.process.duration', {
    description: 'Duration of the handler of a message (a batch: each of its messages)',
    unit: 's',
    // The messaging conventions' buckets, in seconds (the SDK's default ones suit milliseconds).
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] },
  });

  const reconnectCounts = entries.map(() => 0);
  const subscriptions: Subscription[] = entries.map(({ source }, i) =>
    source.status$.subscribe((event) => {
      if (event.status === 'reconnecting') reconnectCounts[i] = (reconnectCounts[i] ?? 0) + 1;
    }),
  );
  const systemOfSource = new Map(entries.map(({ source, system }) => [source.name, system] as const));
  const defaultSystem = options.system ?? 'rxq';

  const observe = (observer: Parameters<Parameters<Meter['addBatchObservableCallback']>[0]>[0]): void => {
    // One series per (system, destination): sources that share both are summed.
    const series = new Map<
      string,
      { attributes: Attributes; values: number[]; inFlight: number; reconnects: number }
    >();
    entries.forEach(({ source, system }, i) => {
      const key = `${system}\u0000${source.name}`;
      let s = series.get(key);
      if (!s) {
        s = {
          attributes: { 'messaging.system': system, 'messaging.destination.name': source.name },
          values: COUNTERS.map(() => 0),
          inFlight: 0,
          reconnects: 0,
        };
        series.set(key, s);
      }
      const snapshot = source.metrics.snapshot();
      counters.forEach(([, field], c) => (s.values[c] = (s.values[c] ?? 0) + (snapshot[field] as number)));
      s.inFlight += snapshot.inFlight;
      s.reconnects += reconnectCounts[i] ?? 0;
    });
    for (const s of series.values()) {
      counters.forEach(([instrument], c) => observer.observe(instrument, s.values[c] ?? 0, s.attributes));
      observer.observe(inFlight, s.inFlight, s.attributes);
      observer.observe(reconnects, s.reconnects, s.attributes);
    }
  };
  const instruments: Instrument[] = [...counters.map(([instrument]) => instrument), inFlight, reconnects];
  meter.addBatchObservableCallback(observe, instruments);

  return {
    record: tap((record: SettlementRecord) => {
      const attributes: Attributes = {
        'messaging.system': systemOfSource.get(record.source) ?? defaultSystem,
        'messaging.destination.name': record.source,
        'messaging.operation.type': 'process',
      };
      if (!record.ok) attributes['error.type'] = errorType(record.error);
      duration.record(record.durationMs / 1_000, attributes);
    }),
    close() {
      meter.removeBatchObservableCallback(observe, instruments);
      for (const s of subscriptions) s.unsubscribe();
    },
  };
}

function errorType(error: unknown): string {
  return error instanceof Error ? error.name : '_OTHER';
}
