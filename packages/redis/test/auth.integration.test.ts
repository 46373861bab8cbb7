import { AuthenticationError, AuthorizationError, fromQueue, NotFoundError, type RxqError } from '@rxq/core';
import { Redis } from 'ioredis';
import { firstValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish, publishToStream, redis, redisSimpleList, redisStream } from '../src/index.js';
import { cleanup, client, uniqueName } from './helpers.js';
import { recordingLogger } from './logs.js';

// An ACL user of this test file only (the default user is never touched), deleted afterwards.
const admin = client();
const stem = uniqueName('acl');
const user = `rxq-test-${stem.split(':').pop() ?? ''}`;
const password = `pw-${Math.random().toString(36).slice(2)}`;
const wrong = `wrong-${Math.random().toString(36).slice(2)}`;

beforeAll(async () => {
  // Every command on this test's own keys, but XADD refused, and nothing outside them.
  await admin.call('ACL', 'SETUSER', user, 'reset', 'on', `>${password}`, `~${stem}:*`, '+@all', '-xadd');
});
afterAll(async () => {
  await admin.call('ACL', 'DELUSER', user);
  await cleanup(admin, stem);
  await admin.quit();
});

const url = (pw: string): string => `redis://${user}:${pw}@127.0.0.1:6379`;

/** Subscribes and resolves with the error the stream ended with, the statuses and the logs. */
async function failure(
  make: (logger: ReturnType<typeof recordingLogger>) => ReturnType<typeof fromQueue>,
): Promise<{ error: RxqError; statuses: string; logs: string }> {
  const logger = recordingLogger();
  const source = make(logger);
  const statuses: unknown[] = [];
  source.status$.subscribe((e) => statuses.push(e));
  const error = await firstValueFrom(source.pipe(toArray())).then(
    () => {
      throw new Error('the stream completed instead of erroring');
    },
    (e: unknown) => e as RxqError,
  );
  return { error, statuses: JSON.stringify(statuses, replacer), logs: JSON.stringify(logger.records, replacer) };
}

/** Serialises errors with their own properties and causes, to look for a secret anywhere. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error)
    return Object.fromEntries(Object.getOwnPropertyNames(value).map((k) => [k, (value as never)[k]]));
  return value;
}

function expectNoSecret(...texts: string[]): void {
  for (const text of texts) {
    expect(text).not.toContain(wrong);
    expect(text).not.toContain(password);
  }
}

describe('a wrong password errors the stream with AuthenticationError, never retried', () => {
  it.each([
    ['reliable list', (logger: never) => fromQueue(redis(`${stem}:q1`, { connection: url(wrong) }), { logger })],
    [
      'simple list',
      (logger: never) => fromQueue(redisSimpleList(`${stem}:q2`, { connection: url(wrong) }), { logger }),
    ],
    [
      'stream',
      (logger: never) => fromQueue(redisStream(`${stem}:s1`, { group: 'g', connection: url(wrong) }), { logger }),
    ],
  ])('%s', async (_, make) => {
    const { error, statuses, logs } = await failure(make as never);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/credentials/);
    // It errored at once: no reconnect was tried.
    expect(statuses).not.toContain('reconnecting');
    expect(logs).toContain('AUTHENTICATION_FAILED');
    expectNoSecret(error.message, JSON.stringify(error, replacer), statuses, logs);
  });

  it('publish with a URL and publish on a client made with the wrong password', async () => {
    const e1 = await publish(url(wrong), `${stem}:q3`, { n: 1 }).catch((e: unknown) => e as RxqError);
    expect(e1).toBeInstanceOf(AuthenticationError);
    expectNoSecret(JSON.stringify(e1, replacer));
    const app = new Redis(url(wrong), { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    app.on('error', () => undefined);
    const e2 = await publish(app, `${stem}:q3`, { n: 1 }).catch((e: unknown) => e as RxqError);
    app.disconnect();
    expect(e2).toBeInstanceOf(AuthenticationError);
    expectNoSecret(JSON.stringify(e2, replacer));
  });
});

describe('a missing permission errors the stream with AuthorizationError', () => {
  it('a queue outside the keys the user may touch', async () => {
    const { error, logs } = await failure((logger) =>
      fromQueue(redis(uniqueName('elsewhere'), { connection: url(password) }), { logger }),
    );
    expect(error).toBeInstanceOf(AuthorizationError);
    expect(error.retryable).toBe(false);
    expectNoSecret(error.message, logs);
  });

  it('a command the user may not run (XADD)', async () => {
    const error = await publishToStream(url(password), `${stem}:s2`, { n: 1 }).then(
      () => undefined,
      (e: unknown) => e as RxqError,
    );
    expect(error).toBeInstanceOf(AuthorizationError);
    expect(error?.message).toContain('xadd');
  });

  it('the right password on the user’s own keys works', async () => {
    const q = `${stem}:ok`;
    await publish(url(password), q, { n: 7 });
    const source = fromQueue<{ n: number }>(redis(q, { connection: url(password), blockMs: 100 }));
    const m = await firstValueFrom(source);
    await m.ack();
    await source.stop();
    expect(m.body).toEqual({ n: 7 });
  });
});

describe('a database the server does not have', () => {
  it('errors the stream with NotFoundError instead of reading database 0', async () => {
    const { error } = await failure((logger) =>
      fromQueue(redis(uniqueName('db'), { connection: 'redis://127.0.0.1:6379/4000' }), { logger }),
    );
    expect(error).toBeInstanceOf(NotFoundError);
    expect(await publish('redis://127.0.0.1:6379/4000', uniqueName('db'), 1).catch((e: unknown) => e)).toBeInstanceOf(
      NotFoundError,
    );
  });
});
