// Runs each example consumer as a user would: its own process, messages published by another
// client, then SIGTERM. Every valid order is acked, the over-limit one is dead-lettered by the
// pipeline, the invalid one by the source before it is emitted (a poison message, logged with its
// reason), and the process drains and exits 0.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { publishMany as redisPublish } from '@rxq/redis';
import { publishMany as amqpPublish } from '@rxq/amqp';
import { publishMany as kafkaPublish } from '@rxq/kafka';
import { publishMany as pgPublish, migrate } from '@rxq/postgres';
import { publishMany as natsPublish } from '@rxq/nats';
import { publishMany as sqsPublish } from '@rxq/sqs';
import { Redis } from 'ioredis';
import amqplib from 'amqplib';
import pg from 'pg';
import { connect as natsConnect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

const VALID = 20;
const orders = () => [
  ...Array.from({ length: VALID }, (_, i) => ({ id: `o${i}`, amount: 10 + i })),
  { id: 'bad', amount: -5 }, // fails the schema: dead-lettered, reason invalid
  { id: 'big', amount: 50_000 }, // the handler's non-retryable error: dead-lettered at once
];

const children = new Set();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

/** Starts an example; resolves once its source is connected, with a way to await its records. */
async function start(name, env) {
  const child = spawn(process.execPath, [`examples/${name}.mjs`], {
    env: { ...process.env, RXQ_LOG: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const records = [];
  const waiters = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    records.push(JSON.parse(line));
    for (const w of waiters.splice(0)) w();
  });
  const stderr = [];
  const connected = new Promise((resolve, reject) => {
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderr.push(line);
      if (/ INFO connected /.test(line)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${name} exited ${code}: ${stderr.join('\n')}`)));
  });
  await connected;
  const until = async (test) => {
    while (!test(records)) await new Promise((resolve) => waiters.push(resolve));
  };
  const stop = async () => {
    const exit = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exit;
    children.delete(child);
    return code;
  };
  return { records, until, stop, stderr };
}

async function runExample(name, env, publish) {
  const consumer = await start(name, env);
  await publish(orders());
  const settled = (rs, s) => rs.filter((r) => r.settlement === s).length;
  await consumer.until((rs) => settled(rs, 'acked') >= VALID && settled(rs, 'dead-lettered') >= 1);
  expect(await consumer.stop()).toBe(0);
  expect(settled(consumer.records, 'acked')).toBe(VALID);
  expect(settled(consumer.records, 'dead-lettered')).toBe(1);
  expect(consumer.records.at(-1)).toEqual({ stopped: true });
  expect(consumer.stderr.join('\n')).toMatch(/reason=invalid/);
}

describe('examples', () => {
  it('demo.mjs (the memory queue): every order is acked or dead-lettered, none lost', async () => {
    const total = 2_000;
    const child = spawn(process.execPath, ['examples/demo.mjs'], {
      env: { ...process.env, DEMO_MESSAGES: String(total) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.add(child);
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const [code] = await once(child, 'exit');
    children.delete(child);
    expect(code).toBe(0);
    const done = /done in [\d.]+ s: (\d+) acked, \d+ resends, (\d+) dead-lettered/.exec(out);
    expect(done).not.toBeNull();
    // Every 500th order always fails (a flaky one may also run out of attempts): nothing is lost.
    const [acked, dead] = [Number(done[1]), Number(done[2])];
    expect(acked + dead).toBe(total);
    expect(dead).toBeGreaterThanOrEqual(total / 500);
  });

  it('redis.mjs', async () => {
    const queue = `rxq-example:${randomUUID()}`;
    const client = new Redis('redis://127.0.0.1:6379');
    try {
      await runExample('redis', { QUEUE: queue }, (bodies) => redisPublish(client, queue, bodies));
      expect(await client.llen(queue)).toBe(0);
      expect(await client.llen(`${queue}:dead`)).toBe(2);
    } finally {
      const keys = await client.keys(`${queue}*`);
      if (keys.length > 0) await client.del(...keys);
      await client.quit();
    }
  });

  it('amqp.mjs', async () => {
    const queue = `rxq-example.${randomUUID()}`;
    const connection = await amqplib.connect('amqp://guest:guest@127.0.0.1:5672');
    try {
      await runExample('amqp', { QUEUE: queue }, (bodies) => amqpPublish(connection, queue, bodies));
      const channel = await connection.createChannel();
      expect((await channel.checkQueue(queue)).messageCount).toBe(0);
      expect((await channel.checkQueue(`${queue}.dead`)).messageCount).toBe(2);
    } finally {
      const channel = await connection.createChannel();
      for (const q of [queue, `${queue}.dead`]) await channel.deleteQueue(q).catch(() => undefined);
      await connection.close();
    }
  });

  it('kafka.mjs', async () => {
    const topic = `rxq-example-${randomUUID()}`;
    await kafkaPublish({ brokers: ['127.0.0.1:9092'] }, topic, [{ id: 'warm', amount: 1 }]);
    const env = { TOPIC: topic, GROUP: `${topic}-g` };
    const consumer = await start('kafka', env);
    await kafkaPublish({ brokers: ['127.0.0.1:9092'] }, topic, orders());
    const settled = (rs, s) => rs.filter((r) => r.settlement === s).length;
    await consumer.until((rs) => settled(rs, 'acked') >= VALID + 1 && settled(rs, 'dead-lettered') >= 1);
    expect(await consumer.stop()).toBe(0);
    expect(settled(consumer.records, 'acked')).toBe(VALID + 1);
    expect(settled(consumer.records, 'dead-lettered')).toBe(1);
    expect(consumer.stderr.join('\n')).toMatch(/reason=invalid/);
    expect(consumer.records.at(-1)).toEqual({ stopped: true });
  }, 120_000);

  it('postgres.mjs', async () => {
    const schema = `rxq_example_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
    try {
      await migrate({ connection: pool, schema });
      await runExample('postgres', { QUEUE: 'orders', PG_SCHEMA: schema }, (bodies) =>
        pgPublish(pool, 'orders', bodies, { schema }),
      );
      const left = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.jobs`);
      expect(left.rows[0].n).toBe(0);
      const dead = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.dead_letters`);
      expect(dead.rows[0].n).toBe(2);
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    }
  });

  it('nats.mjs', async () => {
    const stream = `RXQ_EXAMPLE_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const nc = await natsConnect({ servers: '127.0.0.1:4222' });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    try {
      await runExample('nats', { STREAM: stream }, (bodies) => natsPublish(nc, `${stream}.orders`, bodies));
      const info = await jsm.consumers.info(stream, 'billing');
      expect(info.num_pending + info.num_ack_pending).toBe(0);
    } finally {
      for (const name of [stream, `${stream}_dead`]) await jsm.streams.delete(name).catch(() => undefined);
      await nc.close();
    }
  });

  it('sqs.mjs', async () => {
    const endpoint = process.env.RXQ_SQS_ENDPOINT ?? 'http://127.0.0.1:9324';
    const credentials = { accessKeyId: 'rxq', secretAccessKey: 'rxq' };
    const client = new SQSClient({ endpoint, region: 'elasticmq', credentials });
    const queue = `rxq-example-${randomUUID()}`;
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: queue }));
    try {
      await runExample(
        'sqs',
        {
          QUEUE: queue,
          SQS_ENDPOINT: endpoint,
          AWS_REGION: 'elasticmq',
          AWS_ACCESS_KEY_ID: 'rxq',
          AWS_SECRET_ACCESS_KEY: 'rxq',
        },
        (bodies) => sqsPublish(client, QueueUrl, bodies),
      );
      const attributes = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      expect(Number(attributes.Attributes.ApproximateNumberOfMessages)).toBe(0);
      expect(Number(attributes.Attributes.ApproximateNumberOfMessagesNotVisible)).toBe(0);
    } finally {
      for (const url of [QueueUrl, QueueUrl.replace(queue, `${queue}-dead`)])
        await client.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
      client.destroy();
    }
  });
});
