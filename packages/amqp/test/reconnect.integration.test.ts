import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { ack, AuthenticationError, ConnectionGaveUpError, fromQueue, handle, RxqError, type Message } from '@rxq/core';
import { collectAll, collectUntil } from '@rxq/core/testing';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, expect, it } from 'vitest';
import { amqp, publish, publishMany } from '../src/index.js';
import { testQueue, type TestQueue } from './helpers.js';

const run = promisify(execFile);
const bodies = (count: number, from = 0) => Array.from({ length: count }, (_, i) => ({ n: from + i }));

let t: TestQueue | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** Closes the broker side of the connection named `name` (two rabbitmqctl calls). */
async function closeConnection(name: string): Promise<void> {
  const { stdout } = await run('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '-q']);
  const line = stdout.split('\n').find((l) => l.includes(`"${name}"`));
  if (!line) throw new Error(`no connection named ${name}`);
  await run('rabbitmqctl', ['close_connection', line.split('\t')[0]!, 'rxq test: connection loss']);
}

it('reconnects after the broker closes its connection mid-stream and loses nothing', async () => {
  t = await testQueue('connloss');
  await publishMany(t.admin, t.queue, bodies(600));
  const name = `rxq-test-${randomUUID()}`;
  const logs: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const log = (level: string) => (fields: Record<string, unknown>, message: string) =>
    void logs.push({ level, message, fields });
  const source = fromQueue<{ n: number }>(t.connector({ connectionName: name }), {
    maxInFlight: 20,
    reconnect: { initialMs: 50, maxMs: 500 },
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
  });
  const statuses: string[] = [];
  source.status$.subscribe((s) => statuses.push(s.status));
  const handled = new Set<number>();
  let reachedHalf!: () => void;
  const half = new Promise<void>((resolve) => (reachedHalf = resolve));
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const done = collectUntil(
    source.pipe(
      handle(
        async (m: Message<{ n: number }>) => {
          if (handled.size >= 200) {
            reachedHalf();
            await gate; // hold these until the connection is gone: their acks are lost
          }
          handled.add(m.body.n);
        },
        { concurrency: 8 },
      ),
      ack(),
    ),
    () => handled.size === 600,
    60_000,
  );
  await half;
  const reconnecting = firstValueFrom(source.status$.pipe(filter((s) => s.status === 'reconnecting')));
  await closeConnection(name);
  const event = await reconnecting;
  expect(event.error).toBeInstanceOf(RxqError);
  expect((event.error as RxqError).retryable).toBe(true);
  openGate();
  await done;
  await source.stop();
  expect(statuses.slice(statuses.indexOf('reconnecting'))).toContain('connected');
  expect(handled.size).toBe(600);
  expect(await t.ready()).toBe(0);
  // Through the source's logger: each connect, and the loss with the broker's reason.
  expect(logs.filter((l) => l.message === 'amqp: connected').length).toBeGreaterThanOrEqual(2);
  const lost = logs.find((l) => l.message === 'amqp: connection lost');
  expect(lost).toMatchObject({ level: 'warn', fields: { source: t.queue } });
  expect(JSON.stringify(lost?.fields.err)).toContain('CONNECTION_FORCED');
}, 60_000);

it('reports a consumer the broker cancelled (queue deleted) as lost, reconnects and declares the queue again', async () => {
  t = await testQueue('cancel');
  await publishMany(t.admin, t.queue, bodies(10));
  const source = fromQueue<{ n: number }>(t.connector(), { reconnect: { initialMs: 50, maxMs: 200 } });
  const seen: number[] = [];
  let deleted = false;
  const done = collectUntil(
    source.pipe(
      handle((m: Message<{ n: number }>) => void seen.push(m.body.n)),
      ack(),
    ),
    () => seen.includes(100),
    30_000,
  );
  await expect.poll(() => seen.length).toBe(10);
  const lost = firstValueFrom(source.status$.pipe(filter((s) => s.status === 'reconnecting')));
  const channel = await t.admin.createChannel();
  await channel.deleteQueue(t.queue);
  deleted = true;
  const event = await lost;
  expect(String((event.error as Error).message)).toContain('cancelled');
  await firstValueFrom(source.status$.pipe(filter((s) => deleted && s.status === 'connected')));
  await channel.checkQueue(t.queue); // declared again by the new session
  await channel.close();
  await publishMany(t.admin, t.queue, [{ n: 100 }]);
  await done;
  await source.stop();
  expect(seen).toContain(100);
});

it('gives up after reconnect.maxRetries on an unreachable broker, without the password in the error', async () => {
  const source = fromQueue(amqp('rxq.unreachable', { connection: 'amqp://guest:s3cret@127.0.0.1:1' }), {
    reconnect: { initialMs: 10, maxMs: 20, maxRetries: 2 },
  });
  const error = await collectAll(source).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectionGaveUpError);
  const cause = (error as Error).cause as Error;
  expect(cause).toBeInstanceOf(RxqError);
  expect(cause.message).toContain('amqp://guest:***@127.0.0.1:1');
  expect(JSON.stringify([(error as Error).message, cause.message])).not.toContain('s3cret');
});

it('errors the stream at once, not retryable, when the broker refuses the credentials', async () => {
  const logs: unknown[] = [];
  const log = (fields: Record<string, unknown>, message: string) => void logs.push([message, fields]);
  const source = fromQueue(amqp('rxq.refused', { connection: 'amqp://guest:wrong-pass@127.0.0.1:5672' }), {
    logger: { debug: log, info: log, warn: log, error: log },
  });
  const statuses: string[] = [];
  const events: unknown[] = [];
  source.status$.subscribe((s) => {
    statuses.push(s.status);
    events.push({ status: s.status, error: (s.error as Error | undefined)?.message });
  });
  const error = await collectAll(source).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AuthenticationError);
  expect((error as RxqError).code).toBe('AUTHENTICATION_FAILED');
  expect((error as RxqError).retryable).toBe(false);
  expect(statuses).not.toContain('reconnecting');
  expect(JSON.stringify([(error as Error).message, events, logs])).not.toContain('wrong-pass');
  // The publish helper says the same.
  const published = await publish('amqp://guest:wrong-pass@127.0.0.1:5672', 'rxq.refused', {}).catch((e: unknown) => e);
  expect(published).toBeInstanceOf(AuthenticationError);
  expect((published as Error).message).not.toContain('wrong-pass');
});
