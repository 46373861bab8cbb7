import { DecodeError } from './errors.js';

/**
 * Turns payloads into bodies and back. `decode` throws (preferably a {@link DecodeError}) for a
 * payload it cannot read; the message is then dead-lettered with reason `decode`, never retried.
 */
export interface Codec<T> {
  readonly name: string;
  decode(payload: unknown, headers: Readonly<Record<string, string>>): T;
  encode(body: T): string | Uint8Array;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function toText(codec: string, payload: unknown): string {
  if (typeof payload === 'string') return payload;
  if (payload instanceof Uint8Array) {
    try {
      return utf8.decode(payload);
    } catch (error) {
      throw new DecodeError(codec, 'the bytes are not valid UTF-8', error);
    }
  }
  throw new DecodeError(codec, `expected a string or bytes, got ${payload === null ? 'null' : typeof payload}`);
}

/**
 * JSON bodies (the default). An empty payload, invalid UTF-8 or invalid JSON is a decode failure;
 * the error names the kind of failure, never the payload.
 */
export const json: Codec<unknown> = {
  name: 'json',
  decode(payload) {
    const text = toText('json', payload);
    if (text.length === 0) throw new DecodeError('json', 'the body is empty');
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      // JSON.parse's own message quotes the payload: keep it out of the error.
      throw new DecodeError('json', 'the body is not valid JSON', error instanceof Error ? error.name : undefined);
    }
  },
  encode: (body) => JSON.stringify(body),
};

/** UTF-8 text bodies. Invalid UTF-8 is a decode failure. */
export const text: Codec<string> = {
  name: 'text',
  decode: (payload) => toText('text', payload),
  encode: (body) => body,
};

/** Raw bytes: the body is the payload as a `Uint8Array` (a string payload is UTF-8 encoded). */
export const bytes: Codec<Uint8Array> = {
  name: 'bytes',
  decode(payload) {
    if (payload instanceof Uint8Array) return payload;
    if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
    throw new DecodeError('bytes', 'expected a string or bytes');
  },
  encode: (body) => body,
};

/** The payload as it is: for in-process queues that hold values, not bytes. */
export const identity: Codec<unknown> = {
  name: 'identity',
  decode: (payload) => payload,
  encode: (body) => body as string | Uint8Array,
};

/**
 * A custom codec. `decode` may throw anything: it is wrapped in a {@link DecodeError} whose message
 * keeps only the thrown error's name.
 *
 * @example
 * const protobuf = codec({ name: 'order', decode: (p) => Order.decode(p as Uint8Array), encode: (o) => Order.encode(o).finish() });
 */
export function codec<T>(definition: {
  readonly name: string;
  decode(payload: unknown, headers: Readonly<Record<string, string>>): T;
  encode?(body: T): string | Uint8Array;
}): Codec<T> {
  const { name } = definition;
  return {
    name,
    decode(payload, headers) {
      try {
        return definition.decode(payload, headers);
      } catch (error) {
        if (error instanceof DecodeError) throw error;
        throw new DecodeError(name, `decode threw ${error instanceof Error ? error.name : 'a non-error'}`, error);
      }
    },
    encode(body) {
      if (definition.encode) return definition.encode(body);
      throw new DecodeError(name, 'this codec has no encode');
    },
  };
}
