import {
  AuthenticationError,
  AuthorizationError,
  ConnectionLostError,
  NotFoundError,
  UnsupportedError,
} from '@rxq/core';
import { QueueDoesNotExist, SQSServiceException } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { sqsError } from '../src/index.js';

/** A service error as the SDK builds it from a response (name = the SQS error code). */
const service = (name: string, status = 400) =>
  new SQSServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });

/** Each mapping from the SDK's errors to rxq's; the integration tests meet the real ones. */
describe('sqsError', () => {
  it.each<[string, unknown, new (...args: never[]) => Error, boolean]>([
    [
      'a missing queue',
      new QueueDoesNotExist({ $metadata: {}, message: 'The specified queue does not exist.' }),
      NotFoundError,
      false,
    ],
    ['a missing queue (query protocol)', service('AWS.SimpleQueueService.NonExistentQueue'), NotFoundError, false],
    ['an unknown access key', service('InvalidClientTokenId', 403), AuthenticationError, false],
    ['a wrong secret', service('SignatureDoesNotMatch', 403), AuthenticationError, false],
    [
      'no credentials at all',
      Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }),
      AuthenticationError,
      false,
    ],
    ['a denied action', service('AccessDenied', 403), AuthorizationError, false],
    ['a denied KMS key', service('KmsAccessDenied', 400), AuthorizationError, false],
    ['an operation the server lacks', service('UnsupportedOperation'), UnsupportedError, false],
    ['throttling', service('RequestThrottled'), ConnectionLostError, true],
    ['a server error', service('InternalError', 500), ConnectionLostError, true],
    [
      'a refused socket',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      ConnectionLostError,
      true,
    ],
  ])('maps %s', (_what, error, kind, retryable) => {
    const mapped = sqsError('testing', error);
    expect(mapped).toBeInstanceOf(kind);
    expect(mapped.retryable).toBe(retryable);
    expect(mapped.cause).toBe(error);
    expect(mapped.message).toMatch(/^sqs: testing failed: /);
  });
});
