import { HEADERS, json, type Codec } from '@rxq/core';
import type { Redis } from 'ioredis';
import { wrap } from './envelope.js';

/** Options of {@link publish} and {@link xpublish}. */
export interface PublishOptions {
  /** The attempt the message carries. @default 1 */
  readonly attempt?: number;
  /** Headers to send with it. @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /** How the body is encoded (`text`/`bytes` send strings and bytes as they are). @default json */
  readonly codec?: Codec<unknown>;
}

/** Options of {@link xpublish}. */
export interface XPublishOptions extends PublishOptions {
  /** The field that holds the payload. @default 'body' */
  readonly bodyField?: string;
}

function headersOf(options: PublishOptions): Record<string, string> | undefined {
  const attempt = options.attempt ?? 1;
  if (attempt === 1 && options.headers === undefined) return undefined;
  return { ...options.headers, [HEADERS.attempt]: String(attempt) };
}

/**
 * Pushes one message to the tail of a Redis list (`RPUSH`). Without attempt or headers the list
 * gets the plain encoded body, exactly what any other producer would push; with them, an rxq
 * envelope that the list sources read back. Resolves with the list's length.
 *
 * @example
 * await publish(client, 'orders', { id: 42 });
 */
export async function publish(
  client: Redis,
  queue: string,
  body: unknown,
  options: PublishOptions = {},
): Promise<number> {
  const payload = (options.codec ?? json).encode(body);
  const headers = headersOf(options);
  return client.rpush(queue, headers === undefined ? toBuffer(payload) : wrap(payload, headers));
}

/**
 * Adds one entry to a Redis stream: `XADD stream * body <payload> [header value …]`. Resolves with
 * the entry id.
 *
 * @example
 * await xpublish(client, 'events', { kind: 'signup' }, { headers: { tenant: 'acme' } });
 */
export async function xpublish(
  client: Redis,
  stream: string,
  body: unknown,
  options: XPublishOptions = {},
): Promise<string> {
  const payload = toBuffer((options.codec ?? json).encode(body));
  const fields: (string | Buffer)[] = [options.bodyField ?? 'body', payload];
  for (const [k, v] of Object.entries(headersOf(options) ?? {})) fields.push(k, v);
  return (await client.xadd(stream, '*', ...fields)) as string;
}

function toBuffer(payload: string | Uint8Array): Buffer | string {
  return typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}
