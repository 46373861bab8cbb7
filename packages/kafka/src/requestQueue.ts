import { createRequire } from 'node:module';

interface RequestQueueLike {
  pending: unknown[];
  scheduleCheckPendingRequests: (this: RequestQueueLike) => void;
}

let patched = false;

/**
 * kafkajs 2.2.4 re-arms a timer after every response even when no request waits
 * (`scheduleCheckPendingRequests` with an empty queue computes `-1 - Date.now()` as its delay):
 * Node 24 prints a `TimeoutNegativeWarning` for it, and every connection wakes the event loop
 * each millisecond for nothing. With nothing pending no check is needed (a request that cannot be
 * sent at once schedules its own), so the empty case is skipped; the rest is kafkajs' code.
 * Applies to the kafkajs copy `@rxq/kafka` resolves; a no-op if its layout differs.
 */
export function quietRequestQueue(): void {
  if (patched) return;
  patched = true;
  try {
    const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as {
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
