/** Every rxq error code. Connectors may add their own, prefixed with their package name. */
export type RxqErrorCode =
  | 'INVALID_OPTION'
  | 'HANDLER_TIMEOUT'
  | 'DECODE_FAILED'
  | 'CONNECTION_LOST'
  | 'CONNECTION_GAVE_UP'
  | 'PARTIAL_FAILURE'
  | 'TIMEOUT'
  | 'SETTLE_FAILED'
  | 'CLOSE_FAILED'
  | 'AUTHENTICATION_FAILED'
  | 'AUTHORIZATION_FAILED'
  | 'NOT_FOUND'
  | 'UNSUPPORTED'
  | (string & {});

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
