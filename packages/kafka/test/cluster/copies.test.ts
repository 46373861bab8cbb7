import { fromQueue, HEADERS, type Message } from '@rxq/core';
import { until } from '@rxq/core/testing';
import { afterEach, expect, it } from 'vitest';
import type { TestTopic } from '../helpers.js';
import { cluster, clusterTopic, committedToEnd, fullyInSync } from './cluster.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const bodies = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ n: from + i }));

let topic: TestTopic | undefined;
let stop: (() => void) | undefined;
let down: number | undefined;
afterEach(async () => {
  stop?.();
  stop = undefined;
  if (down !== undefined) await cluster('start-node', String(down));
  down = undefined;
  await topic?.close();
  topic = undefined;
});

it('a rolling restart while the consumer resends and dead-letters under load: every original settled has its copy in a topic', async () => {
  topic = await clusterTopic('copies', 3);
  const t = topic;

  // Every original is copied: odd n resent (to the topic, attempt 2), even n dead-lettered; copies acked.
  const settled = { resent: 0, deadLettered: 0, copiesAcked: 0 };
  const source = fromQueue<{ n: number }>(t.connector({ commitIntervalMs: 200 }), {
    maxInFlight: 32,
    reconnect: { initialMs: 200, maxMs: 2_000 },
  });
  const settle = async (m: Message<{ n: number }>): Promise<void> => {
    if (m.attempt > 1) {
      await m.ack();
      settled.copiesAcked++;
    } else if (m.body.n % 2 === 1) {
      await m.resend();
      settled.resent++;
    } else {
      await m.deadLetter('copied under a rolling restart');
      settled.deadLettered++;
    }
  };
  const subscription = source.subscribe((m) => void settle(m));
  stop = () => subscription.unsubscribe();

  // A steady load: 10 records about every 200 ms (the harness confirms every record is written);
  // each becomes two writes, its copy acknowledged by the in-sync replicas before the original settles.
  let producing = true;
  let produced = 0;
  const producer = (async () => {
    while (producing) {
      await t.publish(bodies(produced, 10), true);
      produced += 10;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();

  const restarts: string[] = [];
  try {
    await until(() => settled.resent + settled.deadLettered >= 200, { what: 'copies made', timeoutMs: 60_000 });
    for (const node of [1, 2, 3]) {
      const from = Date.now();
      down = node;
      await cluster('stop-node', String(node)); // SIGTERM: leaderships move while copies are produced
      await cluster('start-node', String(node));
      down = undefined;
      await fullyInSync(t.admin, t.name);
      restarts.push(`node ${node} ${((Date.now() - from) / 1000).toFixed(1)} s`);
    }
  } finally {
    producing = false;
    await producer;
  }
  // Every original and every copy settled and committed: no original is left to be delivered again.
  const progress = () =>
    `${produced} produced; ${settled.resent} resent, ${settled.deadLettered} dead-lettered, ` +
    `${settled.copiesAcked} copies acked; ${source.metrics.snapshot().settleErrors} settlement writes failed`;
  await until(() => committedToEnd(t.admin, t.group, t.name).catch(() => false), {
    what: 'committed to the end',
    timeoutMs: 240_000,
    intervalMs: 200,
  }).catch((error: unknown) => {
    throw new Error(`${(error as Error).message} (${progress()})`, { cause: error });
  });
  stop();

  const records = await t.readAll(t.name);
  const dead = await t.readAll(t.dead);
  const nOf = (r: { value: Buffer | null }) => (JSON.parse(String(r.value)) as { n: number }).n;
  const originals = new Set(records.filter((r) => r.headers[HEADERS.attempt] === undefined).map(nOf));
  const resent = records.filter((r) => r.headers[HEADERS.attempt] === '2').map(nOf);
  const deadLettered = dead.map(nOf);
  const resentSet = new Set(resent);
  const deadSet = new Set(deadLettered);
  const lost = [...originals].filter((n) => !(n % 2 === 1 ? resentSet : deadSet).has(n));
  console.log(
    `kafka cluster copies under a rolling restart (${restarts.join(', ')}): ${produced} originals produced, ` +
      `${originals.size} in the topic; ${settled.resent} resent and ${settled.deadLettered} dead-lettered ` +
      `(settlements, with redeliveries), ${resentSet.size} distinct resent copies (${resent.length} records) ` +
      `and ${deadSet.size} dead letters (${deadLettered.length} records) in the topics; ` +
      `${lost.length} originals without their copy`,
  );
  expect(originals.size).toBe(produced);
  expect(settled.resent).toBeGreaterThan(0);
  expect(settled.deadLettered).toBeGreaterThan(0);
  expect(lost.slice(0, 20), `${lost.length} originals settled without their copy`).toEqual([]);
}, 480_000);
