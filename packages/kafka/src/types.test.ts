import { bytes, text, type Connector } from '@rxq/core';
import { describe, expectTypeOf, it } from 'vitest';
import { kafka } from './kafka.js';
import type { KafkaDelivery } from './partition.js';

describe('kafka() carries the codec’s body type', () => {
  it('T | null by default (tombstones are delivered with body null), T with tombstones: skip', () => {
    expectTypeOf(kafka('t', { groupId: 'g', codec: text })).toEqualTypeOf<Connector<KafkaDelivery, string | null>>();
    expectTypeOf(kafka('t', { groupId: 'g', codec: bytes, tombstones: 'skip' })).toEqualTypeOf<
      Connector<KafkaDelivery, Uint8Array>
    >();
    expectTypeOf(kafka('t', { groupId: 'g' })).toEqualTypeOf<Connector<KafkaDelivery, unknown>>();
    const skipping = kafka('t', { groupId: 'g', codec: text, tombstones: 'skip' });
    // @ts-expect-error: a text codec does not make numbers
    expectTypeOf(skipping).toEqualTypeOf<Connector<KafkaDelivery, number>>();
  });
});
