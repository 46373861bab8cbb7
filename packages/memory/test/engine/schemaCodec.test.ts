import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ack, fromQueue, handle, schemaCodec, silentLogger } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { MemoryQueue, memory, type DeadLetter } from '../../src/index.js';

const ZOrder = z.object({
  id: z.string(),
  qty: z.number().int().positive(),
  items: z.array(z.object({ sku: z.string() })),
});
const good = { id: 'o-1', qty: 2, items: [{ sku: 'a' }] };
const SECRET = 'card-4111111111111111';
const bad = { id: 'o-2', qty: SECRET, items: [{ sku: 7 }] };

describe('schemaCodec on a source', () => {
  for (const [kind, schema] of [
    ['sync', ZOrder],
    ['async', ZOrder.refine(async () => Promise.resolve(true))],
  ] as const) {
    it(`${kind}: dead-letters an invalid body at once with reason invalid, and the stream goes on in order`, async () => {
      const queue = new MemoryQueue<string>();
      const deadLetter = new MemoryQueue<DeadLetter<string>>();
      const bodies = [good, bad, { ...good, id: 'o-3' }, { ...good, id: 'o-4' }];
      queue.pushMany(bodies.map((b) => JSON.stringify(b)));
      const source = fromQueue(memory(queue, { deadLetter, pollMs: 20 }), {
        codec: schemaCodec(schema),
        logger: silentLogger,
      });
      const records = await collectUntil(
        source.pipe(
          handle((m) => m.body.id),
          ack(),
        ),
        (rs) => rs.length === 3,
      );
      await source.stop();
      expect(records.map((r) => r.settlement)).toEqual(['acked', 'acked', 'acked']);
      expect(source.metrics.snapshot()).toMatchObject({ received: 3, poison: 1, deadLettered: 1 });
      const [letter] = await deadLetter.pullMany(1);
      expect(letter).toMatchObject({ reason: 'invalid', attempt: 1, error: { name: 'ValidationError' } });
      expect(letter?.error?.message).toContain('qty');
      expect(letter?.error?.message).not.toContain(SECRET);
    });
  }
});
