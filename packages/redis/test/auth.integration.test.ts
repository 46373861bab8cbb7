import { AuthenticationError, AuthorizationError, fromQueue, NotFoundError, type RxqError } from '@rxq/core';
import { Redis } from 'ioredis';
import { firstValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish, publishToStream, redis, redisSimpleList, redisStream } from '../src/index.js';
import { cleanup, client, uniqueName } from './helpers.js';
import { recordingLogger } from './logs.js';
import { until } from '@rxq/core/testing';

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

// The rules the README documents for an rxq user: they must be enough for every source.
const RULES =
  '+@list +@stream +@sortedset +@set +@string +@scripting +del +exists +time +ping +info +select +client|setname +client|id +client|unblock';

describe('the ACL rules the README documents', () => {
  const limited = `rxq-test-rules-${stem.split(':').pop() ?? ''}`;
  beforeAll(async () => {
    await admin.call('ACL', 'SETUSER', limited, 'reset', 'on', `>${password}`, `~${stem}:*`, ...RULES.split(' '));
  });
  afterAll(() => admin.call('ACL', 'DELUSER', limited));

  it.each([
    ['reliable list', (q: string, connection: string) => redis(q, { connection, blockMs: 3_000 })],
    ['simple list', (q: string, connection: string) => redisSimpleList(q, { connection, blockMs: 3_000 })],
    ['stream', (q: string, connection: string) => redisStream(q, { group: 'g', connection, blockMs: 3_000 })],
  ])('are enough for the %s: read, resend with a delay, dead-letter, stop', async (kind, make) => {
    const q = `${stem}:rules:${kind.replace(' ', '-')}`;
    const connection = `redis://${limited}:${password}@127.0.0.1:6379`;
    if (kind === 'stream') await publishToStream(admin, q, { n: 1 });
    else await publish(admin, q, { n: 1 });
    const logger = recordingLogger();
    const source = fromQueue<{ n: number }>(make(q, connection), { logger, maxInFlight: 4 });
    const errors: unknown[] = [];
    const attempts: number[] = [];
    source.subscribe({
      next: (m) => {
        attempts.push(m.attempt);
        void (m.attempt === 1 ? m.resend({ delayMs: 20 }) : m.deadLetter('rejected'));
      },
      error: (e: unknown) => errors.push(e),
    });
    await until(async () => (kind === 'stream' ? await admin.xlen(`${q}:dead`) : await admin.llen(`${q}:dead`)) === 1, {
      what: 'the dead letter',
    });
    const started = Date.now();
    await source.stop();
    expect(errors).toEqual([]);
    expect(attempts).toEqual([1, 2]);
    // The stop did not wait out the blocked read (blockMs 3 s).
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(logger.records.filter((r) => r.level === 'error' || r.level === 'warn')).toEqual([]);
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
