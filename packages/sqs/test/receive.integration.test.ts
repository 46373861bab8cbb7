import { ack, fromQueue, handle } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, expect, it } from 'vitest';
import { CLIENT_CONFIG, testQueue, type TestQueue } from './helpers.js';

/** A client that counts its `ReceiveMessage` calls: the most in flight at once, and each start. */
function receiveProbe() {
  const client = new SQSClient(CLIENT_CONFIG);
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  const probe = { client, inFlight: 0, peak: 0, started: 0 };
  const waiters: { count: number; resolve: () => void }[] = [];
  (client as unknown as { send: (command: unknown) => Promise<unknown> }).send = (command) => {
    if (command?.constructor.name !== 'ReceiveMessageCommand') return send(command);
    probe.peak = Math.max(probe.peak, ++probe.inFlight);
    probe.started++;
    for (const w of waiters) if (probe.started >= w.count) w.resolve();
    return send(command).finally(() => probe.inFlight--);
  };
  /** Resolves once `count` receives have started. */
  const startedAtLeast = (count: number) =>
    new Promise<void>((resolve) => {
      if (probe.started >= count) resolve();
      else waiters.push({ count, resolve });
    });
  return Object.assign(probe, { startedAtLeast });
}

let t: TestQueue | undefined;
let client: SQSClient | undefined;
afterEach(async () => {
  await t?.close();
  client?.destroy();
  t = client = undefined;
});

it('keeps one receive waiting on a drained queue, whatever maxConcurrentReceives', async () => {
  t = await testQueue('drained');
  const probe = receiveProbe();
  client = probe.client;
  const source = fromQueue(t.connector({ client, maxConcurrentReceives: 4 }), { maxInFlight: 100 });
  const subscription = source
    .pipe(
      handle(async () => undefined),
      ack(),
    )
    .subscribe();
  // The first long poll came back empty and the next one began: credit for four all along.
  await probe.startedAtLeast(2);
  await source.stop();
  subscription.unsubscribe();
  expect(probe.peak).toBe(1);
}, 20_000);

it('runs maxConcurrentReceives receives at once while they come back full', async () => {
  t = await testQueue('backlog');
  await t.send(Array.from({ length: 300 }, (_, n) => ({ n })));
  const probe = receiveProbe();
  client = probe.client;
  const source = fromQueue(t.connector({ client, maxConcurrentReceives: 4 }), { maxInFlight: 100 });
  const records = await collectUntil(
    source.pipe(
      handle(async () => undefined),
      ack(),
    ),
    (rs) => rs.length >= 300,
    30_000,
  );
  await source.stop();
  expect(records).toHaveLength(300);
  expect(probe.peak).toBe(4);
}, 40_000);
