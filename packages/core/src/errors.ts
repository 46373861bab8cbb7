/**
 * Every rxq error code, each thrown by one class (see the table in the README): `INVALID_OPTION`
 * ({@link InvalidOptionError}), `HANDLER_TIMEOUT` ({@link HandlerTimeoutError}), `DECODE_FAILED`
 * ({@link DecodeError}), `INVALID_BODY` ({@link ValidationError}), `CONNECTION_LOST`
 * ({@link ConnectionLostError}), `CONNECTION_GAVE_UP` ({@link ConnectionGaveUpError}),
 * `PARTIAL_FAILURE` (`PartialFailure`), `TIMEOUT` (`@rxq/memory`'s `Timeout`), `SETTLE_FAILED`
 * ({@link SettleError}), `CLOSE_FAILED` ({@link CloseError}), `SHUTDOWN` ({@link ShutdownError}),
 * `AUTHENTICATION_FAILED`, `AUTHORIZATION_FAILED`, `NOT_FOUND` and `UNSUPPORTED`. Connectors may
 * add their own, prefixed with their package name (`KAFKA_…`).
 */
export type RxqErrorCode = (typeof RXQ_ERROR_CODES)[number] | (string & {});

/** Every code rxq's own errors carry (the {@link RxqErrorCode} union is made from it). */
export const RXQ_ERROR_CODES = [
  'INVALID_OPTION',
  'HANDLER_TIMEOUT',
  'DECODE_FAILED',
  'INVALID_BODY',
  'CONNECTION_LOST',
  'CONNECTION_GAVE_UP',
  'PARTIAL_FAILURE',
  'TIMEOUT',
  'SETTLE_FAILED',
  'CLOSE_FAILED',
  'SHUTDOWN',
  'AUTHENTICATION_FAILED',
  'AUTHORIZATION_FAILED',
  'NOT_FOUND',
  'UNSUPPORTED',
] as const;

/** Options accepted by {@link RxqError}. */
export interface RxqErrorOptions {
  /** Whether retrying the same operation can succeed. @default false */
  readonly retryable?: boolean;
  /** The error this one wraps. */
  readonly cause?: unknown;
}

/**
 * The one base class of every error rxq throws or records.
 *
 * `code` is stable and machine-readable, `retryable` says whether trying again can help, and
 * `cause` keeps the underlying broker or handler error. Messages never include message bodies or
 * credentials.
 *
 * @example
 * if (err instanceof RxqError && err.retryable) scheduleRetry();
 */
export class RxqError extends Error {
  readonly code: RxqErrorCode;
  readonly retryable: boolean;

