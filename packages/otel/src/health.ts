import { InvalidOptionError, rejectUnknownOptions, RxqError, type SourceStatus, type StatusEvent } from '@rxq/core';
import type { Subscription } from 'rxjs';
import { entriesOf, type ObservedSource, type Sources } from './sources.js';
import type { StuckHandlers } from './stuck.js';

/** Options of {@link health}. */
export interface HealthOptions {
  /**
   * A source reconnecting for longer than this is not ready (a shorter blip keeps it ready, so a
   * broker restart does not take every pod out of service at once). @default 30_000
   */
  readonly maxReconnectingMs?: number;
  /** The clock, ms since the epoch (tests). @default Date.now */
  readonly now?: () => number;
  /** A {@link stuckHandlers} watch whose stuck handlers count against `maxStuck`. @default none */
  readonly stuck?: Pick<StuckHandlers, 'stuck'>;
  /** With `stuck`: more stuck handlers than this make the report unready. @default 0 */
  readonly maxStuck?: number;
}

/** What a probe answers. */
export interface HealthReport {
  /** The pipelines run: no source has closed (a source that stopped for good is not live). */
  readonly live: boolean;
  /** Every source is connected (or reconnecting for less than `maxReconnectingMs`) and not draining. */
  readonly ready: boolean;
  /** `ok`, or why not, source by source (`orders: reconnecting for 42000 ms (retry 9)`). */
  readonly reason: string;
}

/** A health check over sources: `check()` for a probe, `close()` to stop watching them. */
export interface Health {
  check(): HealthReport;
  close(): void;
}

interface Watched {
  readonly source: ObservedSource;
  status: SourceStatus;
  error: unknown;
  retry: number | undefined;
  /** When the current run of reconnect attempts began. */
  reconnectingSince: number | undefined;
}

/**
 * A health check for Kubernetes-style probes over one source or several, from their `status$`:
 *
 * | status         | live | ready                                   |
 * | -------------- | ---- | --------------------------------------- |
 * | `idle`         | yes  | no (not subscribed yet)                 |
 * | `connecting`   | yes  | no                                      |
 * | `connected`    | yes  | yes                                     |
 * | `reconnecting` | yes  | while shorter than `maxReconnectingMs`  |
 * | `draining`     | yes  | no (stopping: take it out of service)   |
 * | `closed`       | no   | no (with the error's code, if it failed) |
 *
 * With `stuck`, more than `maxStuck` stuck handlers also make it unready.
 *
 * @example
 * const probe = health([orders, invoices], { maxReconnectingMs: 60_000 });
 * http.createServer(healthListener(probe)).listen(8080); // GET /livez, /readyz
 */
export function health(sources: Sources, options: HealthOptions = {}): Health {
  rejectUnknownOptions(options, ['maxReconnectingMs', 'now', 'stuck', 'maxStuck']);
  const { stuck } = options;
  if (stuck !== undefined && typeof stuck?.stuck !== 'number')
    throw new InvalidOptionError('stuck', 'a stuckHandlers() watch', stuck);
  const maxStuck = options.maxStuck ?? 0;
  if (typeof maxStuck !== 'number' || !(maxStuck >= 0))
    throw new InvalidOptionError('maxStuck', 'a number ≥ 0', maxStuck);
  const maxReconnectingMs = options.maxReconnectingMs ?? 30_000;
  if (typeof maxReconnectingMs !== 'number' || !(maxReconnectingMs >= 0))
    throw new InvalidOptionError('maxReconnectingMs', 'a number ≥ 0', maxReconnectingMs);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new InvalidOptionError('now', 'a function', now);
  const watched: Watched[] = [];
  const subscriptions: Subscription[] = [];
  for (const { source } of entriesOf(sources, 'rxq')) {
    const w: Watched = { source, status: 'idle', error: undefined, retry: undefined, reconnectingSince: undefined };
    watched.push(w);
    subscriptions.push(source.status$.subscribe((event) => update(w, event)));
  }
  return {
    check: () => {
      const result = report(watched, now(), maxReconnectingMs);
      const count = stuck?.stuck ?? 0;
      if (count <= maxStuck) return result;
      const why = `${count} handler${count === 1 ? '' : 's'} stuck (limit ${maxStuck})`;
      return { live: result.live, ready: false, reason: result.reason === 'ok' ? why : `${result.reason}; ${why}` };
    },
    close: () => {
      for (const s of subscriptions) s.unsubscribe();
    },
  };
}

function update(w: Watched, event: StatusEvent): void {
  if (event.status === 'reconnecting') w.reconnectingSince ??= event.at;
  else w.reconnectingSince = undefined;
  w.status = event.status;
  w.error = event.error;
  w.retry = event.retry;
}

function report(watched: readonly Watched[], at: number, maxReconnectingMs: number): HealthReport {
  let live = true;
  let ready = true;
  const reasons: string[] = [];
  for (const w of watched) {
    const name = w.source.name;
    switch (w.status) {
      case 'connected':
        break;
      case 'reconnecting': {
        const forMs = Math.max(0, at - (w.reconnectingSince ?? at));
        const late = forMs > maxReconnectingMs;
        if (late) ready = false;
        reasons.push(
          `${name}: reconnecting for ${forMs} ms (retry ${w.retry ?? '?'}${late ? `, over ${maxReconnectingMs} ms` : ''}: ${describe(w.error)})`,
        );
        break;
      }
      case 'closed':
        live = false;
        ready = false;
        reasons.push(w.error === undefined ? `${name}: closed` : `${name}: stopped for good (${describe(w.error)})`);
        break;
      case 'idle':
        ready = false;
        reasons.push(`${name}: not subscribed`);
        break;
      default:
        ready = false;
        reasons.push(`${name}: ${w.status}`);
    }
  }
  return { live, ready, reason: reasons.length === 0 ? 'ok' : reasons.join('; ') };
}

/** An error's code or name: never its message, which may come from a broker or a user. */
function describe(error: unknown): string {
  if (error instanceof RxqError) return error.code;
  if (error instanceof Error) return error.name;
  return 'unknown error';
}
