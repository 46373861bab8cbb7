import { Observable, type OperatorFunction } from 'rxjs';
import type { Message, Settlement } from '../message.js';
import type { Batch, Item, Outcome } from '../outcome.js';

/** What `ack` emits for each message it saw settled. */
export interface SettlementRecord {
  readonly id: string;
  readonly source: string;
  /** How the message ended: acked, requeued (a nacked failure), resent, dead-lettered or released. */
  readonly settlement: Settlement;
  /** Whether the handler succeeded. */
  readonly ok: boolean;
  readonly attempt: number;
  /** The handler's duration. */
  readonly durationMs: number;
  /** The handler's error, for failures. */
  readonly error?: unknown;
}

/** Options of {@link ack}. */
export interface AckOptions {
  /** How `ack` settles a failure nobody settled: requeue it, or dead-letter it (`false`). @default true */
  readonly requeue?: boolean;
}

/**
 * Settles what reaches it: successes are acked, failures not settled yet are nacked (requeued by
 * default). Emits one record per message, for logs and metrics. Settlements are batched by the
 * connectors, so `ack` does not wait for the broker.
 *
 * @example
 * source.pipe(handle(work), retryWithResend({ maxAttempts: 3 }), ack()).subscribe((r) => log(r.settlement, r.id))
 */
export function ack<I extends Item, R>(options: AckOptions = {}): OperatorFunction<Outcome<I, R>, SettlementRecord> {
  const requeue = options.requeue ?? true;
  return (source) =>
    new Observable<SettlementRecord>((subscriber) => {
      const subscription = source.subscribe({
        next(outcome) {
          const { item } = outcome;
          if (!Array.isArray(item)) return settle(outcome, item as Message<unknown>);
          for (const message of item as Batch<unknown>) settle(outcome, message);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      function settle(outcome: Outcome<I, R>, message: Message<unknown>): void {
        if (message.settlement === undefined) {
          if (outcome.ok) void message.ack();
          else void message.nack({ requeue });
        }
        const record: { -readonly [K in keyof SettlementRecord]: SettlementRecord[K] } = {
          id: message.id,
          source: message.source,
          settlement: message.settlement ?? 'acked',
          ok: outcome.ok,
          attempt: message.attempt,
          durationMs: outcome.durationMs,
        };
        if (!outcome.ok) record.error = outcome.error;
        subscriber.next(record);
      }
      return subscription;
    });
}
