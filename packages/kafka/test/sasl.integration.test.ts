import { homedir } from 'node:os';
import { join } from 'node:path';
import { ack, AuthenticationError, fromQueue, handle, type StatusEvent } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { kafka, publish } from '../src/index.js';
import { DRIVER, unique } from './helpers.js';
import { kafkaSh, recordingLogger } from './tools.js';
const ON_DRIVER = DRIVER === 'platformatic' ? ({ driver: 'platformatic' } as const) : {};

// A private broker of this test (the shared one on 9092 has no SASL): same jars, its own data,
// PLAINTEXT on 29192 for the script's checks, SASL/PLAIN on 29194 with the script's test user.
const PRIVATE = {
  RXQ_KAFKA_HOME: join(process.env.RXQ_TEST_TMP ?? '/tmp', 'rxq-kafka-sasl-test'),
  RXQ_KAFKA_LIBS: join(process.env.RXQ_KAFKA_HOME ?? join(homedir(), '.cache/rxq-kafka'), 'libs'),
  RXQ_KAFKA_PORT: '29192',
  RXQ_KAFKA_CONTROLLER_PORT: '29193',
  RXQ_KAFKA_SASL_PORT: '29194',
  RXQ_KAFKA_HEAP_OPTS: '-Xmx384m -Xms128m',
};
const privateSh = (command: string): Promise<string> => kafkaSh([command], '', 120_000, PRIVATE);
const BROKERS = ['127.0.0.1:29194'];
const GOOD = { mechanism: 'plain', username: 'rxq', password: 'rxq-test-secret' } as const;

beforeAll(async () => {
  await privateSh('start');
}, 150_000);
afterAll(async () => {
  await privateSh('reset'); // stops it and deletes its data (this test's own)
}, 90_000);

it('SASL/PLAIN: publish and consume with the right credentials', async () => {
  const topic = unique('sasl');
  await publish({ brokers: BROKERS, sasl: GOOD }, topic, { n: 1 });
  const options = { brokers: BROKERS, sasl: GOOD, groupId: unique('sasl-group'), fromBeginning: true };
  const source = fromQueue<{ n: number }>(
    kafka(topic, { ...options, ...ON_DRIVER, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 300 }),
  );
  const bodies: number[] = [];
  await collectUntil(
    source.pipe(
      handle((m) => void bodies.push(m.body.n)),
      ack(),
    ),
    (rs) => rs.length >= 1,
    60_000,
  );
  expect(bodies).toEqual([1]);
});

it('a wrong password errors the stream at once with AuthenticationError; the password is nowhere', async () => {
  const logger = recordingLogger();
  const source = fromQueue(
    kafka(unique('sasl'), {
      ...ON_DRIVER,
      brokers: BROKERS,
      sasl: { ...GOOD, password: 'wrong-hunter2' },
      groupId: unique('sasl-group'),
    }),
    { reconnect: { initialMs: 50 }, logger },
  );
  const statuses: StatusEvent[] = [];
  source.status$.subscribe((s) => statuses.push(s));
  const error = await new Promise<unknown>((resolve) =>
    source.subscribe({ error: resolve, complete: () => resolve(undefined) }),
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  expect(statuses.map((s) => s.status)).not.toContain('reconnecting');
  const published: unknown = await publish(
    { brokers: BROKERS, sasl: { ...GOOD, password: 'wrong-hunter2' } },
    unique('sasl'),
    1,
  ).catch((e: unknown) => e);
  expect(published).toBeInstanceOf(AuthenticationError);
  const everything = JSON.stringify({
    errors: [error, published].map((e) => ({ message: (e as Error).message, stack: (e as Error).stack })),
    statuses: statuses.map((s) => ({ status: s.status, error: String(s.error) })),
    logs: logger.records,
  });
  expect(everything).not.toContain('hunter2');
});
