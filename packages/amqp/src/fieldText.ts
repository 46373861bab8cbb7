import { isUtf8 } from 'node:buffer';
import { put, type AmqpFieldValue, type AmqpTable } from './fieldTable.js';

/**
 * The text of a header value where text says exactly what was sent, else `undefined`: a UTF-8
 * string as it is; byte arrays only when they are valid UTF-8; integers, 64-bit ones and
 * timestamps (seconds) in decimal; floats and doubles in JS's shortest round-trip form; decimals
 * as exact decimal text (`-1.50`); booleans as `true`/`false`. Void, tables, arrays and a longstr
 * that is not valid UTF-8 have no text.
 */
export function fieldText(v: AmqpFieldValue): string | undefined {
  switch (v.type) {
    case 'string':
      return v.bytes === undefined ? v.value : undefined;
    case 'bytes':
      return isUtf8(v.value) ? v.value.toString('utf8') : undefined;
    case 'void':
    case 'table':
    case 'array':
      return undefined;
    case 'decimal':
      return decimalText(v.value.digits, v.value.places);
    default:
      return String(v.value);
  }
}

function decimalText(digits: number, places: number): string {
  if (places === 0) return String(digits);
  const abs = String(Math.abs(digits)).padStart(places + 1, '0');
  const text = `${abs.slice(0, abs.length - places)}.${abs.slice(abs.length - places)}`;
  return digits < 0 ? `-${text}` : text;
}

/** The string view of a typed table: every value {@link fieldText} can say exactly. */
export function textHeaders(table: AmqpTable): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const key of Object.keys(table)) {
    const text = fieldText(table[key] as AmqpFieldValue);
    if (text !== undefined) put((out ??= {}), key, text);
  }
  return out;
}

/**
 * The string view (the same as `textHeaders(decodeTable(bytes))`) read straight from the raw bytes
 * of a header table, without building the typed values: the per-message path.
 */
export function rawTextHeaders(b: Buffer): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  let o = 0;
  while (o < b.length) {
    const length = b.readUInt8(o);
    const key = b.toString('utf8', o + 1, o + 1 + length);
    o += 1 + length;
    const tag = b[o++];
    let text: string | undefined;
    switch (tag) {
      case 0x62: // b
        text = String(b.readInt8(o));
        o += 1;
        break;
      case 0x42: // B
        text = String(b.readUInt8(o));
        o += 1;
        break;
      case 0x74: // t
        text = b.readUInt8(o) !== 0 ? 'true' : 'false';
        o += 1;
        break;
      case 0x73: // s
        text = String(b.readInt16BE(o));
        o += 2;
        break;
      case 0x75: // u
        text = String(b.readUInt16BE(o));
        o += 2;
        break;
      case 0x49: // I
        text = String(b.readInt32BE(o));
        o += 4;
        break;
      case 0x69: // i
        text = String(b.readUInt32BE(o));
        o += 4;
        break;
      case 0x66: // f
        text = String(b.readFloatBE(o));
        o += 4;
        break;
      case 0x6c: // l
        text = b.readBigInt64BE(o).toString();
        o += 8;
        break;
      case 0x54: // T
        text = b.readBigUInt64BE(o).toString();
        o += 8;
        break;
      case 0x64: // d
        text = String(b.readDoubleBE(o));
        o += 8;
        break;
      case 0x44: // D
        text = decimalText(b.readInt32BE(o + 1), b.readUInt8(o));
        o += 5;
        break;
      case 0x56: // V
        break;
      case 0x53: // S
      case 0x78: {
        // x
        const size = b.readUInt32BE(o);
        const end = o + 4 + size;
        if (end > b.length) throw new RangeError('truncated AMQP field table');
        const slice = b.subarray(o + 4, end);
        if (isUtf8(slice)) text = slice.toString('utf8');
        o = end;
        break;
      }
      case 0x46: // F
      case 0x41: // A
        o += 4 + b.readUInt32BE(o);
        break;
      default:
        throw new TypeError(`unknown AMQP field type tag ${JSON.stringify(String.fromCharCode(tag ?? 0))}`);
    }
    if (text !== undefined) put((out ??= {}), key, text);
  }
  return out;
}
