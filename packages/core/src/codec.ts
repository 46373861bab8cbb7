import { DecodeError } from './errors.js';
import { rejectUnknownOptions } from './options.js';

/**
 * What a codec may read beside the payload and the headers: the rest of the delivery, with the
 * connector's typed, lossless `transport` view (AMQP properties such as `contentEncoding`, Kafka's
 * raw headers, Redis stream fields). A codec that honours `content-encoding: gzip` reads it here.
 */
export interface DecodeContext {
  /** The delivery's id. */
  readonly id: string;
  /** The queue, list, stream or topic. */
  readonly source: string;
  readonly attempt: number;
  readonly key?: string | undefined;
  /** The connector's own view of what the broker delivered beside the body (see its README). */
  readonly transport?: unknown;
}

/**
 * Turns payloads into bodies and back. `decode` throws (preferably a {@link DecodeError}) for a
 * payload it cannot read; the message is then dead-lettered with reason `decode` (`invalid` for a
 * {@link ValidationError}), never retried.
 *
 * `decode` gets the headers as strings (second argument, as before) and the delivery's
 * {@link DecodeContext} (third argument, with `transport`). It may return a Promise (an async
 * schema): the source then awaits it before it emits the message, in order; a codec that returns
 * plain values costs nothing more.
 */
export interface Codec<T> {
  readonly name: string;
  decode(payload: unknown, headers: Readonly<Record<string, string>>, context?: DecodeContext): T | Promise<T>;
  encode(body: T): string | Uint8Array;
  /** Type-only, never set: lets `fromQueue` tell a codec of `unknown` from one of strings. */
  '~body'?(body: T): T;
}

/**
 * A codec whose body type is exactly `unknown` (`json`, `identity`): the one kind whose body type
 * a type argument of `fromQueue` may name, as a claim (`fromQueue<Order>(c, { codec: json })`).
 */
export interface UntypedCodec extends Codec<unknown> {
  readonly '~body'?: (body: unknown) => unknown;
}

/** A codec whose `decode` never returns a Promise, such as the built-in ones. */
export interface SyncCodec<T> extends Codec<T> {
  decode(payload: unknown, headers: Readonly<Record<string, string>>, context?: DecodeContext): T;
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
export const json: SyncCodec<unknown> = {
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
export const text: SyncCodec<string> = {
  name: 'text',
  decode: (payload) => toText('text', payload),
  encode: (body) => body,
};

/** Raw bytes: the body is the payload as a `Uint8Array` (a string payload is UTF-8 encoded). */
export const bytes: SyncCodec<Uint8Array> = {
  name: 'bytes',
  decode(payload) {
    if (payload instanceof Uint8Array) return payload;
    if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
    throw new DecodeError('bytes', 'expected a string or bytes');
  },
  encode: (body) => body,
};

/** The payload as it is: for in-process queues that hold values, not bytes. */
export const identity: SyncCodec<unknown> = {
  name: 'identity',
  decode: (payload) => payload,
  encode: (body) => body as string | Uint8Array,
};

/**
 * A custom codec. `decode` may throw (or reject with) anything: it is wrapped in a
 * {@link DecodeError} whose message keeps only the thrown error's name. `decode` may be async.
 *
 * @example
 * const protobuf = codec({ name: 'order', decode: (p) => Order.decode(p as Uint8Array), encode: (o) => Order.encode(o).finish() });
 */
export function codec<T>(definition: {
  readonly name: string;
  decode(payload: unknown, headers: Readonly<Record<string, string>>, context?: DecodeContext): T | Promise<T>;
  encode?(body: T): string | Uint8Array;
}): Codec<T> {
  rejectUnknownOptions(definition, ['name', 'decode', 'encode'], 'codec');
  const { name } = definition;
  const wrap = (error: unknown): DecodeError =>
    error instanceof DecodeError
      ? error
      : new DecodeError(name, `decode threw ${error instanceof Error ? error.name : 'a non-error'}`, error);
  return {
    name,
    decode(payload, headers, context) {
      let body: T | Promise<T>;
      try {
        body = definition.decode(payload, headers, context);
      } catch (error) {
        throw wrap(error);
      }
      if (body instanceof Promise) return body.catch((error: unknown) => Promise.reject(wrap(error)));
      return body;
    },
    encode(body) {
      if (definition.encode) return definition.encode(body);
      throw new DecodeError(name, 'this codec has no encode');
    },
  };
}
