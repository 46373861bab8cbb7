import {
  AuthenticationError,
  AuthorizationError,
  ConnectionLostError,
  NotFoundError,
  RxqError,
  UnsupportedError,
} from '@rxq/core';

/** JetStream API error codes rxq classifies. */
const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;
const JETSTREAM_NOT_ENABLED_FOR_ACCOUNT = 10039;

/** The error and its causes, outermost first (the client wraps, e.g. a RequestError around NoResponders). */
function chain(error: unknown): Error[] {
  const out: Error[] = [];
  for (let e = error; e instanceof Error && out.length < 5; e = e.cause) out.push(e);
  return out;
}

/**
 * Translates a NATS client error at the boundary into rxq's classes: refused credentials are an
 * {@link AuthenticationError}, a permission violation an {@link AuthorizationError}, a missing
 * stream or consumer a {@link NotFoundError}, a server or account without JetStream an
 * {@link UnsupportedError} (all non-retryable: the stream errors with the reason); anything else
 * (a refused or closed socket, a timeout, missed heartbeats) is a retryable
 * {@link ConnectionLostError}, so `fromQueue` reconnects with backoff. Classes are recognised by
 * their `name`, so that two copies of the client in one app classify alike.
 */
export function natsError(what: string, error: unknown): RxqError {
  if (error instanceof RxqError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  const message = `nats: ${what} failed: ${reason}`;
  for (const e of chain(error)) {
    const code = (e as { code?: unknown }).code;
    switch (e.name) {
      case 'AuthorizationError':
      case 'UserAuthenticationExpiredError':
        return new AuthenticationError(message, error);
      case 'PermissionViolationError':
        return new AuthorizationError(message, error);
      case 'JetStreamNotEnabled':
        return new UnsupportedError(message, error);
      case 'JetStreamApiError':
      case 'StreamNotFoundError':
      case 'ConsumerNotFoundError':
        if (code === STREAM_NOT_FOUND || code === CONSUMER_NOT_FOUND) return new NotFoundError(message, error);
        if (code === JETSTREAM_NOT_ENABLED_FOR_ACCOUNT) return new UnsupportedError(message, error);
        break;
    }
  }
  return new ConnectionLostError(message, error);
}
