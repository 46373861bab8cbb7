// Type tests: run by vitest's typecheck (tsc) in the memory project. A wrong type fails the run,
// and so does a `@ts-expect-error` line that compiles.
import { describe, expectTypeOf, it } from 'vitest';
import { fromQueue, json, type QueueObservable } from '@rxq/core';
import { MemoryQueue, memory } from '../src/index.js';

interface Order {
  id: string;
  qty: number;
}

describe('the body type of a memory source', () => {
  it('memory bodies are the pushed type, or the codec type', () => {
    expectTypeOf(fromQueue(memory(new MemoryQueue<Order>()))).toEqualTypeOf<QueueObservable<Order, undefined>>();
    expectTypeOf(fromQueue(memory(new MemoryQueue<string>(), { codec: json }))).toEqualTypeOf<
      QueueObservable<unknown, undefined>
    >();
    // @ts-expect-error the queue holds strings
    fromQueue<Order>(memory(new MemoryQueue<string>()));
  });
});
