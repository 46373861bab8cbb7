import { createRequire } from 'node:module';

interface RequestQueueLike {
  pending: unknown[];
  scheduleCheckPendingRequests: (this: RequestQueueLike) => void;
}

/** The kafkajs copies (by resolved path) already quieted. */
const patched = new Set<string>();

/**
 * kafkajs 2.2.4 re-arms a timer after every response even when no request waits
 * (`scheduleCheckPendingRequests` with an empty queue computes `-1 - Date.now()` as its delay):
 * Node 24 prints a `TimeoutNegativeWarning` for it, and every connection wakes the event loop
 * each millisecond for nothing. With nothing pending no check is needed (a request that cannot be
 * sent at once schedules its own), so the empty case is skipped; the rest is kafkajs' code.
 * Applies to the kafkajs copy resolved from `from` (by default the one `@rxq/kafka` uses); a no-op
 * if its layout differs. Tools that make their own kafkajs clients call it with their own
 * `import.meta.url`.
 *
 * @example
 * quietRequestQueue(import.meta.url); // before `new Kafka(...)`
 */
export function quietRequestQueue(from: string = import.meta.url): void {
  try {
    const require = createRequire(from);
    const path = require.resolve('kafkajs/src/network/requestQueue/index.js');
    if (patched.has(path)) return;
    patched.add(path);
    const RequestQueue = require(path) as {
      prototype?: RequestQueueLike;
    };
    const proto = RequestQueue.prototype;
    if (!proto || typeof proto.scheduleCheckPendingRequests !== 'function') return;
    const original = proto.scheduleCheckPendingRequests;
    proto.scheduleCheckPendingRequests = function (this: RequestQueueLike): void {
      if (this.pending.length === 0) return;
      original.call(this);
    };
  } catch {
    // Another kafkajs layout: leave it as it is.
  }
}
