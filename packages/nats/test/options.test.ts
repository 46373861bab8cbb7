import { InvalidOptionError } from '@rxq/core';
import { describe, expect, it } from 'vitest';
import { nats, type NatsOptions } from '../src/index.js';

describe('nats options', () => {
  it.each<[string, unknown, NatsOptions]>([
    ['stream', '', {}],
    ['stream', 'a.b', {}],
    ['stream', 42, {}],
    ['consumer', 'S', { consumer: 'x.y' }],
    ['consumer', 'S', { consumer: 'c', ephemeral: true }],
    ['ackWaitMs', 'S', { ackWaitMs: 0 }],
    ['expiresMs', 'S', { expiresMs: 500 }],
    ['inactiveMs', 'S', { inactiveMs: Number.NaN }],
    ['deliver', 'S', { deliver: 'first' as 'all' }],
    ['deliver', 'S', { deliver: { sequence: 0 } }],
    ['deliver', 'S', { deliver: { time: new Date('nope') } }],
    ['deliver.seq', 'S', { deliver: { sequence: 1, seq: 2 } as unknown as { sequence: number } }],
    ['deadLetterSubject', 'S', { deadLetterSubject: 'has space' }],
    ['deadLetterStream', 'S', { deadLetterStream: 'a.b' }],
    ['extendAckWait', 'S', { extendAckWait: 'yes' as unknown as boolean }],
    ['connection', 'S', { connection: 5 as unknown as string }],
    ['codec', 'S', { codec: {} as never }],
    ['ackWait', 'S', { ackWait: 5 } as NatsOptions],
  ])('rejects a bad %s at construction', (option, stream, options) => {
    const attempt = () => nats(stream as string, options);
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(expect.objectContaining({ option }));
  });

  it('suggests the closest known option for a typo', () => {
    expect(() => nats('S', { ackWait: 5 } as NatsOptions)).toThrow('did you mean `ackWaitMs`?');
  });

  it('names what it uses after the stream, with json as its default codec', () => {
    const c = nats('ORDERS');
    expect(c).toMatchObject({
      name: 'ORDERS',
      stream: 'ORDERS',
      consumer: 'rxq-ORDERS',
      deadLetterSubject: 'rxq.dead.ORDERS',
      deadLetterStream: 'ORDERS_dead',
    });
    expect(c.defaultCodec.name).toBe('json');
    expect(nats('ORDERS', { ephemeral: true }).consumer).toBeUndefined();
    expect(nats('ORDERS', { deadLetterSubject: false }).deadLetterSubject).toBe(false);
  });
});
