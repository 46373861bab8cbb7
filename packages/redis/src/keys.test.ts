import { InvalidOptionError } from '@rxq/core';
import { describe, expect, it } from 'vitest';
import { hashTag, keySlot, keyStem, sameSlot } from './keys.js';

describe('keySlot', () => {
  // Slots as `CLUSTER KEYSLOT` on Redis 7.0 gave them (the cluster suite compares many more).
  it.each([
    ['foo', 12182],
    ['somekey', 11058],
    ['{user1000}.following', 3443],
    ['123456789', 12739],
    ['a{}b', 13694],
    ['a{b', 13340],
    ['{orders}:dead', 105],
    ['orders', 105],
    ['jobs{eu}x', 6893],
    ['é', 10180],
  ])('%s is in slot %i', (key, slot) => expect(keySlot(key)).toBe(slot));

  it('hashes only the first non-empty hash tag', () => {
    expect(hashTag('a{b}c{d}')).toBe('b');
    expect(hashTag('{}x{y}')).toBe('{}x{y}');
    expect(hashTag('no-tag')).toBe('no-tag');
  });
});

describe('keyStem', () => {
  it('keeps the name on a standalone server (the layout of earlier versions)', () => {
    expect(keyStem('orders', false, 'queue')).toBe('orders');
    expect(keyStem('a}b', false, 'queue')).toBe('a}b');
  });

  it('wraps a name without a hash tag on a cluster, so that its keys share the queue key’s slot', () => {
    expect(keyStem('orders', true, 'queue')).toBe('{orders}');
    expect(keySlot('{orders}:processing:c1')).toBe(keySlot('orders'));
  });

  it('keeps a name that has a hash tag on a cluster', () => {
    expect(keyStem('{orders}', true, 'queue')).toBe('{orders}');
    expect(keyStem('jobs{eu}', true, 'queue')).toBe('jobs{eu}');
  });

  it('refuses on a cluster a name whose braces cannot make one slot, naming the option', () => {
    for (const name of ['a}b', 'a{}b'])
      expect(() => keyStem(name, true, 'queue')).toThrow(expect.objectContaining({ option: 'queue' }));
    expect(() => keyStem('a}b', true, 'stream')).toThrow(InvalidOptionError);
  });

  it('sameSlot refuses a key outside the queue’s slot, naming the option', () => {
    expect(() => sameSlot('deadLetterKey', '{orders}:failed', 'orders', '{orders}')).not.toThrow();
    expect(() => sameSlot('deadLetterKey', 'failed', 'orders', '{orders}')).toThrow(
      expect.objectContaining({ option: 'deadLetterKey' }),
    );
  });
});
