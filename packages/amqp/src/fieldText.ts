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
