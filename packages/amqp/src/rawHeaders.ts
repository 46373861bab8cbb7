/**
 * amqplib decodes a message's header table into plain JS values and drops the wire types: an
 * `I` −7 and a `b` −7 both become `-7`, and a 64-bit `l` becomes a lossy `number`. To copy headers
 * exactly, rxq keeps the raw bytes of each header table as the frame goes by: it wraps the
 * `recvFrame` method of the amqplib connection it consumes on (that connection object only),
 * and attaches the table's bytes to the message's `properties` under a symbol. Decoding then
 * happens only when the headers are read.
 */

const RAW = Symbol('rxq.amqp.rawHeaders');
const HOOKED = Symbol('rxq.amqp.recvFrameHooked');

/** The part of amqplib's connection (`lib/connection.js`) the hook relies on. */
interface FrameReader {
  recvFrame(): unknown;
  rest: Buffer;
  [HOOKED]?: true;
}

const FRAME_HEADER = 2;
/** Frame type (1), channel (2), size (4), then class id (2), weight (2), body size (8). */
const FLAGS_AT = 7 + 12;
const CONTENT_TYPE = 0x8000;
const CONTENT_ENCODING = 0x4000;
const HEADERS = 0x2000;

/**
 * Makes `connection` (an amqplib `Connection`, as `channel.connection`) keep the raw header table
 * of every message it receives. Returns false when this amqplib does not have the shape the hook
 * needs: headers are then typed from amqplib's decoded values (see `inferTable`).
 */
export function keepRawHeaders(connection: unknown): boolean {
  if (typeof connection !== 'object' || connection === null) return false;
  const c = connection as Partial<FrameReader>;
  if (c[HOOKED]) return true;
  const original = c.recvFrame;
  if (typeof original !== 'function' || !Buffer.isBuffer(c.rest)) return false;
  const hooked = function (this: FrameReader): unknown {
    const before = this.rest;
    const frame = original.call(this) as { size?: unknown; fields?: unknown } | false;
    // A frame parsed by this call starts `before`; one parsed by a nested call (after a socket
    // read) was handled there already.
    if (frame && frame.size !== undefined && typeof frame.fields === 'object' && frame.fields !== null) {
      const fields = frame.fields as Record<symbol, unknown>;
      if (!(RAW in fields)) Object.defineProperty(fields, RAW, { value: headerBytes(before) });
    }
    return frame;
  };
  Object.defineProperty(c, 'recvFrame', { value: hooked, writable: true, configurable: true });
  Object.defineProperty(c, HOOKED, { value: true });
  return true;
}

/** The bytes of the header table of the content-header frame at the start of `frame`. */
function headerBytes(frame: Buffer): Buffer | undefined {
  if (frame.length < FLAGS_AT + 2 || frame[0] !== FRAME_HEADER) return undefined;
  const flags = frame.readUInt16BE(FLAGS_AT);
  if ((flags & HEADERS) === 0) return undefined;
  let at = FLAGS_AT + 2;
  if (flags & CONTENT_TYPE) at += 1 + (frame[at] ?? 0);
  if (flags & CONTENT_ENCODING) at += 1 + (frame[at] ?? 0);
  const length = frame.readUInt32BE(at);
  return frame.subarray(at + 4, at + 4 + length);
}

/**
 * What the hook kept for a message's properties: the table's bytes, `null` when the message has
 * no headers, `undefined` when its connection had no hook.
 */
export function rawHeadersOf(properties: object): Buffer | null | undefined {
  if (!(RAW in properties)) return undefined;
  return ((properties as Record<symbol, unknown>)[RAW] as Buffer | undefined) ?? null;
}
