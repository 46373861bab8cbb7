import { AuthenticationError, fromQueue, type StatusEvent } from '@rxq/core';
import { expect, it } from 'vitest';
import { kafka } from '../src/index.js';
import { BROKERS, unique } from './helpers.js';
import { recordingLogger } from './tools.js';

// The shared broker's listener has no SASL: the handshake that `sasl` makes kafkajs send is
// refused by the real broker, which is what a client with SASL settings the broker rejects meets.
it('SASL options reach the client; a refused authentication errors the stream at once, secret nowhere', async () => {
  const logger = recordingLogger();
  const source = fromQueue(
    kafka(unique('auth'), {
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
