import { describe, expect, it } from 'vitest';
import { decodeTable, toAmqplibTable } from '../src/fieldTable.js';
import { rawTextHeaders, textHeaders } from '../src/fieldText.js';
import { inferTable } from '../src/inferTable.js';
import { fieldText, type AmqpFieldValue } from '../src/index.js';

/** Encodes `key` = a tagged value as one field-table entry. */
function entry(key: string, tag: string, payload: Buffer): Buffer {
  const k = Buffer.from(key, 'utf8');
  return Buffer.concat([Buffer.from([k.length]), k, Buffer.from(tag, 'latin1'), payload]);
}
const sized = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);

describe('AMQP field tables', () => {
  it('decodes each tag with its type, 64-bit values as bigint, keys like __proto__ as plain keys', () => {
    const long = Buffer.alloc(8);
    long.writeBigInt64BE(-(2n ** 60n) - 1n);
    const table = decodeTable(
      Buffer.concat([
        entry('b', 'b', Buffer.from([0xf9])),
        entry('l', 'l', long),
        entry('__proto__', 'S', sized(Buffer.from('x'))),
        entry('nested', 'F', sized(entry('v', 'V', Buffer.alloc(0)))),
      ]),
    );
    expect(table.b).toEqual({ type: 'int8', value: -7 });
    expect(table.l).toEqual({ type: 'int64', value: -(2n ** 60n) - 1n });
    expect(Object.keys(table)).toContain('__proto__');
    expect(Object.getPrototypeOf(table)).toBe(Object.prototype);
    expect(table.nested).toEqual({ type: 'table', value: { v: { type: 'void', value: null } } });
    expect(() => decodeTable(entry('q', 'Q', Buffer.alloc(1)))).toThrow(TypeError);
    expect(() => decodeTable(entry('s', 'S', Buffer.from([0, 0, 0, 9, 1])))).toThrow(RangeError);
  });

  it('reads the string view straight from the bytes exactly as from the typed table', () => {
    const n = (size: number, write: (b: Buffer) => void) => {
      const b = Buffer.alloc(size);
      write(b);
      return b;
    };
    const bytes = Buffer.concat([
      entry(
        'b',
        'b',
        n(1, (b) => b.writeInt8(-7)),
      ),
      entry(
        'B',
        'B',
        n(1, (b) => b.writeUInt8(200)),
      ),
      entry(
        't',
        't',
        n(1, (b) => b.writeUInt8(1)),
      ),
      entry(
        's',
        's',
        n(2, (b) => b.writeInt16BE(-300)),
      ),
      entry(
        'u',
        'u',
        n(2, (b) => b.writeUInt16BE(60000)),
      ),
      entry(
        'I',
        'I',
        n(4, (b) => b.writeInt32BE(-7)),
      ),
      entry(
        'i',
        'i',
        n(4, (b) => b.writeUInt32BE(4e9)),
      ),
      entry(
        'f',
        'f',
        n(4, (b) => b.writeFloatBE(0.1)),
      ),
      entry(
        'l',
        'l',
        n(8, (b) => b.writeBigInt64BE(-(2n ** 62n))),
      ),
      entry(
        'T',
        'T',
        n(8, (b) => b.writeBigUInt64BE(1764072000n)),
      ),
      entry(
        'd',
        'd',
        n(8, (b) => b.writeDoubleBE(Math.E)),
      ),
      entry('D', 'D', Buffer.from([2, 0xff, 0xff, 0xff, 0x6a])),
      entry('V', 'V', Buffer.alloc(0)),
      entry('S', 'S', sized(Buffer.from('h\u00e9'))),
      entry('S2', 'S', sized(Buffer.from([0xff]))),
      entry('x', 'x', sized(Buffer.from('ok'))),
      entry('x2', 'x', sized(Buffer.from([0xc3]))),
      entry(
        'F',
        'F',
        sized(
          entry(
            'in',
            'I',
            n(4, (b) => b.writeInt32BE(1)),
          ),
        ),
      ),
      entry('A', 'A', sized(Buffer.from('V'))),
      entry('__proto__', 'S', sized(Buffer.from('p'))),
    ]);
    const text = rawTextHeaders(bytes);
    expect(text).toEqual(textHeaders(decodeTable(bytes)));
    expect(Object.keys(text ?? {})).toHaveLength(15);
    expect(text?.D).toBe('-1.50');
  });

  it.each<[AmqpFieldValue, string | undefined]>([
    [{ type: 'decimal', value: { places: 3, digits: 5 } }, '0.005'],
    [{ type: 'decimal', value: { places: 3, digits: -5 } }, '-0.005'],
    [{ type: 'decimal', value: { places: 0, digits: -42 } }, '-42'],
    [{ type: 'decimal', value: { places: 2, digits: 12345 } }, '123.45'],
    [{ type: 'int64', value: 2n ** 63n - 1n }, '9223372036854775807'],
    [{ type: 'timestamp', value: 1764072000n }, '1764072000'],
    [{ type: 'float', value: Math.fround(0.1) }, '0.10000000149011612'],
    [{ type: 'bytes', value: Buffer.from('ok') }, 'ok'],
    [{ type: 'bytes', value: Buffer.from([0xff]) }, undefined],
    [{ type: 'string', value: '\ufffd', bytes: Buffer.from([0xff]) }, undefined],
    [{ type: 'void', value: null }, undefined],
    [{ type: 'array', value: [] }, undefined],
    [{ type: 'boolean', value: false }, 'false'],
  ])('text of case %#', (value, text) => {
    expect(fieldText(value)).toBe(text);
  });

  it('writes every typed value in the explicit form amqplib encodes with the same tag', () => {
    const table = toAmqplibTable(
      {
        i: { type: 'int32', value: -7 },
        l: { type: 'int64', value: 2n ** 62n + 1n },
        d: { type: 'decimal', value: { places: 1, digits: -15 } },
        t: { type: 'table', value: { '!': { type: 'uint8', value: 1 } } },
        s: { type: 'string', value: '\ufffd', bytes: Buffer.from([0xff]) },
        'x-death': { type: 'array', value: [] },
      },
      (key) => key === 'x-death',
    );
    expect(table).toEqual({
      i: { '!': 'int32', value: -7 },
      l: { '!': 'int64', value: 2n ** 62n + 1n },
      d: { '!': 'decimal', value: { places: 1, digits: 2 ** 32 - 15 } },
      t: { '!': 'object', value: { '!': { '!': 'uint8', value: 1 } } },
      s: Buffer.from([0xff]),
    });
  });

  it('infers types as amqplib would encode its decoded values, when the raw frame is not available', () => {
    const table = inferTable({ a: -7, b: 300, c: 1.5, d: 'x', e: { '!': 'timestamp', value: 5 }, f: [null] });
    expect(table).toEqual({
      a: { type: 'int8', value: -7 },
      b: { type: 'int16', value: 300 },
      c: { type: 'double', value: 1.5 },
      d: { type: 'string', value: 'x' },
      e: { type: 'timestamp', value: 5n },
      f: { type: 'array', value: [{ type: 'void', value: null }] },
    });
    expect(textHeaders(table)).toEqual({ a: '-7', b: '300', c: '1.5', d: 'x', e: '5' });
  });
});
