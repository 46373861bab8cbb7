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
import { Redis } from 'ioredis';
import amqplib from 'amqplib';

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
});
