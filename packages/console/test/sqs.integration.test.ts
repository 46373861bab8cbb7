import { ack, fixed, fromQueue, handle, json, retryWithResend } from '@rxq/core';
import { collectUntil, until } from '@rxq/core/testing';
import { sqs } from '@rxq/sqs';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  DeleteMessageBatchCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { oneLineError, rxq, rxqJson, start, uniqueName } from './helpers.js';

const ENDPOINT = process.env.RXQ_SQS_ENDPOINT ?? 'http://127.0.0.1:9324';
const URL = `sqs://rxq:rxq@${new globalThis.URL(ENDPOINT).host}`;
const clientConfig = {
  endpoint: ENDPOINT,
  region: 'us-east-1',
  credentials: { accessKeyId: 'rxq', secretAccessKey: 'rxq' },
};
const client = new SQSClient(clientConfig);
const made: string[] = [];

afterAll(async () => {
  for (const url of made) await client.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
  client.destroy();
});

async function queues(kind: string): Promise<{ q: string; url: string; dead: string }> {
  const q = uniqueName(kind);
  const url = (await client.send(new CreateQueueCommand({ QueueName: q }))).QueueUrl ?? '';
  const dead = (await client.send(new CreateQueueCommand({ QueueName: `${q}-dead` }))).QueueUrl ?? '';
  made.push(url, dead);
  return { q, url, dead };
}

async function counts(url: string): Promise<{ visible: number; hidden: number }> {
  const a =
    (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
  return { visible: Number(a.ApproximateNumberOfMessages), hidden: Number(a.ApproximateNumberOfMessagesNotVisible) };
}

/** Dead letters sent as a producer outside rxq would, with rxq's attributes. */
async function deadLetters(url: string, n: number, reason = 'max-attempts', ageMs = 0, first = 0): Promise<void> {
  const at = String(Date.now() - ageMs);
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < n; i += 10) {
    sends.push(
      client.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: Array.from({ length: Math.min(10, n - i) }, (_, k) => ({
            Id: String(k),
            MessageBody: `m${first + i + k}`,
            MessageAttributes: {
              tenant: { DataType: 'String', StringValue: 'acme' },
              'x-rxq-dead-reason': { DataType: 'String', StringValue: reason },
              'x-rxq-dead-at': { DataType: 'String', StringValue: at },
              'x-rxq-error-name': { DataType: 'String', StringValue: 'Error' },
            },
          })),
        }),
      ),
    );
    if (sends.length >= 20) await Promise.all(sends.splice(0));
  }
  await Promise.all(sends);
}

async function drain(url: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let empty = 0; empty < 3; ) {
    const r = await client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 120 }),
    );
    const ms = r.Messages ?? [];
    if (ms.length === 0) {
      empty++;
      continue;
    }
    empty = 0;
    bodies.push(...ms.map((m) => m.Body ?? ''));
    await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: ms.map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
  return bodies;
}

