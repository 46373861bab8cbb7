import { describe, expect, it } from 'vitest';
import { fromQueue, isMessage, messagesOf } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { MemoryQueue, memory } from '../../src/index.js';

describe('messagesOf and isMessage', () => {
  it('tells rxq messages from other values, and lists the messages of an item', async () => {
    const queue = new MemoryQueue<number>();
    queue.push(1);
    const source = fromQueue<number>(memory(queue, { pollMs: 20 }));
    const [m] = await collectUntil(source, (ms) => ms.length === 1);
    expect(isMessage(m)).toBe(true);
    for (const other of [null, undefined, 1, 'x', { ack: () => undefined }, { attempt: 1 }]) {
      expect(isMessage(other)).toBe(false);
    }
    expect(messagesOf(m!)).toEqual([m]);
    expect(messagesOf([m!, m!])).toHaveLength(2);
    expect(messagesOf([])).toEqual([]);
  });
});
