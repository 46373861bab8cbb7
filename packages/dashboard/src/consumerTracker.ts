import type { MetricsSnapshot } from '@rxq/core';
import { quantile } from './reporter/histogram.js';
import type { ConsumerReport, SourceReport } from './reporter/report.js';
import { describeError, trim, type ConsumerView, type Rates, type Series, type SourceView } from './state.js';

interface Sample {
  readonly at: number;
  readonly metrics: MetricsSnapshot;
  readonly latency: readonly number[] | null;
}

interface Tracked {
  samples: Sample[];
  history: Series<'received' | 'acked' | 'failed' | 'p50' | 'p99'>;
  view: SourceView | undefined;
}

const LATENCY_WINDOW_MS = 60_000;

/** Reads one consumer process's reports and keeps its sources' rates, percentiles and history. */
export class ConsumerTracker {
  private readonly sources = new Map<string, Tracked>();
  private report: ConsumerReport | undefined;
  private error: string | null = null;
  private updatedAt: number | null = null;
  private up = false;

  constructor(
    readonly id: string,
    private readonly url: URL,
    private readonly timeoutMs: number,
    private readonly historyMs: number,
  ) {}

  /** The address without credentials, for display. */
  get address(): string {
    const u = new URL(this.url);
    u.username = '';
    u.password = '';
    return u.toString();
  }

  /** Reads the report now; a failure shows on the page and keeps the history. */
  async poll(): Promise<void> {
    try {
      const response = await fetch(this.url, {
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: { accept: 'application/json' },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const report = (await response.json()) as ConsumerReport;
      if (report?.v !== 1 || !Array.isArray(report.sources)) throw new Error('not a consumerReporter report');
      this.take(report, Date.now());
      this.up = true;
      this.error = null;
    } catch (error) {
      this.up = false;
      this.error = describeError(error);
    }
  }

  view(): ConsumerView {
    return {
      id: this.id,
      address: this.address,
      name: this.report?.name ?? null,
      pid: this.report?.pid ?? null,
      host: this.report?.host ?? null,
      up: this.up,
      error: this.error,
      updatedAt: this.updatedAt,
      sources: [...this.sources.values()].flatMap((t) => (t.view ? [t.view] : [])),
    };
  }

  /** Received per second by this process's sources named `name`, or null when it has none. */
  receivedPerSec(name: string): number | null {
    return this.up ? (this.sources.get(name)?.view?.rates?.received ?? null) : null;
  }

  private take(report: ConsumerReport, now: number): void {
    const restarted =
      this.report !== undefined && (this.report.pid !== report.pid || this.report.startedAt !== report.startedAt);
    this.report = report;
    this.updatedAt = now;
    for (const source of report.sources) {
      let t = this.sources.get(source.name);
      if (!t) {
        t = {
          samples: [],
          history: { at: [], received: [], acked: [], failed: [], p50: [], p99: [] },
          view: undefined,
        };
        this.sources.set(source.name, t);
      }
      if (restarted) t.samples = []; // the counters start again from 0: no rate across the restart
      t.view = this.update(t, source, report.at);
    }
  }

  private update(t: Tracked, source: SourceReport, at: number): SourceView {
    const sample: Sample = { at, metrics: source.metrics, latency: source.latency };
    const previous = t.samples[t.samples.length - 1];
    t.samples.push(sample);
    trimSamples(t.samples, at - Math.max(LATENCY_WINDOW_MS, 0));
    let rates: Rates | null = null;
    if (previous && at > previous.at) {
      const perSec = (f: (m: MetricsSnapshot) => number) =>
        Math.max(0, ((f(sample.metrics) - f(previous.metrics)) * 1_000) / (at - previous.at));
      rates = {
        received: perSec((m) => m.received),
        acked: perSec((m) => m.acked),
        failed: perSec((m) => m.resent + m.requeued + m.deadLettered - m.poison),
        deadLettered: perSec((m) => m.deadLettered),
      };
      const step = diff(sample.latency, previous.latency);
      const h = t.history;
      h.at.push(at);
      h.received.push(round(rates.received));
      h.acked.push(round(rates.acked));
      h.failed.push(round(rates.failed));
      h.p50.push(step ? round(quantile(step, 0.5)) : meanMs(sample, previous));
      h.p99.push(step ? round(quantile(step, 0.99)) : null);
      trim(h, at - this.historyMs);
    }
    const oldest = t.samples[0];
    const window = oldest && oldest !== sample ? diff(sample.latency, oldest.latency) : sample.latency;
    const m = source.metrics;
    return {
      name: source.name,
      status: source.status,
      retry: source.retry,
      error: source.error,
      inFlight: m.inFlight,
      totals: {
        received: m.received,
        acked: m.acked,
        requeued: m.requeued,
        resent: m.resent,
        deadLettered: m.deadLettered,
        poison: m.poison,
        released: m.released,
        settleErrors: m.settleErrors,
      },
      rates,
      latency: {
        p50: window ? round(quantile(window, 0.5)) : null,
        p90: window ? round(quantile(window, 0.9)) : null,
        p99: window ? round(quantile(window, 0.99)) : null,
        mean: oldest && oldest !== sample ? meanMs(sample, oldest) : lifetimeMean(m),
        max: m.handler.maxMs,
      },
      errors: source.errors,
      history: t.history,
    };
  }
}

function trimSamples(samples: Sample[], from: number): void {
  // Keep the newest sample at or before `from` as the window's baseline.
  while (samples.length > 2 && (samples[1]?.at ?? Infinity) <= from) samples.shift();
}

function diff(now: readonly number[] | null, then: readonly number[] | null): number[] | null {
  if (!now) return null;
  if (!then) return [...now];
  return now.map((c, i) => Math.max(0, c - (then[i] ?? 0)));
}

function meanMs(now: Sample, then: Sample): number | null {
  const count = now.metrics.handler.count - then.metrics.handler.count;
  return count > 0 ? round((now.metrics.handler.totalMs - then.metrics.handler.totalMs) / count) : null;
}

function lifetimeMean(m: MetricsSnapshot): number | null {
  return m.handler.count > 0 ? round(m.handler.totalMs / m.handler.count) : null;
}

function round(n: number | null): number | null {
  return n === null ? null : Math.round(n * 1_000) / 1_000;
}