describe('rxq on SQS (ElasticMQ)', () => {
  it('refuses peek in one line, publishes to an rxq consumer, and stats equal the queue attributes', async () => {
    const { q, url, dead } = await queues('sqs');
    expect(oneLineError(await rxq(['peek', URL, q]), ['rxq:rxq'])).toContain('sqs: peek is not supported');
    expect(await rxqJson(['publish', URL, q, '-', '-H', 'tenant=acme'], { input: '{"n":1}\n{"n":2}\n' })).toEqual({
      published: 2,
    });
    await deadLetters(dead, 3);
    const stats = await rxqJson<Record<string, unknown>>(['stats', URL, q]);
    expect(stats).toMatchObject({
      depth: (await counts(url)).visible,
      deadLetters: (await counts(dead)).visible,
      consumers: null,
    });
    expect(stats).toMatchObject({ depth: 2, inFlight: 0, deadLetters: 3 });
    const got: unknown[] = [];
    await collectUntil(
      fromQueue(sqs(q, { clientConfig, codec: json, waitTimeSeconds: 1 }), { maxInFlight: 8 }).pipe(
        handle((m) => void got.push([m.body, m.headers?.tenant])),
        ack(),
      ),
      (v) => v.length === 2,
    );
    expect(got.sort()).toEqual([
      [{ n: 1 }, 'acme'],
      [{ n: 2 }, 'acme'],
    ]);
  });

  it('lists what an rxq consumer dead-lettered (made visible again), filters, redrives and purges', async () => {
    const { q, url, dead } = await queues('sqsdlq');
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [0, 1].map((i) => ({ Id: String(i), MessageBody: JSON.stringify({ i }) })),
      }),
    );
    await collectUntil(
      fromQueue(sqs(q, { clientConfig, codec: json, waitTimeSeconds: 1 }), { maxInFlight: 8 }).pipe(
        handle(() => {
          throw new EvalError('no stock');
        }),
        retryWithResend({ maxAttempts: 1, backoff: fixed() }),
        ack(),
      ),
      (v) => v.length === 2,
    );
    await deadLetters(dead, 3, 'decode', 2 * 3_600_000, 100);
    type Letter = { id: string; reason: string; error: { name: string; message: string } | null; body?: string };
    const all = await rxqJson<Letter[]>(['dlq', 'list', URL, q]);
    expect(all).toHaveLength(5);
    expect(all.filter((l) => l.reason === 'max-attempts').map((l) => l.error)).toEqual(
      Array(2).fill({ name: 'EvalError', message: 'no stock' }),
    );
    expect(await counts(dead)).toEqual({ visible: 5, hidden: 0 });
    const old = await rxqJson<Letter[]>(['dlq', 'list', URL, q, '--older-than', '1h', '--body']);
    expect(old.map((l) => l.body).sort()).toEqual(['m100', 'm101', 'm102']);
    expect(await rxqJson(['dlq', 'redrive', URL, q, '--reason', 'max-attempts', '--dry-run'])).toMatchObject({
      matched: 2,
      moved: 0,
    });
    expect(await counts(dead)).toEqual({ visible: 5, hidden: 0 });
    expect(await rxqJson(['dlq', 'redrive', URL, q, '--reason', 'max-attempts'])).toMatchObject({ moved: 2 });
    expect(await counts(dead)).toEqual({ visible: 3, hidden: 0 });
    const records = await collectUntil(
      fromQueue(sqs(q, { clientConfig, codec: json, waitTimeSeconds: 1 }), { maxInFlight: 8 }).pipe(
        handle(() => undefined),
        ack(),
      ),
      (v) => v.length === 2,
    );
    expect(records.every((r) => r.settlement === 'acked' && r.attempt === 1)).toBe(true);
    expect(await rxqJson(['dlq', 'purge', URL, q, '--id', (old[0] as Letter).id, '--yes'])).toEqual({ purged: 1 });
    expect(await counts(dead)).toEqual({ visible: 2, hidden: 0 });
    expect(await rxqJson(['dlq', 'purge', URL, q, '--yes'])).toEqual({ purged: 2 });
  });

  it('redrives 10,000 dead letters across a SIGKILL: none lost, doubles at most one batch of 10', async () => {
    const { q, url, dead } = await queues('sqs10k');
    await deadLetters(dead, 10_000);
    const first = start(['dlq', 'redrive', URL, q, '--rate', '1000']);
    await until(async () => (await counts(url)).visible >= 1000, { what: 'the redrive under way', timeoutMs: 60_000 });
    first.kill('SIGKILL');
    expect((await first.result).signal).toBe('SIGKILL');
    // What the killed run held comes back after its hold (30 s).
    await until(async () => (await counts(dead)).hidden === 0, {
      what: 'the held dead letters visible again',
      timeoutMs: 90_000,
    });
    await rxqJson(['dlq', 'redrive', URL, q]);
    expect(await counts(dead)).toEqual({ visible: 0, hidden: 0 });
    const bodies = await drain(url);
    expect(new Set(bodies).size).toBe(10_000);
    expect(bodies.length - 10_000).toBeLessThanOrEqual(10);
  }, 240_000);

  it('errors are one line without the secret', async () => {
    const missing = await rxq(['stats', 'sqs://AKIAX:awssecret77@127.0.0.1:9324', uniqueName('nope')]);
    expect(oneLineError(missing, ['awssecret77'])).toContain('does not exist');
    const refused = await rxq(['stats', 'sqs://AKIAX:awssecret77@127.0.0.1:9399', 'q']);
    oneLineError(refused, ['awssecret77']);
  });
});
