import {
  AuthenticationError,
  AuthorizationError,
  ConnectionLostError,
  NotFoundError,
  RxqError,
  UnsupportedError,
} from '@rxq/core';
import { describe, expect, it } from 'vitest';
import { amqpError } from '../src/index.js';

/** An error shaped as amqplib makes them: a message quoting the reply, `code` on channel errors. */
function amqplibError(message: string, code?: number | string): Error {
  const error = new Error(message);
  if (code !== undefined) Object.assign(error, { code });
  return error;
}

describe('amqpError classifies amqplib errors at the boundary', () => {
  it.each<[string, Error, new (...args: never[]) => RxqError, string, boolean]>([
    [
      'a refused login (bad user or password)',
      amqplibError(
        'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile."',
      ),
      AuthenticationError,
      'AUTHENTICATION_FAILED',
      false,
    ],
    [
      'a 403 on a queue',
      amqplibError(
        `Operation failed: QueueDeclare; 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - access to queue 'q' in vhost '/' refused for user 'u'"`,
        403,
      ),
      AuthorizationError,
      'AUTHORIZATION_FAILED',
      false,
    ],
    [
      'a vhost the user may not use',
      amqplibError(
        `Handshake terminated by server: 530 (NOT-ALLOWED) with message "NOT_ALLOWED - access to vhost 'v' refused for user 'u'"`,
      ),
      AuthorizationError,
      'AUTHORIZATION_FAILED',
      false,
    ],
    [
      'a vhost refused at open, as amqplib reports it (without the reply)',
      amqplibError('Expected ConnectionOpenOk; got <ConnectionClose channel:0>'),
      AuthorizationError,
      'AUTHORIZATION_FAILED',
      false,
    ],
    [
      'a vhost that does not exist',
      amqplibError(`Handshake terminated by server: 530 (NOT-ALLOWED) with message "NOT_ALLOWED - vhost v not found"`),
      NotFoundError,
      'NOT_FOUND',
      false,
    ],
    [
      'a queue that does not exist (404)',
      amqplibError(`Operation failed: BasicConsume; 404 (NOT-FOUND) with message "NOT_FOUND - no queue 'q'"`, 404),
      NotFoundError,
      'NOT_FOUND',
      false,
    ],
    [
      'a method the broker does not implement (540)',
      amqplibError(
        'Channel closed by server: 540 (NOT-IMPLEMENTED) with message "NOT_IMPLEMENTED - active=false"',
        540,
      ),
      UnsupportedError,
      'UNSUPPORTED',
      false,
    ],
    [
      'an inequivalent declaration (406)',
      amqplibError(
        `Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg 'x-queue-type'"`,
        406,
      ),
      RxqError,
      'AMQP_PRECONDITION_FAILED',
      false,
    ],
    [
      'a refused socket',
      amqplibError('connect ECONNREFUSED 127.0.0.1:5672', 'ECONNREFUSED'),
      ConnectionLostError,
      'CONNECTION_LOST',
      true,
    ],
    [
      'a connection the broker closed (320)',
      amqplibError(
        'Connection closed: 320 (CONNECTION-FORCED) with message "CONNECTION_FORCED - closed via management plugin"',
        320,
      ),
      ConnectionLostError,
      'CONNECTION_LOST',
      true,
    ],
    ['a closed channel', amqplibError('channel closed'), ConnectionLostError, 'CONNECTION_LOST', true],
    [
      'a TLS key that the passphrase does not decrypt',
      amqplibError('error:1C800064:Provider routines::bad decrypt', 'ERR_OSSL_BAD_DECRYPT'),
      AuthenticationError,
      'AUTHENTICATION_FAILED',
      false,
    ],
    [
      'a broker certificate that is not trusted',
      amqplibError('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'),
      AuthenticationError,
      'AUTHENTICATION_FAILED',
      false,
    ],
    [
      'a client certificate the server refused',
      amqplibError('tlsv13 alert certificate required', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'),
      AuthenticationError,
      'AUTHENTICATION_FAILED',
      false,
    ],
  ])('%s', (_, error, kind, code, retryable) => {
    const classified = amqpError('doing something', error);
    expect(classified).toBeInstanceOf(kind);
    expect(classified).toMatchObject({ code, retryable, cause: error });
    expect(classified.message).toContain('amqp: doing something failed: ');
  });

  it('passes an RxqError through unchanged', () => {
    const error = new NotFoundError('already classified');
    expect(amqpError('x', error)).toBe(error);
  });
});
