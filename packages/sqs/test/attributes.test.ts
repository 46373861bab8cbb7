import { describe, expect, it } from 'vitest';
import { deadLetterAttributes } from '../src/deadLetters.js';
import { attemptOfMessage, stringHeaders } from '../src/delivery.js';

describe('sqs attributes', () => {
  it('counts the attempt from the receive count and the rxq attempt attribute', () => {
    expect(attemptOfMessage('1', undefined)).toBe(1);
    expect(attemptOfMessage('3', undefined)).toBe(3);
    expect(attemptOfMessage(undefined, { 'x-rxq-attempt': '4' })).toBe(4);
    expect(attemptOfMessage('2', { 'x-rxq-attempt': '4' })).toBe(5);
  });

  it('shows String and Number attributes as they are and Binary as base64', () => {
    expect(
      stringHeaders({
        s: { DataType: 'String', StringValue: 'x' },
        n: { DataType: 'Number', StringValue: '-7' },
        b: { DataType: 'Binary', BinaryValue: new Uint8Array([0xff, 0]) },
      }),
    ).toEqual({ s: 'x', n: '-7', b: '/wA=' });
  });

  it('copies typed attributes exactly and adds rxq reasons, as one attribute when ten would not fit', () => {
    const bin = { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) };
    const rxq = { 'x-rxq-dead-reason': 'decode', 'x-rxq-origin': 'q' };
    const few = deadLetterAttributes({ b: bin, n: { DataType: 'Number.int', StringValue: '-7' } }, rxq);
    expect(few.b).toBe(bin);
    expect(few.n).toEqual({ DataType: 'Number.int', StringValue: '-7' });
    expect(few['x-rxq-dead-reason']).toEqual({ DataType: 'String', StringValue: 'decode' });
    const nine = Object.fromEntries(
      Array.from({ length: 9 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: String(i) }]),
    );
    const many = deadLetterAttributes(nine, rxq);
    expect(Object.keys(many)).toHaveLength(10);
    expect(JSON.parse(many['x-rxq-dead']!.StringValue!)).toEqual(rxq);
  });
});
