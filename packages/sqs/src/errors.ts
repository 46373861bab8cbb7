import {
  AuthenticationError,
  AuthorizationError,
  ConnectionLostError,
  NotFoundError,
  RxqError,
  UnsupportedError,
} from '@rxq/core';

const NOT_FOUND = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'NonExistentQueue']);
const UNAUTHENTICATED = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSecurity',
  'MissingAuthenticationToken',
  'IncompleteSignature',
  'ExpiredToken',
  'CredentialsProviderError',
]);
const UNAUTHORIZED = new Set(['AccessDenied', 'AccessDeniedException', 'KmsAccessDenied', 'KmsDisabled']);
const UNSUPPORTED = new Set(['UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', 'InvalidAction']);

/**
 * Translates an AWS SDK error at the boundary into rxq's classes, by the error's `name` (the SQS
 * error code): a missing queue is a {@link NotFoundError}, refused or missing credentials an
 * {@link AuthenticationError}, a denied action an {@link AuthorizationError}, an operation the
 * server does not have an {@link UnsupportedError} (all non-retryable: the stream errors with the
 * reason); anything else (a refused socket, throttling, a 5xx, a timeout) is a retryable
 * {@link ConnectionLostError}, so `fromQueue` reconnects with backoff.
 */
export function sqsError(what: string, error: unknown): RxqError {
  if (error instanceof RxqError) return error;
  const name = error instanceof Error ? error.name : '';
  const reason = error instanceof Error ? error.message : String(error);
  const message = `sqs: ${what} failed: ${name && name !== 'Error' ? `${name}: ` : ''}${reason}`;
  if (NOT_FOUND.has(name)) return new NotFoundError(message, error);
  if (UNAUTHENTICATED.has(name)) return new AuthenticationError(message, error);
  if (UNAUTHORIZED.has(name)) return new AuthorizationError(message, error);
  if (UNSUPPORTED.has(name)) return new UnsupportedError(message, error);
  return new ConnectionLostError(message, error);
}
