import { ack, fromQueue, handle, text } from '@rxq/core';
import { collectUntil, until } from '@rxq/core/testing';
import { kafka } from '@rxq/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneLineError, rxq, rxqJson, start, uniqueName } from './helpers.js';

const BROKER = process.env.RXQ_KAFKA_BROKER ?? '127.0.0.1:9092';
const URL = `kafka://${BROKER}`;
const client = new Kafka({ clientId: 'rxq-console-test', brokers: [BROKER], logLevel: logLevel.NOTHING });
const admin = client.admin();
const producer = client.producer();
const made: string[] = [];

beforeAll(async () => {
  await admin.connect();
  await producer.connect();
});
afterAll(async () => {
  await admin.deleteTopics({ topics: made }).catch(() => undefined);
  await producer.disconnect();
  await admin.disconnect();
});

async function topics(kind: string, partitions = 1): Promise<string> {
  const t = uniqueName(kind);
  made.push(t, `${t}.dead`);
  await admin.createTopics({
    topics: [
      { topic: t, numPartitions: partitions },
      { topic: `${t}.dead`, numPartitions: partitions },
    ],
    waitForLeaders: true,
  });
  return t;
}

async function end(topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
}

/** Dead letters produced by a client that is not rxq, with rxq's dead-letter headers. */
async function deadLetters(t: string, n: number, reason = 'max-attempts', ageMs = 0): Promise<void> {
  const at = String(Date.now() - ageMs);
  for (let i = 0; i < n; i += 1000)
    await producer.send({
      topic: `${t}.dead`,
      acks: -1,
      messages: Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({
        key: `k${(i + k) % 7}`,
        value: `m${i + k}`,
        headers: {
          tenant: 'acme',
          'x-rxq-dead-reason': reason,
          'x-rxq-dead-at': at,
          'x-rxq-error-name': 'Error',
          'x-rxq-error-message': 'boom',
          'x-rxq-attempt': '5',
        },
      })),
    });
}

