import { InvalidOptionError, rejectUnknownOptions } from '@rxq/core';
import { MemoryQueue } from '@rxq/memory';
import type { DeadLetterRecord, Item, PutBack, QueueBackend } from './backend.js';

/** Options of {@link memoryBackend}. */
export interface MemoryBackendOptions {
  /**
   * Where dead letters go: `{ value, reason, error, attempt, headers, at }` records, pushed as
   * values. @default a new MemoryQueue, served as `<name>.dead-letter` by {@link serve}
   */
  readonly deadLetter?: MemoryQueue<unknown>;
}

/** A memory backend, with the queue its dead letters go to. */
export interface MemoryBackend extends QueueBackend {
  readonly queue: MemoryQueue<unknown>;
  readonly deadLetters: MemoryQueue<unknown>;
}

/**
 * Serves an in-process {@link MemoryQueue}: the gateway's default backend. Values are kept as
 * pushed (any JSON value); what a client takes is a lease, and what comes back goes to the front of
 * the queue (a release, a dropped client) or its back (a nack), with `attempt + 1` where it counts.
 *
 * @example
 * const orders = new MemoryQueue<unknown>();
 * await serve({ queues: { orders: memoryBackend('orders', orders) } });
 */
export function memoryBackend(
  name: string,
  queue: MemoryQueue<unknown> = new MemoryQueue<unknown>(),
  options: MemoryBackendOptions = {},
): MemoryBackend {
  rejectUnknownOptions(options, ['deadLetter']);
  if (!(queue instanceof MemoryQueue)) throw new InvalidOptionError('queue', 'a MemoryQueue', queue);
  const deadLetters = options.deadLetter ?? new MemoryQueue<unknown>();
  const delayed = new Set<{ timer: NodeJS.Timeout; items: readonly Item[]; how: PutBack }>();

  const put = (items: readonly Item[], how: PutBack): void => {
    const ordered = how.front ? [...items].reverse() : items;
    for (const item of ordered) {
      const attempt = item.attempt + (how.countAttempt ? 1 : 0);
      const headers = how.headers ?? item.headers;
      const envelope =
        attempt === 1 && headers === undefined ? undefined : headers === undefined ? { attempt } : { attempt, headers };
      queue.put(item.value, envelope, how.front);
    }
    queue.wake();
  };

  return {
    name,
    queue,
    deadLetters,
    push(values) {
      queue.pushMany(values);
    },
    async take(max, timeoutMs, signal) {
      const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
      while (queue.size === 0) {
        const left = deadline - performance.now();
        if (left <= 0 || signal?.aborted) return [];
        let cancel: (() => void) | undefined;
        const onAbort = (): void => cancel?.();
        signal?.addEventListener('abort', onAbort, { once: true });
        await queue.wait(max, 1, left, (c) => (cancel = c));
        signal?.removeEventListener('abort', onAbort);
      }
      if (signal?.aborted) return [];
      const { values, envelopes } = queue.take(max);
      const items = new Array<Item>(values.length);
      for (let i = 0; i < values.length; i++) {
        const e = envelopes[i];
        items[i] =
          e === undefined
            ? { value: values[i], attempt: 1 }
            : { value: values[i], attempt: e.attempt, headers: e.headers };
      }
      return items;
    },
    ack() {
      // Taken items are already out of the queue: nothing to do.
    },
    putBack(items, how) {
      const delayMs = how.delayMs ?? 0;
      if (delayMs <= 0) return put(items, how);
      const entry = {
        items,
        how,
        timer: setTimeout(() => {
          delayed.delete(entry);
          put(items, how);
        }, delayMs),
      };
      delayed.add(entry);
    },
    deadLetter(item: Item, record: DeadLetterRecord) {
      // put, not push: a dead letter is a copy, not a publish (no new trace context).
      deadLetters.put(
        {
          value: item.value,
          reason: record.reason,
          ...(record.error ? { error: record.error } : {}),
          attempt: item.attempt,
          headers: item.headers ?? {},
          at: record.at,
        },
        undefined,
        false,
      );
      deadLetters.wake();
    },
    size: () => queue.size,
    async close() {
      // Delayed nacks are settled back to the queue already; on close they go in at once.
      for (const entry of delayed) {
        clearTimeout(entry.timer);
        put(entry.items, entry.how);
      }
      delayed.clear();
    },
  };
}
