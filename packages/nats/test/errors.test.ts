import {
  AuthenticationError,
  AuthorizationError,
  ConnectionLostError,
  NotFoundError,
  UnsupportedError,
} from '@rxq/core';
import { JetStreamApiError } from '@nats-io/jetstream';
import { errors, RequestError } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { natsError } from '../src/index.js';

const apiError = (code: number, description: string) =>
  new JetStreamApiError({ code: 404, err_code: code, description });

/** Each mapping from the client's error classes to rxq's; the integration tests meet the real ones. */
describe('natsError', () => {
  it.each<[string, unknown, new (...args: never[]) => Error, boolean]>([
    ['refused credentials', new errors.AuthorizationError('Authorization Violation'), AuthenticationError, false],
    [
      'expired credentials',
      new errors.UserAuthenticationExpiredError('User Authentication Expired'),
      AuthenticationError,
      false,
    ],
    [
      'a permission violation',
      new errors.PermissionViolationError('Permissions Violation for Subscription to "x"', 'subscription', 'x'),
      AuthorizationError,
      false,
    ],
    ['a missing stream', apiError(10059, 'stream not found'), NotFoundError, false],
    ['a missing consumer', apiError(10014, 'consumer not found'), NotFoundError, false],
    ['an account without JetStream', apiError(10039, 'jetstream not enabled for account'), UnsupportedError, false],
    [
      'a server without JetStream',
      Object.assign(new Error('jetstream is not enabled'), { name: 'JetStreamNotEnabled' }),
      UnsupportedError,
      false,
    ],
    ['a refused socket', new errors.ConnectionError('connection refused'), ConnectionLostError, true],
    ['a closed connection', new errors.ClosedConnectionError(), ConnectionLostError, true],
    ['a timeout', new errors.TimeoutError(), ConnectionLostError, true],
    [
      'a wrapped missing stream',
      new RequestError('request failed', { cause: apiError(10059, 'stream not found') }),
      NotFoundError,
      false,
    ],
    ['another JetStream API error', apiError(10071, 'wrong last sequence'), ConnectionLostError, true],
  ])('maps %s', (_what, error, kind, retryable) => {
    const mapped = natsError('testing', error);
    expect(mapped).toBeInstanceOf(kind);
    expect(mapped.retryable).toBe(retryable);
    expect(mapped.cause).toBe(error);
    expect(mapped.message).toMatch(/^nats: testing failed: /);
  });
});