describe('rxq on Kafka', () => {
  it("peeks past the group's commit without moving it, and stats and lag equal the broker's offsets", async () => {
    const t = await topics('k', 2);
    expect(
      await rxqJson(['publish', URL, t, '-'], {
        input: Array.from({ length: 6 }, (_, i) => JSON.stringify({ i })).join('\n'),
      }),
    ).toEqual({ published: 6 });
    await collectUntil(
      fromQueue(
        kafka(t, {
          groupId: `${t}-g`,
          brokers: URL,
          fromBeginning: true,
          sessionTimeoutMs: 10_000,
          heartbeatIntervalMs: 1_000,
        }),
        { maxInFlight: 2 },
      ).pipe(
        handle(() => undefined),
        ack(),
      ),
      (v) => v.length === 6,
    );
    await until(
      async () =>
        (await admin.fetchOffsets({ groupId: `${t}-g`, topics: [t] }))[0]?.partitions.reduce(
          (s, p) => s + Number(p.offset),
          0,
        ) === 6,
      { what: 'the commits', timeoutMs: 60_000 },
    );
    await producer.send({
      topic: t,
      messages: [
        { value: 'seven', partition: 0 },
        { value: 'eight', partition: 1 },
      ],
    });
    const peeked = await rxqJson<{ id: string; body: string }[]>(['peek', URL, t, '--body', '--group', `${t}-g`]);
    expect(peeked.map((m) => m.body).sort()).toEqual(['eight', 'seven']);
    await deadLetters(t, 3);
    const stats = await rxqJson<{
      depth: number;
      deadLetters: number;
      consumers: number;
      lag: { partition: number; committed: number; end: number; lag: number }[];
    }>(['stats', URL, t, '--group', `${t}-g`]);
    const offsets = (await admin.fetchOffsets({ groupId: `${t}-g`, topics: [t] }))[0]?.partitions ?? [];
    const high = await admin.fetchTopicOffsets(t);
    expect(stats.lag.sort((a, b) => a.partition - b.partition)).toEqual(
      high
        .map((h) => {
          const c = Number(offsets.find((o) => o.partition === h.partition)?.offset);
          return { partition: h.partition, committed: c, end: Number(h.high), lag: Number(h.high) - c };
        })
        .sort((a, b) => a.partition - b.partition),
    );
    expect(stats).toMatchObject({ depth: 2, deadLetters: 3, consumers: 0 });
    // The peek moved nothing.
    expect((await admin.fetchOffsets({ groupId: `${t}-g`, topics: [t] }))[0]?.partitions).toEqual(offsets);
  });

  it('lists dead letters from a foreign producer, filters them, refuses a filtered redrive, redrives with --limit and a dry run', async () => {
    const t = await topics('kdlq');
    await deadLetters(t, 4, 'max-attempts', 2 * 3_600_000);
    await deadLetters(t, 2, 'decode');
    type Letter = { id: string; reason: string; error: { name: string; message: string } | null; body?: string };
    const all = await rxqJson<Letter[]>(['dlq', 'list', URL, t]);
    expect(all.map((l) => l.id)).toEqual(['0:0', '0:1', '0:2', '0:3', '0:4', '0:5']);
    expect(all[0]?.error).toEqual({ name: 'Error', message: 'boom' });
    expect((await rxqJson<Letter[]>(['dlq', 'list', URL, t, '--older-than', '1h'])).map((l) => l.id)).toEqual([
      '0:0',
      '0:1',
      '0:2',
      '0:3',
    ]);
    expect(await rxqJson<Letter>(['dlq', 'show', URL, t, '0:5'])).toMatchObject({ reason: 'decode', body: 'm1' });
    const refused = await rxq(['dlq', 'redrive', URL, t, '--reason', 'decode']);
    expect(oneLineError(refused, [])).toContain('kafka: a redrive by reason, age or id is not supported');
    expect(await rxqJson(['dlq', 'redrive', URL, t, '--dry-run'])).toMatchObject({ matched: 6, moved: 0 });
    expect(await end(t)).toBe(0);
    expect(await rxqJson(['dlq', 'redrive', URL, t, '--limit', '4'])).toMatchObject({ moved: 4 });
    expect(await end(t)).toBe(4);
    expect((await rxqJson<Letter[]>(['dlq', 'list', URL, t])).map((l) => l.id)).toEqual(['0:4', '0:5']);
    expect(await rxqJson(['stats', URL, t])).toMatchObject({ deadLetters: 2 });
    const got = await collectUntil(
      fromQueue(
        kafka(t, {
          groupId: `${t}-g`,
          brokers: URL,
          fromBeginning: true,
          codec: text,
          sessionTimeoutMs: 10_000,
          heartbeatIntervalMs: 1_000,
        }),
        { maxInFlight: 8 },
      ).pipe(
        handle(() => undefined),
        ack(),
      ),
      (v) => v.length === 4,
    );
    // Redriven copies start afresh: attempt 1 (their x-rxq-attempt was dropped).
    expect(got.every((r) => r.attempt === 1)).toBe(true);
    expect(await rxqJson(['dlq', 'purge', URL, t, '--yes'])).toEqual({ purged: 2 });
    expect(await rxqJson<Letter[]>(['dlq', 'list', URL, t])).toEqual([]);
  });

  it('redrives 10,000 dead letters across a SIGKILL: none lost, doubles at most one batch', async () => {
    const t = await topics('k10k');
    await deadLetters(t, 10_000);
    const first = start(['dlq', 'redrive', URL, t, '--rate', '2000']);
    await until(async () => (await end(t)) >= 1000, { what: 'the redrive under way', timeoutMs: 60_000 });
    first.kill('SIGKILL');
    expect((await first.result).signal).toBe('SIGKILL');
    await rxqJson(['dlq', 'redrive', URL, t]);
    expect(await rxqJson(['stats', URL, t])).toMatchObject({ deadLetters: 0 });
    const total = await end(t);
    const bodies = new Set<string>();
    const consumer = client.consumer({ groupId: `${t}-check`, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await consumer.connect();
    await consumer.subscribe({ topic: t, fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          bodies.add(message.value?.toString() ?? '');
          if (++seen === total) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(bodies.size).toBe(10_000);
    // --rate 2000 makes batches of 200: one produced and not yet committed at most.
    expect(total - 10_000).toBeLessThanOrEqual(200);
  }, 180_000);

  it('errors are one line without the password', async () => {
    const refused = await rxq(['stats', 'kafka://app:kafkasecret9@127.0.0.1:9399', 'q']);
    expect(oneLineError(refused, ['kafkasecret9'])).toContain('cannot reach Kafka at kafka://127.0.0.1:9399');
    const missing = await rxq(['stats', URL, uniqueName('none')]);
    expect(oneLineError(missing, [])).toContain('does not exist');
  });
});
