import { json } from '@rxq/core';
import { contractSuite, type DeadLetterView } from '@rxq/core/testing';
import { MemoryQueue } from '@rxq/memory';
import { gateway, LineClient, serve } from '../src/index.js';

// fromQueue(gateway('tcp://…')) against a running gateway serving a memory queue; messages are
// published over the line protocol as any client would.
contractSuite({
  name: 'gateway',
  create: async () => {
    const queue = new MemoryQueue<unknown>();
    const deadLetters = new MemoryQueue<unknown>();
    const gw = await serve({ port: 0, queues: { q: queue, 'q.dead-letter': deadLetters } });
    const producer = await LineClient.open('127.0.0.1', gw.port, () => undefined, 5_000);
    return {
      connector: () => gateway(`tcp://127.0.0.1:${gw.port}`, { queue: 'q', codec: json, pollMs: 50 }),
      publish: async (bodies) => {
        await producer.call(
          'push_many',
          bodies.map((b) => JSON.stringify(b)),
          { queue: 'q' },
        );
      },
      // Bytes cannot cross a JSON line: they go in beside the gateway, as an in-process producer would.
      publishRaw: async (payloads) => {
        for (const p of payloads) {
          if (typeof p === 'string') await producer.call('push', [p], { queue: 'q' });
          else queue.push(p);
        }
      },
      deadLetters: async (): Promise<DeadLetterView[]> =>
        snapshot(deadLetters).map((d) => {
          const r = d as { value: unknown; reason: string; error?: { message: string } };
          return { raw: r.value, reason: r.reason, errorMessage: r.error?.message };
        }),
      close: async () => {
        await producer.close();
        await gw.close();
      },
    };
  },
});

function snapshot<T>(q: MemoryQueue<T>): T[] {
  const all = q.size > 0 ? q.take(q.size).values : [];
  q.pushMany(all);
  return all;
}
