import { RxqError } from './errors.js';
import type { Message } from './message.js';

/** A batch of messages, as `chunk` emits it. */
export type Batch<T = unknown> = readonly Message<T>[];

/** What `handle` works on: one message or a batch. */
export type Item = Message<unknown> | Batch<unknown>;

/** A handler finished: `value` is what it returned (an Observable's last value). */
export interface Success<I extends Item, R> {
  readonly ok: true;
  readonly item: I;
  readonly value: R;
  readonly durationMs: number;
}

/** A handler failed (threw, rejected, errored or timed out) for `item`. */
export interface Failure<I extends Item> {
  readonly ok: false;
  readonly item: I;
  readonly error: unknown;
  readonly durationMs: number;
}

/** The result of handling one item: failure is a value, never an error of the stream. */
export type Outcome<I extends Item, R = unknown> = Success<I, R> | Failure<I>;

/** The messages of an item: the message itself, or the batch's messages. */
export function messagesOf(item: Item): readonly Message<unknown>[] {
  return Array.isArray(item) ? (item as Batch<unknown>) : [item as Message<unknown>];
}

/**
 * Thrown (or returned as a rejection) by a batch handler that finished part of its batch: the
 * messages in `failed` fail with `cause`, the rest of the batch succeeds.
 *
 * @example
 * handle(async (batch) => {
 *   const failed = await saveAll(batch); // the messages not saved
 *   if (failed.length) throw new PartialFailure(failed, new Error('constraint violation'));
 * })
 */
export class PartialFailure extends RxqError {
  readonly failed: readonly Message<unknown>[];
  constructor(failed: readonly Message<unknown>[], cause?: unknown) {
    super('PARTIAL_FAILURE', `${failed.length} message(s) of the batch failed`, { cause, retryable: true });
    this.name = 'PartialFailure';
    this.failed = failed;
  }
}
