import { randomBytes } from 'node:crypto';

/**
 * The prefix of a list element or delayed entry that rxq wrote: `\0rxq1\0`, then one line of JSON
 * (`{"u": unique id, "h": headers}`), a newline, and the payload bytes as they were. Anything
 * without the prefix is a producer's plain payload, with attempt 1.
 */
export const ENVELOPE_MAGIC: Buffer = Buffer.from('\u0000rxq1\u0000', 'latin1');
const NEWLINE = 0x0a;

/** A list element taken apart by {@link readListEntry}. */
export interface ListEntry {
  /** The payload bytes, exactly as published. */
  readonly payload: Buffer;
  /** The headers rxq recorded (attempt, dead-letter reason, …); `undefined` for a plain payload. */
  readonly headers: Readonly<Record<string, string>> | undefined;
}

const prefix = randomBytes(6).toString('base64url');
let counter = 0;

/** A short id, unique within and across processes, that keeps enveloped elements distinct. */
export function uniqueId(): string {
  return prefix + (++counter).toString(36);
}

/** Wraps `payload` with `headers` in an rxq envelope (binary-safe). */
export function wrap(payload: Uint8Array | string, headers: Readonly<Record<string, string>>): Buffer {
  const head = Buffer.from(JSON.stringify({ u: uniqueId(), h: headers }), 'utf8');
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([ENVELOPE_MAGIC, head, Buffer.of(NEWLINE), body]);
}

/**
 * Takes a list element apart: an rxq envelope gives its headers and payload; anything else is a
 * plain payload (headers `undefined`, so attempt 1). A damaged envelope is treated as plain bytes,
 * so the codec sees it and dead-letters it rather than the stream failing.
 *
 * @example
 * const dead = await client.lrangeBuffer('orders:dead', 0, -1);
 * for (const e of dead.map(readListEntry)) console.log(e.headers?.['x-rxq-dead-reason']);
 */
export function readListEntry(element: Buffer): ListEntry {
  if (element.length < ENVELOPE_MAGIC.length + 2 || element[0] !== 0 || !element.subarray(0, 6).equals(ENVELOPE_MAGIC))
    return { payload: element, headers: undefined };
  const end = element.indexOf(NEWLINE, ENVELOPE_MAGIC.length);
  if (end < 0) return { payload: element, headers: undefined };
  try {
    const head = JSON.parse(element.toString('utf8', ENVELOPE_MAGIC.length, end)) as { h?: unknown };
    const headers = isStringRecord(head.h) ? head.h : {};
    return { payload: element.subarray(end + 1), headers };
  } catch {
    return { payload: element, headers: undefined };
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const v of Object.values(value as Record<string, unknown>)) if (typeof v !== 'string') return false;
  return true;
}
