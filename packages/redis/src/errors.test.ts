import {
  AuthenticationError,
  AuthorizationError,
  ConnectionLostError,
  NotFoundError,
  RxqError,
  UnsupportedError,
} from '@rxq/core';
import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { classify } from './errors.js';

/** A server error reply as ioredis builds it, with the command it failed (arguments included). */
function reply(message: string, args: string[] = []): Error {
  const error = new (ReplyError as new (message: string) => Error)(message);
  Object.assign(error, { command: { name: 'auth', args } });
  return error;
}

function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('classify (Redis errors at the boundary)', () => {
  it('authentication: WRONGPASS, NOAUTH and an old server’s invalid password, never retried', () => {
    for (const message of [
      'WRONGPASS invalid username-password pair or user is disabled.',
      'NOAUTH Authentication required.',
      'ERR invalid password',
    ]) {
      const error = classify(reply(message, ['app', 's3cret-pw']), 'opening the queue');
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.retryable).toBe(false);
      expect(error.code).toBe('AUTHENTICATION_FAILED');
    }
  });

  it('authentication: the failed AUTH command and its password do not travel in the cause', () => {
    const error = classify(reply('WRONGPASS invalid username-password pair', ['app', 's3cret-pw']), 'x');
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('s3cret-pw');
    expect((error.cause as { command?: unknown }).command).toBeUndefined();
    expect(String(error.message)).not.toContain('s3cret-pw');
  });

  it('authentication: a TLS certificate the client refused', () => {
    const error = classify(systemError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'connecting');
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain('tls.ca');
  });

  it('authorization: NOPERM on a command or a key, and a script refused by an ACL', () => {
    for (const message of [
      "NOPERM this user has no permissions to run the 'xadd' command",
      'NOPERM this user has no permissions to access one of the keys used as arguments',
      "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments",
    ]) {
      const error = classify(reply(message), 'a receive');
      expect(error).toBeInstanceOf(AuthorizationError);
      expect(error.retryable).toBe(false);
    }
  });

  it('not found: a database number the server does not have', () => {
    const error = classify(reply('ERR DB index is out of range'), 'connecting');
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.retryable).toBe(false);
  });

  it('unsupported: a command a server older than 6.2 does not know, named', () => {
    const error = classify(reply("ERR unknown command 'BLMOVE', with args beginning with: "), 'a receive');
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error.message).toContain('BLMOVE');
    expect(error.message).toContain('6.2');
    expect(classify(reply("ERR wrong number of arguments for 'lpop' command"), 'x')).toBeInstanceOf(UnsupportedError);
  });

  it('connection: a refused, reset or closed connection is a retryable ConnectionLostError', () => {
    for (const error of [
      systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:6390'),
      systemError('ECONNRESET', 'read ECONNRESET'),
      new Error('Connection is closed.'),
    ]) {
      const classified = classify(error, 'a receive');
      expect(classified).toBeInstanceOf(ConnectionLostError);
      expect(classified.retryable).toBe(true);
    }
  });

  it('transient replies retry; a missing group retries (reopening creates it); others do not', () => {
    for (const code of ['LOADING', 'BUSY', 'TRYAGAIN', 'MASTERDOWN', 'READONLY', 'NOGROUP']) {
      const error = classify(reply(`${code} something`), 'x');
      expect(error.code).toBe(`REDIS_${code}`);
      expect(error.retryable).toBe(true);
    }
    const wrongType = classify(reply('WRONGTYPE Operation against a key holding the wrong kind of value'), 'x');
    expect(wrongType.code).toBe('REDIS_WRONGTYPE');
    expect(wrongType.retryable).toBe(false);
  });

  it('an rxq error passes through unchanged', () => {
    const error = new RxqError('X', 'y');
    expect(classify(error, 'z')).toBe(error);
  });
});
