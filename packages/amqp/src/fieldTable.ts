import { isUtf8 } from 'node:buffer';

/** AMQP field types that carry a JS number exactly. */
export type AmqpNumberType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float' | 'double';

/**
 * One AMQP field-table value with its wire type (RabbitMQ's tags: `b B s u I i l f d D S x t T V F
 * A`). 64-bit integers and timestamps are `bigint`, so no precision is lost; a decimal keeps its
 * scale (`places`) and its signed 32-bit `digits` (value = digits × 10^-places).
 *
 * A `string` (longstr `S`) is UTF-8 text; when the bytes on the wire are not valid UTF-8, `value`
 * holds the text with U+FFFD replacements and `bytes` the exact bytes.
 */
export type AmqpFieldValue =
  | { readonly type: 'string'; readonly value: string; readonly bytes?: Buffer }
  | { readonly type: 'bytes'; readonly value: Buffer }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: AmqpNumberType; readonly value: number }
  | { readonly type: 'int64' | 'timestamp'; readonly value: bigint }
  | { readonly type: 'decimal'; readonly value: { readonly places: number; readonly digits: number } }
  | { readonly type: 'void'; readonly value: null }
  | { readonly type: 'table'; readonly value: AmqpTable }
  | { readonly type: 'array'; readonly value: readonly AmqpFieldValue[] };

/** An AMQP field table (message headers, nested tables) with every value's wire type. */
export type AmqpTable = Readonly<Record<string, AmqpFieldValue>>;

/** A field table as amqplib encodes it back exactly: every value in its `{ '!': type, value }` form. */
export type AmqplibTable = Record<string, unknown>;

/** Sets `key` as an own data property, so that a key such as `__proto__` stays a plain key. */
export function put<V>(out: Record<string, V>, key: string, value: V): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/**
 * Decodes the bytes of a field table (without its 4-byte length) into typed values. Throws a
 * `RangeError` on a truncated table and a `TypeError` on an unknown type tag.
 */
export function decodeTable(bytes: Buffer): AmqpTable {
  const out: Record<string, AmqpFieldValue> = {};
  let offset = 0;
  while (offset < bytes.length) {
    const length = bytes.readUInt8(offset);
    const key = bytes.toString('utf8', offset + 1, offset + 1 + length);
    offset += 1 + length;
    const [value, next] = decodeValue(bytes, offset);
    put(out, key, value);
    offset = next;
  }
  return out;
}

function decodeValue(b: Buffer, at: number): [AmqpFieldValue, number] {
  const tag = String.fromCharCode(b.readUInt8(at));
  const o = at + 1;
  switch (tag) {
    case 'b':
      return [{ type: 'int8', value: b.readInt8(o) }, o + 1];
    case 'B':
      return [{ type: 'uint8', value: b.readUInt8(o) }, o + 1];
    case 's':
      return [{ type: 'int16', value: b.readInt16BE(o) }, o + 2];
    case 'u':
      return [{ type: 'uint16', value: b.readUInt16BE(o) }, o + 2];
    case 'I':
      return [{ type: 'int32', value: b.readInt32BE(o) }, o + 4];
    case 'i':
      return [{ type: 'uint32', value: b.readUInt32BE(o) }, o + 4];
    case 'l':
      return [{ type: 'int64', value: b.readBigInt64BE(o) }, o + 8];
    case 'f':
      return [{ type: 'float', value: b.readFloatBE(o) }, o + 4];
    case 'd':
      return [{ type: 'double', value: b.readDoubleBE(o) }, o + 8];
    case 'D':
      return [{ type: 'decimal', value: { places: b.readUInt8(o), digits: b.readInt32BE(o + 1) } }, o + 5];
    case 'T':
      return [{ type: 'timestamp', value: b.readBigUInt64BE(o) }, o + 8];
    case 't':
      return [{ type: 'boolean', value: b.readUInt8(o) !== 0 }, o + 1];
    case 'V':
      return [{ type: 'void', value: null }, o];
    case 'S': {
      const { slice, end } = sized(b, o);
      const value = slice.toString('utf8');
      return [isUtf8(slice) ? { type: 'string', value } : { type: 'string', value, bytes: Buffer.from(slice) }, end];
    }
    case 'x': {
      const { slice, end } = sized(b, o);
      return [{ type: 'bytes', value: slice }, end];
    }
    case 'F': {
      const { slice, end } = sized(b, o);
      return [{ type: 'table', value: decodeTable(slice) }, end];
    }
    case 'A': {
      const { slice, end } = sized(b, o);
      const items: AmqpFieldValue[] = [];
      for (let i = 0; i < slice.length; ) {
        const [item, next] = decodeValue(slice, i);
        items.push(item);
        i = next;
      }
      return [{ type: 'array', value: items }, end];
    }
    default:
      throw new TypeError(`unknown AMQP field type tag ${JSON.stringify(tag)}`);
  }
}

function sized(b: Buffer, at: number): { slice: Buffer; end: number } {
  const length = b.readUInt32BE(at);
  const end = at + 4 + length;
  if (end > b.length) throw new RangeError('truncated AMQP field table');
  return { slice: b.subarray(at + 4, end), end };
}

/**
 * The value in the form amqplib encodes with the same wire type: `{ '!': type, value }` for
 * numbers, decimals and timestamps, `{ '!': 'object', value }` around a table (so that a nested
 * key named `!` stays a key). A longstr that was not valid UTF-8 goes out as its exact bytes (`x`):
 * amqplib can only write text as a longstr.
 */
export function toAmqplib(v: AmqpFieldValue): unknown {
  switch (v.type) {
    case 'string':
      return v.bytes ?? v.value;
    case 'bytes':
    case 'boolean':
      return v.value;
    case 'void':
      return null;
    case 'decimal':
      return { '!': 'decimal', value: { places: v.value.places, digits: v.value.digits >>> 0 } };
    case 'table':
      return { '!': 'object', value: toAmqplibTable(v.value) };
    case 'array':
      return v.value.map(toAmqplib);
    default:
      return { '!': v.type, value: v.value };
  }
}

/** A typed table in the form amqplib encodes back exactly (see {@link toAmqplib}). */
export function toAmqplibTable(table: AmqpTable, skip?: (key: string) => boolean): AmqplibTable {
  const out: AmqplibTable = {};
  for (const key of Object.keys(table)) {
    if (skip?.(key)) continue;
    put(out, key, toAmqplib(table[key] as AmqpFieldValue));
  }
  return out;
}
