import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { AuthorizationError, fromQueue, type RxqError } from '@rxq/core';
import { collectAll } from '@rxq/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { amqp } from '../src/index.js';

const run = promisify(execFile);
const user = `rxq-test-${randomUUID().slice(0, 8)}`;
const password = `pw-${randomUUID()}`;

/** A user of this test's own on the shared broker, removed afterwards. */
beforeAll(async () => {
  await run('rabbitmqctl', ['add_user', user, password]);
});
afterAll(async () => {
  await run('rabbitmqctl', ['delete_user', user]);
});

/** Subscribes and returns the error the stream ended with, and whether it ever tried again. */
async function failure(connection: string, queue = `rxq.access.${randomUUID().slice(0, 8)}`) {
  const source = fromQueue(amqp(queue, { connection }));
  const statuses: string[] = [];
  source.status$.subscribe((s) => statuses.push(s.status));
  const error = (await collectAll(source).catch((e: unknown) => e)) as RxqError;
  return { error, retried: statuses.includes('reconnecting') };
}

it('a vhost the user has no permission on errors the stream at once with AuthorizationError', async () => {
  const { error, retried } = await failure(`amqp://${user}:${password}@127.0.0.1:5672/`);
  expect(error).toBeInstanceOf(AuthorizationError);
  expect(error).toMatchObject({ code: 'AUTHORIZATION_FAILED', retryable: false });
  expect(error.message).not.toContain(password);
  expect(retried).toBe(false);
});

it('a queue the user may not declare (403) errors the stream at once with AuthorizationError', async () => {
  await run('rabbitmqctl', ['set_permissions', '-p', '/', user, '^$', '^$', '^$']);
  const { error, retried } = await failure(`amqp://${user}:${password}@127.0.0.1:5672/`);
  expect(error).toBeInstanceOf(AuthorizationError);
  expect(error.message).toContain('ACCESS_REFUSED');
  expect(retried).toBe(false);
});

it('a vhost that does not exist errors the stream at once, saying so', async () => {
  // amqplib drops the reply text of a refused connection.open: missing and forbidden look the same.
  const { error, retried } = await failure(`amqp://guest:guest@127.0.0.1:5672/rxq-no-such-vhost-${randomUUID()}`);
  expect(error).toBeInstanceOf(AuthorizationError);
  expect(error.message).toContain('it does not exist, or the user has no permission on it');
  expect(retried).toBe(false);
});
