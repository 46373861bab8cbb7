import { put, type AmqpFieldValue, type AmqpTable } from './fieldTable.js';

/**
 * A typed table from values amqplib already decoded, for a connection whose raw frames rxq cannot
 * see: each value gets the type amqplib would encode it with (so a copy is what amqplib would
 * send), which may differ from the type on the wire.
 */
export function inferTable(decoded: Readonly<Record<string, unknown>>): AmqpTable {
  const out: Record<string, AmqpFieldValue> = {};
  for (const key of Object.keys(decoded)) {
    const value = inferValue(decoded[key]);
    if (value !== undefined) put(out, key, value);
  }
  return out;
}

function inferValue(value: unknown): AmqpFieldValue | undefined {
  if (value === undefined) return undefined;
  if (value === null) return { type: 'void', value: null };
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value === 'boolean') return { type: 'boolean', value };
  if (typeof value === 'bigint') return { type: 'int64', value };
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || !Number.isSafeInteger(value)) return { type: 'double', value };
    if (value >= -128 && value < 128) return { type: 'int8', value };
    if (value >= -0x8000 && value < 0x8000) return { type: 'int16', value };
    if (value >= -0x80000000 && value < 0x80000000) return { type: 'int32', value };
    return { type: 'int64', value: BigInt(value) };
  }
  if (Buffer.isBuffer(value)) return { type: 'bytes', value };
  if (Array.isArray(value)) {
    const items = value.map(inferValue).filter((v): v is AmqpFieldValue => v !== undefined);
    return { type: 'array', value: items };
  }
  if (typeof value === 'object') {
    const o = value as { '!'?: unknown; value?: unknown };
    if (o['!'] === 'timestamp' && typeof o.value === 'number') return { type: 'timestamp', value: BigInt(o.value) };
    if (o['!'] === 'decimal' && typeof o.value === 'object' && o.value !== null) {
      const d = o.value as { places: number; digits: number };
      return { type: 'decimal', value: { places: d.places, digits: d.digits | 0 } };
    }
    return { type: 'table', value: inferTable(value as Record<string, unknown>) };
  }
  return undefined;
}
