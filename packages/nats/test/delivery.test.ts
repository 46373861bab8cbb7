import { headers } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { copyHeaders } from '../src/deadLetters.js';
import { attemptOfMsg, stringHeaders } from '../src/delivery.js';

describe('nats deliveries', () => {
  it('counts the attempt from the server delivery count and the rxq attempt header', () => {
    expect(attemptOfMsg(1, undefined)).toBe(1);
    expect(attemptOfMsg(3, undefined)).toBe(3);
    expect(attemptOfMsg(1, { 'x-rxq-attempt': '4' })).toBe(4);
    expect(attemptOfMsg(2, { 'x-rxq-attempt': '4' })).toBe(5);
  });

  it('shows repeated headers joined, and copies them exactly, value by value', () => {
    const h = headers();
    h.append('Trace', 'a');
    h.append('Trace', 'b, c');
    h.set('Nats-Expected-Last-Sequence', '7');
    h.set('x-rxq-dead-reason', 'old');
    expect(stringHeaders(h)).toMatchObject({ Trace: 'a, b, c' });
    const copy = copyHeaders(h, { 'x-rxq-dead-reason': 'decode', 'x-rxq-error-message': 'line\r\nbreak' });
    expect(copy.values('Trace')).toEqual(['a', 'b, c']);
    expect(copy.has('Nats-Expected-Last-Sequence')).toBe(false);
    expect(copy.values('x-rxq-dead-reason')).toEqual(['decode']);
    expect(copy.get('x-rxq-error-message')).toBe('line break');
  });
});