  constructor(code: RxqErrorCode, message: string, options: RxqErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RxqError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/**
 * An option had a value rxq cannot use. Thrown at construction, naming the option and what it
 * accepts.
 */
export class InvalidOptionError extends RxqError {
  readonly option: string;
  constructor(option: string, expected: string, got: unknown) {
    super('INVALID_OPTION', `Invalid option \`${option}\`: expected ${expected}, got ${describe(got)}.`);
    this.name = 'InvalidOptionError';
    this.option = option;
  }

  /** An option name that is not known, with the closest known name where there is one. */
  static unknown(option: string, suggestion?: string): InvalidOptionError {
    const error = new InvalidOptionError(option, '', undefined);
    error.message =
      `Unknown option \`${option}\`` + (suggestion === undefined ? '.' : `; did you mean \`${suggestion}\`?`);
    return error;
  }
}

/** A handler ran longer than `handle`'s `timeoutMs`. Retryable: the next attempt may be faster. */
export class HandlerTimeoutError extends RxqError {
  constructor(timeoutMs: number) {
    super('HANDLER_TIMEOUT', `Handler did not finish within timeoutMs (${timeoutMs} ms).`, {
      retryable: true,
    });
    this.name = 'HandlerTimeoutError';
  }
}

/**
 * A payload could not be decoded by the source's codec. Never retryable: the same bytes will
 * fail again, so the message is dead-lettered at once. The message names the codec and the kind of
 * failure, never the payload.
 */
export class DecodeError extends RxqError {
  constructor(codec: string, reason: string, cause?: unknown) {
    super('DECODE_FAILED', `The ${codec} codec could not decode the body: ${reason}.`, {
      cause,
    });
    this.name = 'DecodeError';
  }
}

/** One failed check of a body against its schema: where (a dotted path) and what, never the value. */
export interface ValidationIssue {
  /** The path in the body, dotted (`items.0.qty`); empty for the body itself. */
  readonly path: string;
  readonly message: string;
}

/**
 * A decoded body failed its schema (`schemaCodec`). Never retryable: the message is dead-lettered
 * at once with reason `invalid`. The message lists the issues' paths and messages, never the
 * offending values.
 */
export class ValidationError extends DecodeError {
  readonly issues: readonly ValidationIssue[];
  constructor(codec: string, issues: readonly ValidationIssue[]) {
    super(codec, 'x');
    const shown = issues
      .slice(0, 10)
      .map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`))
      .join('; ');
    const more = issues.length > 10 ? `; and ${issues.length - 10} more` : '';
    this.message = `The ${codec} codec rejected the body: ${issues.length} issue(s): ${shown}${more}.`;
    (this as { code: RxqErrorCode }).code = 'INVALID_BODY';
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/**
 * A settlement (ack, requeue, resend, dead-letter, release) the broker did not take. Retryable:
 * the broker redelivers the message. Told to `onError` and the logger; never ends the stream.
 */
export class SettleError extends RxqError {
  constructor(cause: unknown) {
    super('SETTLE_FAILED', 'a settlement failed; the broker will redeliver', { cause, retryable: true });
    this.name = 'SettleError';
  }
}

/**
 * Closing a session failed or took longer than `closeTimeoutMs`. Told to `onError` and the
 * logger; the stream still completes (what was not settled is redelivered by the broker).
 */
export class CloseError extends RxqError {
  constructor(message: string, cause?: unknown) {
    super('CLOSE_FAILED', message, { cause, retryable: true });
    this.name = 'CloseError';
  }
}

/**
 * The reason of a handler's `context.signal` when its source begins a graceful stop (or gives its
 * message back). A handler that ends early on it fails with it, and its message is released:
 * back to the queue, no attempt counted. Retryable.
 */
export class ShutdownError extends RxqError {
  constructor(source: string) {
    super('SHUTDOWN', `Source "${source}" is stopping; the message goes back to the queue.`, { retryable: true });
    this.name = 'ShutdownError';
  }
}

/** The connection to the broker was lost; the source reconnects by itself. */
export class ConnectionLostError extends RxqError {
  constructor(message: string, cause?: unknown) {
    super('CONNECTION_LOST', message, { retryable: true, cause });
    this.name = 'ConnectionLostError';
  }
}

/** The connection stayed down after the reconnect policy's `maxRetries`. Errors the stream. */
export class ConnectionGaveUpError extends RxqError {
  constructor(source: string, retries: number, cause?: unknown) {
    super(
      'CONNECTION_GAVE_UP',
      `Source "${source}" could not reconnect after ${retries} retries; raise reconnect.maxRetries to keep trying.`,
      { cause },
    );
    this.name = 'ConnectionGaveUpError';
  }
}

/**
 * The broker refused the credentials. Never retryable: the same credentials fail again, so the
 * source errors with it instead of reconnecting forever. The message never carries the secret.
 */
export class AuthenticationError extends RxqError {
  constructor(message: string, cause?: unknown) {
    super('AUTHENTICATION_FAILED', message, { cause });
    this.name = 'AuthenticationError';
  }
}

/** The broker accepted the credentials but refused the operation (an ACL, a vhost permission). */
export class AuthorizationError extends RxqError {
  constructor(message: string, cause?: unknown) {
    super('AUTHORIZATION_FAILED', message, { cause });
    this.name = 'AuthorizationError';
  }
}

/** What the source or a publish targets does not exist (a queue, a topic, a vhost). */
export class NotFoundError extends RxqError {
  constructor(message: string, cause?: unknown) {
    super('NOT_FOUND', message, { cause });
    this.name = 'NotFoundError';
  }
}

/**
 * The broker sent something the client cannot handle (a compression codec, a protocol feature).
 * Never retryable; the message names the feature.
 */
export class UnsupportedError extends RxqError {
  constructor(message: string, cause?: unknown) {
    super('UNSUPPORTED', message, { cause });
    this.name = 'UnsupportedError';
  }
}

/** Whether retrying after `error` can help: false only when the error says so explicitly. */
export function isRetryable(error: unknown): boolean {
  if (typeof error === 'object' && error !== null && 'retryable' in error) {
    return error.retryable !== false;
  }
  return true;
}

/** `{ name, message }` of any thrown value, safe to store in a header. */
export function errorInfo(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: typeof error === 'string' ? error : describe(error) };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value == null)
    return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
