import { ConnectionLostError, RxqError } from '@rxq/core';

/** Broker reply codes after which trying again cannot help without a change by a person. */
const FATAL = new Map<number, string>([
  [403, 'ACCESS_REFUSED'],
  [406, 'PRECONDITION_FAILED'],
  [530, 'NOT_ALLOWED'],
]);

/** The AMQP reply code of an amqplib error: its `code`, or the one its message quotes. */
function replyCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  const message = error instanceof Error ? error.message : '';
  const match = /\b(\d{3}) \([A-Z_-]+\)/.exec(message);
  return match ? Number(match[1]) : undefined;
}

/**
 * Translates an amqplib error at the boundary: refused access, an inequivalent declaration and
 * the like become non-retryable `RxqError`s (the stream errors with the broker's reason); anything
 * else (a refused socket, a closed channel, a missing queue) is a retryable
 * {@link ConnectionLostError}, so `fromQueue` reconnects with backoff.
 */
export function amqpError(what: string, error: unknown, hint = ''): RxqError {
  if (error instanceof RxqError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  const code = replyCode(error);
  const fatal = code === undefined ? undefined : FATAL.get(code);
  if (fatal !== undefined)
    return new RxqError(`AMQP_${fatal}`, `amqp: ${what} failed: ${reason}${hint}`, { cause: error, retryable: false });
  return new ConnectionLostError(`amqp: ${what} failed: ${reason}`, error);
}

/**
 * Replaces the password of an AMQP URL with `***`, for messages and logs.
 *
 * @example
 * redactUrl('amqp://app:secret@rabbit:5672/prod'); // 'amqp://app:***@rabbit:5672/prod'
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}
