import { randomBytes } from 'node:crypto';
import { HEADERS, json, silentLogger } from '@rxq/core';
import { contractSuite, type DeadLetterView } from '@rxq/core/testing/contract';
import { MemoryQueue } from '@rxq/memory';
import { readListEntry } from '@rxq/redis';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { gateway, LineClient, serve } from '../src/index.js';
import { queueFromSpec } from '../src/queueSpec.js';

// fromQueue(gateway('tcp://…')) against a running gateway serving a memory queue; messages are
// published over the line protocol as any client would.
contractSuite({
  name: 'gateway',
  create: async () => {
    const queue = new MemoryQueue<unknown>();
    const deadLetters = new MemoryQueue<unknown>();
    const gw = await serve({ port: 0, queues: { q: queue, 'q.dead-letter': deadLetters } });
    const producer = await LineClient.open('127.0.0.1', gw.port, () => undefined, 5_000);
    return {
      connector: () => gateway(`tcp://127.0.0.1:${gw.port}`, { queue: 'q', codec: json, pollMs: 50 }),
      publish: async (bodies) => {
        await producer.call(
          'push_many',
          bodies.map((b) => JSON.stringify(b)),
          { queue: 'q' },
        );
      },
      // Bytes cannot cross a JSON line: they go in beside the gateway, as an in-process producer would.
      publishRaw: async (payloads) => {
        for (const p of payloads) {
          if (typeof p === 'string') await producer.call('push', [p], { queue: 'q' });
          else queue.push(p);
        }
      },
      deadLetters: async (): Promise<DeadLetterView[]> =>
        snapshot(deadLetters).map((d) => {
          const r = d as { value: unknown; reason: string; error?: { message: string } };
          return { raw: r.value, reason: r.reason, errorMessage: r.error?.message };
        }),
      close: async () => {
        await producer.close();
        await gw.close();
      },
    };
  },
});

function snapshot<T>(q: MemoryQueue<T>): T[] {
  const all = q.size > 0 ? q.take(q.size).values : [];
  q.pushMany(all);
  return all;
}

// The same suite through a gateway that serves a Redis list (reliable mode) instead of memory.
const REDIS = 'redis://127.0.0.1:6379';
const admin = new Redis(REDIS, { connectionName: 'rxq-gateway-test' });
afterAll(() => admin.quit());

contractSuite({
  name: 'gateway over a Redis list',
  create: async () => {
    const name = `rxq-gw-contract-${randomBytes(4).toString('hex')}`;
    const [, backend] = await queueFromSpec(`${name}=${REDIS}`, silentLogger);
    const gw = await serve({ port: 0, queues: { [name]: backend } });
    const producer = await LineClient.open('127.0.0.1', gw.port, () => undefined, 5_000);
    return {
      connector: () => gateway(`tcp://127.0.0.1:${gw.port}`, { queue: name, codec: json, pollMs: 50 }),
      publish: async (bodies) => {
        await producer.call(
          'push_many',
          bodies.map((b) => JSON.stringify(b)),
          { queue: name },
        );
      },
      publishRaw: async (payloads) => {
        for (const p of payloads) {
          // Bytes cannot cross a JSON line: a client sends them as a (latin1) string.
          const value = typeof p === 'string' ? p : Buffer.from(p).toString('latin1');
          await producer.call('push', [value], { queue: name });
        }
      },
      deadLetters: async (): Promise<DeadLetterView[]> =>
        (await admin.lrangeBuffer(`${name}:dead`, 0, -1)).map((item) => {
          const { payload, headers } = readListEntry(item);
          return {
            raw: payload,
            reason: headers?.[HEADERS.deadReason] ?? '',
            errorMessage: headers?.[HEADERS.errorMessage],
          };
        }),
      close: async () => {
        await producer.close();
        await gw.close();
        const keys = await admin.keys(`${name}*`);
        if (keys.length > 0) await admin.del(...keys);
      },
    };
  },
});

// And through a gateway that serves an AMQP queue.
const AMQP = 'amqp://guest:guest@127.0.0.1:5672';

contractSuite({
  name: 'gateway over an AMQP queue',
  create: async () => {
    const name = `rxq-gw-contract-${randomBytes(4).toString('hex')}`;
    const [, backend] = await queueFromSpec(`${name}=${AMQP}`, silentLogger);
    const gw = await serve({ port: 0, queues: { [name]: backend } });
    const producer = await LineClient.open('127.0.0.1', gw.port, () => undefined, 5_000);
    const amqpAdmin = await connect(AMQP, { clientProperties: { connection_name: 'rxq-gateway-test' } });
    return {
      connector: () => gateway(`tcp://127.0.0.1:${gw.port}`, { queue: name, codec: json, pollMs: 50 }),
      publish: async (bodies) => {
        await producer.call(
          'push_many',
          bodies.map((b) => JSON.stringify(b)),
          { queue: name },
        );
      },
      publishRaw: async (payloads) => {
        for (const p of payloads) {
          const value = typeof p === 'string' ? p : Buffer.from(p).toString('latin1');
          await producer.call('push', [value], { queue: name });
        }
      },
      deadLetters: async (): Promise<DeadLetterView[]> => {
        const ch = await amqpAdmin.createChannel();
        const out: DeadLetterView[] = [];
        try {
          for (let m = await ch.get(`${name}.dead`); m !== false; m = await ch.get(`${name}.dead`)) {
            const headers = m.properties.headers ?? {};
            out.push({
              raw: m.content,
              reason: String(headers[HEADERS.deadReason]),
              errorMessage: headers[HEADERS.errorMessage] as string | undefined,
            });
          }
        } finally {
          // Closing without acks puts them back.
          await ch.close();
        }
        return out;
      },
      close: async () => {
        await producer.close();
        await gw.close();
        // Only this harness's queues (its delay queues expire by themselves).
        const ch = await amqpAdmin.createChannel();
        await ch.deleteQueue(name);
        await ch.deleteQueue(`${name}.dead`);
        await amqpAdmin.close();
      },
    };
  },
});
