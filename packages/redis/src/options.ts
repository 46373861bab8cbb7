import { InvalidOptionError, rejectUnknownOptions } from '@rxq/core';
import type { ConnectionOptions } from 'node:tls';

/** The options every Redis factory takes. */
const CONNECTION = ['connection', 'tls', 'codec'] as const;

/** The option names each factory and publish helper knows, checked at construction. */
export const KNOWN = {
  redis: [...CONNECTION, 'mode', 'deadLetterKey', 'blockMs', 'consumerTtlMs', 'consumerName'],
  redisSimpleList: [...CONNECTION, 'deadLetterKey', 'blockMs'],
  redisStream: [...CONNECTION, 'group', 'consumer', 'bodyField', 'start', 'minIdleMs', 'blockMs', 'deadLetterKey'],
  publish: ['attempt', 'headers', 'codec', 'tls'],
  publishToStream: ['attempt', 'headers', 'codec', 'tls', 'bodyField'],
} as const satisfies Record<string, readonly string[]>;

/**
 * Checks an options object: an object (or `undefined`), no unknown key (named with the closest
 * known one), `tls` an object when given.
 */
export function checkOptions(options: unknown, known: readonly string[]): void {
  rejectUnknownOptions(options as object | undefined, known);
  const tls = (options as { tls?: unknown } | undefined)?.tls;
  if (tls !== undefined && (typeof tls !== 'object' || tls === null || Array.isArray(tls)))
    throw new InvalidOptionError('tls', "an object of Node's TLS options (`ca`, `cert`, `key`, `servername`, …)", tls);
}

/** The TLS options of a connection, typed. */
export type TlsOptions = ConnectionOptions;

/** Checks `headers` (an object of string values), naming a wrong one by its path (`headers.tenant`). */
export function checkHeaders(headers: unknown): void {
  if (headers === undefined) return;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers))
    throw new InvalidOptionError('headers', 'an object of string values', headers);
  for (const [k, v] of Object.entries(headers))
    if (typeof v !== 'string') throw new InvalidOptionError(`headers.${k}`, 'a string', v);
}
