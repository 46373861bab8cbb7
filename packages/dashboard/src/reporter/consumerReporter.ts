import { hostname } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  InvalidOptionError,
  rejectUnknownOptions,
  RxqError,
  type MetricsSnapshot,
  type QueueObservable,
  type SettlementRecord,
  type SourceStatus,
  type StatusEvent,
} from '@rxq/core';
import { tap, type MonoTypeOperatorFunction, type Subscription } from 'rxjs';
import { bucketOf, LATENCY_BOUNDS_MS } from './histogram.js';
import type { ConsumerReport, SourceReport } from './report.js';

/** A source as the reporter reads it: its name, `metrics` and `status$` (any `fromQueue` source). */
export type ReportedSource = Pick<QueueObservable<unknown>, 'name' | 'metrics' | 'status$'>;

/** Options of {@link consumerReporter}. */
export interface ConsumerReporterOptions {
  /** The consumer's name on the dashboard. @default `<hostname>:<pid>` */
  readonly name?: string;
  /** The clock, ms since the epoch (tests). @default Date.now */
  readonly now?: () => number;
}

/** A consumer's figures for the dashboard: `listener` to serve them, `record` for latency and errors. */
export interface ConsumerReporter {
  /**
   * Records each settlement record's handler duration and error (by code or name) for the
   * latency percentiles and the error counts; place it after `ack()`. Passes records on unchanged.
   */
  readonly record: MonoTypeOperatorFunction<SettlementRecord>;
  /** The figures now. */
  report(): ConsumerReport;
  /**
   * A `node:http` request listener: `GET /rxq/consumer` answers the report as JSON; any other
   * path is 404, so it composes with other listeners (e.g. `healthListener` of `@rxq/otel`).
   */
  readonly listener: (request: IncomingMessage, response: ServerResponse) => void;
  /** Stops watching the sources' status. */
  close(): void;
}

/** The path a reporter serves and the dashboard polls. */
export const REPORT_PATH = '/rxq/consumer';

interface Watched {
  readonly source: ReportedSource;
  status: SourceStatus;
  retry: number | null;
  error: string | null;
}

interface Recorded {
  readonly latency: number[];
  readonly errors: Record<string, number>;
}

// Least healthy first: the status a name shows when its sources disagree.
const SEVERITY: readonly SourceStatus[] = ['closed', 'reconnecting', 'idle', 'connecting', 'draining', 'connected'];

/**
 * Publishes a consumer process's figures to `@rxq/dashboard`: each source's status, counters and
 * in-flight count (read when asked, nothing is polled), and with `record` after `ack()` its
 * handler latency histogram and its errors by code. Serve `listener` on a port the dashboard can
 * reach and list that address in the dashboard's `consumers`.
 *
 * Errors are counted by code or name, never by message (a message may quote a body).
 *
 * @example
 * const reporter = consumerReporter([orders], { name: 'billing' });
 * orders.pipe(handle(work), ack(), reporter.record).subscribe();
 * createServer(reporter.listener).listen(9465, '127.0.0.1');
 */
export function consumerReporter(
  sources: ReportedSource | readonly ReportedSource[],
  options: ConsumerReporterOptions = {},
): ConsumerReporter {
  rejectUnknownOptions(options, ['name', 'now']);
  const list = Array.isArray(sources) ? (sources as readonly ReportedSource[]) : [sources as ReportedSource];
  if (list.length === 0) throw new InvalidOptionError('sources', 'at least one source', sources);
  for (const s of list)
    if (typeof s?.metrics?.snapshot !== 'function' || typeof s?.status$?.subscribe !== 'function')
      throw new InvalidOptionError('sources', 'sources made by fromQueue (with metrics and status$)', s);
  const name = options.name ?? `${hostname()}:${process.pid}`;
  if (typeof name !== 'string' || name === '') throw new InvalidOptionError('name', 'a non-empty string', name);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new InvalidOptionError('now', 'a function', now);
  const startedAt = now();

  const watched: Watched[] = [];
  const subscriptions: Subscription[] = [];
  for (const source of list) {
    const w: Watched = { source, status: 'idle', retry: null, error: null };
    watched.push(w);
    subscriptions.push(source.status$.subscribe((event) => update(w, event)));
  }
  const recorded = new Map<string, Recorded>();
  let recording = false;

  const report = (): ConsumerReport => {
    const byName = new Map<string, Watched[]>();
    for (const w of watched) byName.set(w.source.name, [...(byName.get(w.source.name) ?? []), w]);
    const out: SourceReport[] = [];
    for (const [sourceName, group] of byName) {
      const worst = group.reduce((a, b) => (SEVERITY.indexOf(b.status) < SEVERITY.indexOf(a.status) ? b : a));
      const r = recorded.get(sourceName);
      out.push({
        name: sourceName,
        status: worst.status,
        retry: worst.retry,
        error: worst.error,
        metrics: sum(group.map((w) => w.source.metrics.snapshot())),
        latency: recording ? [...(r?.latency ?? emptyHistogram())] : null,
        errors: recording ? { ...(r?.errors ?? {}) } : null,
      });
    }
    return { v: 1, name, pid: process.pid, host: hostname(), startedAt, at: now(), sources: out };
  };

  return {
    record: (records) => {
      recording = true;
      return records.pipe(
        tap((record: SettlementRecord) => {
          let r = recorded.get(record.source);
          if (!r) recorded.set(record.source, (r = { latency: emptyHistogram(), errors: {} }));
          const b = bucketOf(record.durationMs);
          r.latency[b] = (r.latency[b] ?? 0) + 1;
          if (!record.ok) {
            const key = errorKey(record.error);
            r.errors[key] = (r.errors[key] ?? 0) + 1;
          }
        }),
      );
    },
    report,
    listener: (request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method !== 'GET' || path !== REPORT_PATH) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      response
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify(report()));
    },
    close: () => {
      for (const s of subscriptions) s.unsubscribe();
    },
  };
}

function update(w: Watched, event: StatusEvent): void {
  w.status = event.status;
  w.retry = event.retry ?? null;
  w.error = event.error === undefined ? null : errorKey(event.error);
}

function emptyHistogram(): number[] {
  return new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
}

/** An error's code or name: never its message, which may quote a body. */
function errorKey(error: unknown): string {
  if (error instanceof RxqError) return error.code;
  if (error instanceof Error) return error.name;
  return 'unknown';
}

function sum(snapshots: readonly MetricsSnapshot[]): MetricsSnapshot {
  const add = (field: Exclude<keyof MetricsSnapshot, 'handler'>) => snapshots.reduce((n, s) => n + s[field], 0);
  return {
    received: add('received'),
    acked: add('acked'),
    requeued: add('requeued'),
    resent: add('resent'),
    deadLettered: add('deadLettered'),
    released: add('released'),
    poison: add('poison'),
    settleErrors: add('settleErrors'),
    inFlight: add('inFlight'),
    peakInFlight: add('peakInFlight'),
    handler: {
      count: snapshots.reduce((n, s) => n + s.handler.count, 0),
      totalMs: snapshots.reduce((n, s) => n + s.handler.totalMs, 0),
      maxMs: snapshots.reduce((n, s) => Math.max(n, s.handler.maxMs), 0),
    },
  };
}
