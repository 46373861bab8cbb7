import { ack, chunk, fromQueue, handle, silentLogger, type Message } from '@rxq/core';
import { memory, MemoryQueue } from '@rxq/memory';
import { expect, expectTypeOf, it } from 'vitest';
import { stuckHandlers, traced, tracedAck } from '../src/index.js';

it('traced keeps the handler’s types: the message type flows in from the pipe', async () => {
  const queue = new MemoryQueue<{ n: number }>();
  queue.push({ n: 2 });
  const source = fromQueue(memory(queue, { pollMs: 10 }), { logger: silentLogger });
  const watch = stuckHandlers({ logger: silentLogger });
  const seen: number[] = [];
  const one = source.pipe(
    handle(
      traced(
        watch.wrap(async (msg) => {
          expectTypeOf(msg).toEqualTypeOf<Message<{ n: number }, undefined>>();
          seen.push(msg.body.n);
          return msg.body.n * 2;
        }),
      ),
    ),
    tracedAck(),
  );
  const batches = source.pipe(chunk({ size: 10 }), handle(traced((batch) => batch.length)), ack());
  expectTypeOf(batches).not.toBeAny();
  const { firstValueFrom } = await import('rxjs');
  const record = await firstValueFrom(one);
  expect(record.settlement).toBe('acked');
  expect(seen).toEqual([2]);
  watch.close();
});
