import type { MetricsSnapshot, SourceStatus } from '@rxq/core';

/** One source's figures in a {@link ConsumerReport}: cumulative counters since the process started. */
export interface SourceReport {
  /** The source's name (its queue, topic or subject). */
  readonly name: string;
  /** The source's status from its `status$` (several sources of one name: the least healthy). */
  readonly status: SourceStatus;
  /** While reconnecting: the try number. */
  readonly retry: number | null;
  /** Why it is reconnecting or closed: the error's code or name, never its message. */
  readonly error: string | null;
  /** The source's counters (`metrics.snapshot()`), summed over sources of the same name. */
  readonly metrics: MetricsSnapshot;
  /**
   * Handler durations as bucket counts over `LATENCY_BOUNDS_MS` (cumulative), when the pipeline
   * has the reporter's `record` after `ack()`; else null (the dashboard shows the mean instead).
   */
  readonly latency: readonly number[] | null;
  /** Handler failures by error code (an `RxqError`) or name, cumulative; null without `record`. */
  readonly errors: Readonly<Record<string, number>> | null;
}

/** What a consumer process reports to the dashboard (`GET /rxq/consumer`), as JSON. */
export interface ConsumerReport {
  /** The format's version. */
  readonly v: 1;
  /** The consumer's name (the reporter's `name` option). */
  readonly name: string;
  readonly pid: number;
  readonly host: string;
  /** When the reporter was made, ms since the epoch. */
  readonly startedAt: number;
  /** When this report was made, ms since the epoch. */
  readonly at: number;
  readonly sources: readonly SourceReport[];
}
