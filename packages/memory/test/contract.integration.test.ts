import { contractSuite, type DeadLetterView } from '@rxq/core/testing/contract';
import { json } from '@rxq/core';
import { MemoryQueue, memory, type DeadLetter } from '../src/index.js';

contractSuite({
  name: 'memory',
  create: async () => {
    const queue = new MemoryQueue<string | Uint8Array>();
    const deadLetter = new MemoryQueue<DeadLetter<string | Uint8Array>>();
    return {
      connector: () => memory(queue, { deadLetter, codec: json }),
      publish: async (bodies) => queue.pushMany(bodies.map((b) => JSON.stringify(b))),
      publishRaw: async (payloads) => queue.pushMany(payloads),
      deadLetters: async (): Promise<DeadLetterView[]> =>
        [...deadLetterSnapshot(deadLetter)].map((d) => ({
          raw: d.value,
          reason: d.reason,
          errorMessage: d.error?.message,
        })),
      close: async () => undefined,
    };
  },
});

function deadLetterSnapshot<T>(q: MemoryQueue<T>): T[] {
  const all = q.size > 0 ? q.take(q.size).values : [];
  q.pushMany(all);
  return all;
}
