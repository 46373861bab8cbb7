import {
  ack,
  AuthenticationError,
  ConnectionGaveUpError,
  fromQueue,
  handle,
  NotFoundError,
  RxqError,
  type Message,
} from '@rxq/core';
import { collectAll, collectUntil } from '@rxq/core/testing';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, expect, it } from 'vitest';
import { nats, publishMany } from '../src/index.js';
import { testStream, type TestStream } from './helpers.js';
import { cuttableProxy, privateServer, type CuttableProxy, type PrivateServer } from './servers.js';

const bodies = (count: number, from = 0) => Array.from({ length: count }, (_, i) => ({ n: from + i }));

let t: TestStream | undefined;
let proxy: CuttableProxy | undefined;
let server: PrivateServer | undefined;
afterEach(async () => {
  await t?.close();
  await proxy?.close();
  await server?.dispose();
  t = proxy = server = undefined;
});

/** Consumes `total` distinct ns, holding handlers once `holdFrom` were handled until `release()`. */
function consumeHolding(source: ReturnType<typeof fromQueue<{ n: number }>>, total: number, holdFrom: number) {
  const handled = new Set<number>();
  const delivered = new Set<number>();
  const redelivered = new Set<number>();
  let reached!: () => void;
  const half = new Promise<void>((resolve) => (reached = resolve));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const done = collectUntil(
    source.pipe(
      handle(
        async (m: Message<{ n: number }>) => {
          if (delivered.has(m.body.n)) redelivered.add(m.body.n);
          delivered.add(m.body.n);
          if (handled.size >= holdFrom) {
            reached();
            await gate; // held across the loss: their settlements go nowhere
          }
          handled.add(m.body.n);
        },
        { concurrency: 8 },
      ),
      ack(),
    ),
    () => handled.size === total,
    60_000,
  );
  return { handled, redelivered, half, release, done };
}

it('reconnects after its socket is cut mid-stream and loses nothing', async () => {
  t = await testStream('cut');
  await t.publish(bodies(600));
  proxy = await cuttableProxy(4222);
  const source = fromQueue<{ n: number }>(t.connector({ connection: proxy.url, ackWaitMs: 2_000 }), {
    maxInFlight: 20,
    reconnect: { initialMs: 50, maxMs: 500 },
  });
  const statuses: string[] = [];
  source.status$.subscribe((s) => statuses.push(s.status));
  const run = consumeHolding(source, 600, 200);
  await run.half;
  const reconnecting = firstValueFrom(source.status$.pipe(filter((s) => s.status === 'reconnecting')));
  expect(proxy.cut()).toBeGreaterThan(0);
  const event = await reconnecting;
  expect(event.error).toBeInstanceOf(RxqError);
  expect((event.error as RxqError).retryable).toBe(true);
  run.release();
  await run.done;
  await source.stop();
  expect(statuses.slice(statuses.indexOf('reconnecting'))).toContain('connected');
  expect(run.handled.size).toBe(600);
  // The settlements of what the lost session held went nowhere: those messages (at most
  // maxInFlight, all handled already) come again after the ack wait, to this source if it is still
  // running by then, else to the next consumer.
  expect(source.metrics.snapshot().settleErrors).toBeGreaterThan(0);
  const again = new Set([...run.redelivered, ...(await drainRest(t))]);
  expect(again.size).toBeGreaterThan(0);
  expect(again.size).toBeLessThanOrEqual(20);
  for (const n of again) expect(run.handled.has(n)).toBe(true);
}, 60_000);

/** Consumes what is left on the durable consumer until nothing is pending or unacked; returns its ns. */
async function drainRest(stream: TestStream): Promise<number[]> {
  const rest = fromQueue<{ n: number }>(stream.connector({ ackWaitMs: 2_000 }));
  const ns: number[] = [];
  const sub = rest.subscribe((m) => {
    ns.push(m.body.n);
    void m.ack();
  });
  await expect.poll(() => stream.consumerState(), { timeout: 15_000 }).toEqual({ pending: 0, ackPending: 0 });
  await rest.stop();
  sub.unsubscribe();
  return ns;
}

it('rides out a restart of its (private) server and loses nothing', async () => {
  server = await privateServer();
  t = await testStream('restart', server.url);
  await t.publish(bodies(400));
  const source = fromQueue<{ n: number }>(t.connector({ ackWaitMs: 2_000 }), {
    maxInFlight: 20,
    reconnect: { initialMs: 50, maxMs: 300 },
  });
  const run = consumeHolding(source, 400, 150);
  await run.half;
  const reconnecting = firstValueFrom(source.status$.pipe(filter((s) => s.status === 'reconnecting')));
  await server.stop();
  await reconnecting;
  await server.start();
  run.release();
  await run.done;
  await source.stop();
  expect(run.handled.size).toBe(400);
  const again = await drainRest(t);
  for (const n of again) expect(run.handled.has(n)).toBe(true);
}, 60_000);

it('errors at once, not retryable, for a stream that does not exist', async () => {
  const source = fromQueue(nats('RXQ_T_MISSING_STREAM_X'));
  const statuses: string[] = [];
  source.status$.subscribe((s) => statuses.push(s.status));
  const error = await collectAll(source).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(NotFoundError);
  expect((error as RxqError).retryable).toBe(false);
  expect(statuses).not.toContain('reconnecting');
});

it('errors at once for a missing durable consumer when it may not create one', async () => {
  t = await testStream('noconsumer');
  const error = await collectAll(fromQueue(t.connector({ consumer: 'absent', createConsumer: false }))).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NotFoundError);
  expect((error as Error).message).toContain('createConsumer');
});

it('gives up after reconnect.maxRetries on an unreachable server', async () => {
  const source = fromQueue(nats('S', { connection: '127.0.0.1:1' }), {
    reconnect: { initialMs: 10, maxMs: 20, maxRetries: 2 },
  });
  const error = await collectAll(source).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectionGaveUpError);
  expect(((error as Error).cause as RxqError).retryable).toBe(true);
});

it('errors at once, not retryable, when the server refuses the credentials, without the password', async () => {
  server = await privateServer(['--user', 'app', '--pass', 'right-pass']);
  const source = fromQueue(nats('S', { connection: { servers: server.url, user: 'app', pass: 'wrong-pass' } }));
  const statuses: string[] = [];
  source.status$.subscribe((s) => statuses.push(s.status));
  const error = await collectAll(source).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AuthenticationError);
  expect((error as RxqError).retryable).toBe(false);
  expect((error as Error).message).not.toContain('wrong-pass');
  expect(statuses).not.toContain('reconnecting');
});

it('publishes through a connection the user owns, and leaves it open', async () => {
  t = await testStream('owned');
  await publishMany(t.nc, t.subject, bodies(5));
  const source = fromQueue<{ n: number }>(t.connector({ connection: t.nc }));
  const seen = await collectUntil(
    source.pipe(
      handle((m: Message<{ n: number }>) => m.body.n),
      ack(),
    ),
    (r) => r.length === 5,
  );
  await source.stop();
  expect(seen.map((r) => r.settlement)).toEqual(Array(5).fill('acked'));
  expect(t.nc.isClosed()).toBe(false);
});
