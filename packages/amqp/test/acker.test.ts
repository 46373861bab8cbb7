import fc from 'fast-check';
import type { Channel, Message } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { Acker } from '../src/acker.js';

/**
 * A model of the broker's side of one channel: the unacked delivery tags, with AMQP's rules. An
 * ack or nack of a tag that is not unacked is a channel error (406 unknown delivery tag).
 */
function brokerChannel() {
  const unacked = new Set<number>();
  const acked = new Set<number>();
  const requeued = new Set<number>();
  let frames = 0;
  const take = (tag: number, into: Set<number>) => {
    if (!unacked.delete(tag)) throw new Error(`PRECONDITION_FAILED - unknown delivery tag ${tag}`);
    into.add(tag);
  };
  const channel = {
    ack(message: Message, multiple?: boolean) {
      frames++;
      const tag = message.fields.deliveryTag;
      if (!multiple) return take(tag, acked);
      if (!unacked.has(tag) && !acked.has(tag)) throw new Error(`unknown delivery tag ${tag}`);
      for (const t of [...unacked]) if (t <= tag) take(t, acked);
    },
    nack(message: Message, multiple?: boolean, requeue?: boolean) {
      frames++;
      expect(multiple).toBe(false);
      expect(requeue).toBe(true);
      take(message.fields.deliveryTag, requeued);
    },
  };
  return { channel: channel as unknown as Channel, unacked, acked, requeued, frames: () => frames };
}

describe('Acker', () => {
  it('acks exactly what was acked, requeues what was requeued, and never covers an unsettled delivery', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('ack', 'requeue', 'hold'), fc.boolean()), { maxLength: 80 }),
        (count, script) => {
          const broker = brokerChannel();
          const acker = new Acker(broker.channel);
          const open: number[] = [];
          for (let tag = 1; tag <= count; tag++) {
            broker.unacked.add(tag);
            acker.delivered(tag);
            open.push(tag);
          }
          const want = { ack: new Set<number>(), requeue: new Set<number>() };
          for (const [pick, kind, flush] of script) {
            if (open.length === 0) break;
            const [tag] = open.splice(pick % open.length, 1) as [number];
            if (kind === 'ack') {
              acker.ack(tag);
              want.ack.add(tag);
            } else if (kind === 'requeue') {
              acker.requeue(tag);
              want.requeue.add(tag);
            }
            if (flush) acker.flush();
          }
          acker.flush();
          expect(broker.acked).toEqual(want.ack);
          expect(broker.requeued).toEqual(want.requeue);
          for (const tag of want.ack) expect(acker.pending(tag)).toBe(false);
        },
      ),
    );
  });

  it('acks a contiguous run with one frame', () => {
    const broker = brokerChannel();
    const acker = new Acker(broker.channel);
    for (let tag = 1; tag <= 100; tag++) {
      broker.unacked.add(tag);
      acker.delivered(tag);
    }
    for (let tag = 100; tag >= 1; tag--) acker.ack(tag);
    acker.flush();
    expect(broker.acked.size).toBe(100);
    expect(broker.frames()).toBe(1);
  });

  it('does nothing, and throws nothing, once its channel is gone', () => {
    const channel = {
      ack: () => {
        throw new Error('Channel closed');
      },
    } as unknown as Channel;
    const acker = new Acker(channel);
    acker.delivered(1);
    acker.delivered(2);
    acker.ack(1);
    expect(() => acker.flush()).not.toThrow();
    acker.ack(2);
    expect(acker.pending(2)).toBe(false);
    expect(() => acker.flush()).not.toThrow();
  });
});
