import {
  AuthenticationError,
  AuthorizationError,
  ConnectionLostError,
  NotFoundError,
  RxqError,
  UnsupportedError,
} from '@rxq/core';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { translate } from './errors.js';

/** An error as `pg` raises it for a server error response with this SQLSTATE. */
function serverError(code: string, message = 'server said no'): Error {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

/** An error as Node raises it for a socket failure. */
function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });
}

describe('translate (pg errors by SQLSTATE)', () => {
  it.each(['28P01', '28000'])('%s (bad credentials) is a non-retryable AuthenticationError', (code) => {
    const e = translate(serverError(code, 'password authentication failed for user "app"'), 'a claim');
    expect(e).toBeInstanceOf(AuthenticationError);
    expect(e.retryable).toBe(false);
    expect(e.code).toBe('AUTHENTICATION_FAILED');
  });

  it('42501 (insufficient privilege) is a non-retryable AuthorizationError', () => {
    const e = translate(serverError('42501', 'permission denied for table jobs'), 'a claim');
    expect(e).toBeInstanceOf(AuthorizationError);
    expect(e.retryable).toBe(false);
  });

  it.each(['3D000', '3F000', '42P01'])(
    '%s (missing database, schema or table) is a NotFoundError naming migrate()',
    (code) => {
      const e = translate(serverError(code), 'a claim');
      expect(e).toBeInstanceOf(NotFoundError);
      expect(e.retryable).toBe(false);
      expect(e.message).toContain('migrate()');
    },
  );

  it('0A000 (feature not supported) is an UnsupportedError', () => {
    expect(translate(serverError('0A000'), 'a claim')).toBeInstanceOf(UnsupportedError);
  });

  it.each(['57P01', '57P02', '57P03', '08006', '08003', '08001', '53300'])(
    '%s (shutdown, terminated backend, connection failure, too many connections) is a retryable ConnectionLostError',
    (code) => {
      const e = translate(serverError(code), 'a claim');
      expect(e).toBeInstanceOf(ConnectionLostError);
      expect(e.retryable).toBe(true);
    },
  );

  it.each(['40001', '40P01', '55P03', '53200', '25006'])(
    '%s (serialization failure, deadlock, lock not available, out of memory, read-only replica) is retryable',
    (code) => {
      const e = translate(serverError(code), 'a claim');
      expect(e).toBeInstanceOf(RxqError);
      expect(e.code).toBe(`PG_${code}`);
      expect(e.retryable).toBe(true);
    },
  );

  it.each(['42601', '22P02', '23505', '42703'])('%s (a statement or data error) is non-retryable PG_<code>', (code) => {
    const e = translate(serverError(code), 'a claim');
    expect(e.code).toBe(`PG_${code}`);
    expect(e.retryable).toBe(false);
    expect(e.cause).toBeInstanceOf(pg.DatabaseError);
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'])('socket error %s is a retryable ConnectionLostError', (code) => {
    expect(translate(socketError(code), 'opening a session')).toBeInstanceOf(ConnectionLostError);
  });

  it("pg's own errors without a code (connection terminated unexpectedly) are a ConnectionLostError", () => {
    expect(translate(new Error('Connection terminated unexpectedly'), 'a claim')).toBeInstanceOf(ConnectionLostError);
  });

  it('keeps an RxqError as it is, and never puts a password in the message', () => {
    const own = new RxqError('X', 'x');
    expect(translate(own, 'a claim')).toBe(own);
    const e = translate(serverError('28P01', 'password authentication failed for user "app"'), 'opening a session');
    expect(e.message).not.toMatch(/secret/);
  });
});
