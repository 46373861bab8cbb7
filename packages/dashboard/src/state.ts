import type { AdminQueueStats } from './admin.js';

/** Columns of a plot: `at` (ms since the epoch) and one array of values per series. */
export type Series<K extends string> = { readonly at: number[] } & { readonly [key in K]: (number | null)[] };

/** One queue as the page shows it. */
export interface QueueView {
  /** Its index in the configuration, as a string (the API's path segment). */
  readonly id: string;
  readonly broker: string | null;
  readonly queue: string;
  /** The broker URL without credentials. */
  readonly target: string | null;
  /** Where its dead letters are. */
  readonly destination: string | null;
  readonly capabilities: { readonly redrive: boolean; readonly purge: boolean };
  readonly stats: AdminQueueStats | null;
  /** Why the last reading failed (an error's name and message), or null. */
  readonly error: string | null;
  readonly updatedAt: number | null;
  /** Messages per second received by the reporting consumers of a source of this name. */
  readonly consumedPerSec: number | null;
  readonly history: Series<'depth' | 'deadLetters' | 'consumed'>;
}

/** Rates per second over the last poll interval. */
export interface Rates {
  readonly received: number;
  readonly acked: number;
  /** Handler failures settled by resend, requeue or dead letter. */
  readonly failed: number;
  readonly deadLettered: number;
}

/** One source of a consumer process as the page shows it. */
export interface SourceView {
  readonly name: string;
  readonly status: string;
  readonly retry: number | null;
  readonly error: string | null;
  readonly inFlight: number;
  readonly totals: {
    readonly received: number;
    readonly acked: number;
    readonly requeued: number;
    readonly resent: number;
    readonly deadLettered: number;
    readonly poison: number;
    readonly released: number;
    readonly settleErrors: number;
  };
  readonly rates: Rates | null;
  /** Handler latency (ms) over the last minute: percentiles with `record`, the mean always. */
  readonly latency: {
    readonly p50: number | null;
    readonly p90: number | null;
    readonly p99: number | null;
    readonly mean: number | null;
    readonly max: number;
  };
  /** Handler failures by error code or name since the process started; null without `record`. */
  readonly errors: Readonly<Record<string, number>> | null;
  readonly history: Series<'received' | 'acked' | 'failed' | 'p50' | 'p99'>;
}

/** One consumer process as the page shows it. */
export interface ConsumerView {
  readonly id: string;
  /** The reporter's address (without credentials). */
  readonly address: string;
  readonly name: string | null;
  readonly pid: number | null;
  readonly host: string | null;
  /** Whether its last report was read. */
  readonly up: boolean;
  readonly error: string | null;
  readonly updatedAt: number | null;
  readonly sources: readonly SourceView[];
}

/** Everything the page shows, sent on each update. */
export interface DashboardState {
  readonly at: number;
  /** Whether actions are enabled (a token is configured). */
  readonly actions: boolean;
  readonly pollMs: number;
  readonly historyMs: number;
  readonly queues: readonly QueueView[];
  readonly consumers: readonly ConsumerView[];
}

/** Drops points older than `from` from every column. */
export function trim(series: Series<string>, from: number): void {
  let n = 0;
  while (n < series.at.length && (series.at[n] ?? 0) < from) n++;
  if (n === 0) return;
  for (const column of Object.values(series) as unknown[][]) column.splice(0, n);
}

/** One error's name and message for the page (never a body: admin and fetch errors only). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  return 'unknown error';
}
