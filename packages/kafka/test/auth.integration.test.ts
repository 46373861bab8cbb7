import { AuthenticationError, ConnectionLostError, fromQueue, type StatusEvent } from '@rxq/core';
import { expect, it } from 'vitest';
import { kafka, publish } from '../src/index.js';
import { BROKERS, DRIVER, unique } from './helpers.js';
import { recordingLogger } from './tools.js';
const ON_DRIVER = DRIVER === 'platformatic' ? ({ driver: 'platformatic' } as const) : {};

// The shared broker's listener has no SASL: the handshake that `sasl` makes kafkajs send is
// refused by the real broker, which is what a client with SASL settings the broker rejects meets.
it('SASL options reach the client; a refused authentication errors the stream at once, secret nowhere', async () => {
  const logger = recordingLogger();
  const source = fromQueue(
    kafka(unique('auth'), {
      ...ON_DRIVER,
      groupId: unique('auth-group'),
      brokers: BROKERS,
      sasl: { mechanism: 'scram-sha-512', username: 'app', password: 'hunter2-secret' },
    }),
    { reconnect: { initialMs: 50 }, logger },
  );
  const statuses: StatusEvent[] = [];
  source.status$.subscribe((s) => statuses.push(s));
  const error = await new Promise<unknown>((resolve) =>
    source.subscribe({ error: resolve, complete: () => resolve(undefined) }),
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  expect((error as AuthenticationError).retryable).toBe(false);
  expect(statuses.map((s) => s.status)).not.toContain('reconnecting');
  const everything = JSON.stringify({
    message: (error as Error).message,
    stack: (error as Error).stack,
    statuses: statuses.map((s) => ({ status: s.status, error: String(s.error) })),
    logs: logger.records,
  });
  expect(everything).not.toContain('hunter2');
});

it('ssl reaches the client: a TLS handshake against the plaintext listener fails as a connection error', async () => {
  const error: unknown = await publish({ brokers: BROKERS, ssl: { rejectUnauthorized: true } }, unique('ssl'), 1).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectionLostError);
  // What kafkajs met underneath is TLS's own failure, so TLS was attempted.
  const causes: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = (e as { cause?: unknown }).cause) causes.push(e.message);
  expect(causes.join(' | ')).toMatch(/SSL|TLS|socket disconnected|ECONNRESET|wrong version/i);
});
