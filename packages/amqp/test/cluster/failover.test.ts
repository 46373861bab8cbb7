import { connect, type ChannelModel } from 'amqplib';
import { afterEach, expect, it } from 'vitest';
import { amqp, publishMany } from '../../src/index.js';
import { uniqueQueue } from '../helpers.js';
import { countingConsumer, leaderOf, NODE_URLS, rabbit, type CountingConsumer } from './cluster.js';

const MAX_IN_FLIGHT = 50;
const bodies = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ n: from + i }));

/**
 * Publishes in chunks of 100, sending a chunk again when the broker did not confirm all of it (a
 * quorum queue nacks while it has no leader): an at-least-once producer. Returns the copies sent
 * beyond one per body.
 */
async function publishRetrying(connection: ChannelModel, queue: string, all: { n: number }[]): Promise<number> {
  let extra = 0;
  for (let i = 0; i < all.length; i += 100) {
    const chunk = all.slice(i, i + 100);
    for (let attempt = 1; ; attempt++) {
      try {
        await publishMany(connection, queue, chunk);
        break;
      } catch (error) {
        if (!(error as { retryable?: boolean }).retryable || attempt === 50) throw error;
        extra += chunk.length;
        await new Promise((r) => setTimeout(r, 200)); // backoff before the next attempt
      }
    }
  }
  return extra;
}

let admin: ChannelModel | undefined;
let queue: string | undefined;
let consumer: CountingConsumer | undefined;
let stopped: number | undefined;
afterEach(async () => {
  consumer?.stop();
  // whatever happened, leave all three nodes running, then delete what the test made
  if (stopped !== undefined) await rabbit('start-node', String(stopped));
  stopped = undefined;
  if (admin && queue) {
    const ch = await admin.createChannel();
    for (const name of [queue, `${queue}.dead`]) await ch.deleteQueue(name).catch(() => undefined);
    await admin.close().catch(() => undefined);
  }
  admin = queue = undefined;
});

it.each([
  ['stop_app', 'stop-app'],
  ['SIGKILL', 'kill'],
])(
  'the node holding the quorum queue leader goes away mid-stream (%s): the consumer reconnects to another node, nothing lost',
  async (_, how) => {
    const victim = 2;
    const survivor = 1;
    queue = uniqueQueue('cluster.failover');
    // Declared through the victim, the queue's leader is there (RabbitMQ places it client-local).
    const first = await connect(NODE_URLS[victim - 1]!);
    await (await first.createChannel()).assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await first.close();
    expect(await leaderOf(queue, survivor)).toBe(victim);
    admin = await connect(NODE_URLS[survivor - 1]!);
    admin.on('error', () => undefined);

    const before = 3_000;
    const during = 1_000;
    await publishMany(admin, queue, bodies(0, before));
    // The consumer lists the victim first: its connection is on the node that goes away.
    const connection = [NODE_URLS[victim - 1]!, NODE_URLS[2]!, NODE_URLS[survivor - 1]!];
    consumer = countingConsumer(amqp(queue, { connection, queueType: 'quorum' }), MAX_IN_FLIGHT);
    await consumer.allAcked(500);

    const goneAt = Date.now();
    await rabbit(how, String(victim));
    stopped = victim;
    const resent = await publishRetrying(admin, queue, bodies(before, during));
    await consumer.allAcked(before + during);
    const firstAfter = Math.min(...bodies(before, during).map((b) => consumer!.firstHandledAt.get(b.n) ?? Infinity));
    const leaderAfter = await leaderOf(queue, survivor);
    consumer.stop();

    const losses = consumer.statuses.filter((s) => s === 'reconnecting').length;
    console.log(
      `amqp cluster failover (${how} node ${victim}): first message published after it handled ` +
        `${firstAfter - goneAt} ms after it; leader now rxq${leaderAfter}; ${consumer.duplicates()} duplicate deliveries ` +
        `of ${before + during} (${resent} copies published again after a nack); connected to ${consumer.connectedTo.join(' then ')}`,
    );
    for (let n = 0; n < before + during; n++) expect(consumer.acked.has(n), `message ${n}`).toBe(true);
    expect(leaderAfter).not.toBe(victim);
    expect(consumer.connectedTo[0]).toContain(`:${5680 + victim}`);
    expect(consumer.connectedTo.length).toBeGreaterThan(1);
    expect(consumer.connectedTo.at(-1)).not.toContain(`:${5680 + victim}`);
    expect(losses).toBeGreaterThanOrEqual(1);
    // What the broker had out unacked when the connection went (at most the prefetch) comes again,
    // besides the copies the producer sent twice.
    expect(consumer.duplicates()).toBeLessThanOrEqual(MAX_IN_FLIGHT * losses + resent);
  },
);
