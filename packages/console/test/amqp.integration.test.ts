import { ack, deadLetterHeaders, fixed, fromQueue, handle, HEADERS, json, retryWithResend } from '@rxq/core';
import { collectUntil, until } from '@rxq/core/testing';
import { amqp } from '@rxq/amqp';
import { connect, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneLineError, rxq, rxqJson, start, uniqueName } from './helpers.js';

const URL = 'amqp://guest:guest@127.0.0.1:5672';
let conn: ChannelModel;
const made: string[] = [];

beforeAll(async () => {
  conn = await connect(URL);
});
afterAll(async () => {
  const ch = await conn.createChannel();
  for (const q of made) {
    await ch.deleteQueue(q);
    await ch.deleteQueue(`${q}.dead`);
  }
  await conn.close();
});

async function queue(kind: string): Promise<string> {
  const q = uniqueName(kind);
  made.push(q);
  const ch = await conn.createChannel();
  await ch.assertQueue(q);
  await ch.assertQueue(`${q}.dead`);
  await ch.close();
  return q;
}

async function depth(q: string): Promise<number> {
  const ch = await conn.createChannel();
  try {
    return (await ch.checkQueue(q)).messageCount;
  } finally {
    await ch.close();
  }
}

/** Dead letters as a producer outside rxq would write them, with rxq's dead-letter headers. */
async function deadLetters(q: string, count: number, reason = 'max-attempts', ageMs = 0, first = 0): Promise<void> {
  const ch = await conn.createConfirmChannel();
  const headers = deadLetterHeaders(
    { [HEADERS.attempt]: '5' },
    { reason, at: Date.now() - ageMs, error: { name: 'Error', message: 'boom' } },
    q,
  );
  for (let i = 0; i < count; i++)
    ch.sendToQueue(`${q}.dead`, Buffer.from(`m${first + i}`), {
      headers,
      persistent: true,
      messageId: `id-${first + i}`,
    });
  await ch.waitForConfirms();
  await ch.close();
}

/** Every message of a queue, consumed and acked. */
async function drain(q: string, expected: number): Promise<string[]> {
  const ch = await conn.createChannel();
  const bodies: string[] = [];
  await ch.prefetch(1000);
  await new Promise<void>((resolve) => {
    void ch.consume(q, (msg) => {
      if (!msg) return;
      bodies.push(msg.content.toString());
      ch.ack(msg);
      if (bodies.length === expected) resolve();
    });
  });
  await ch.close();
  return bodies;
}

describe('rxq on RabbitMQ', () => {
  it('says peek is unsupported in one line; stats equal the broker counts; publish reaches an rxq consumer', async () => {
    const q = await queue('basics');
    const peek = await rxq(['peek', URL, q]);
    expect(oneLineError(peek, ['guest:guest'])).toContain('amqp: peek is not supported');
    expect(
      await rxqJson(['publish', URL, q, '-', '-H', 'tenant=acme'], { input: '{"n":1}\n{"n":2}\n{"n":3}\n' }),
    ).toEqual({ published: 3 });
    await deadLetters(q, 4);
    const stats = await rxqJson<Record<string, unknown>>(['stats', URL, q]);
    expect(stats).toMatchObject({
      depth: await depth(q),
      deadLetters: await depth(`${q}.dead`),
      consumers: 0,
      inFlight: null,
      delayed: null,
    });
    expect(stats.depth).toBe(3);
    expect(stats.deadLetters).toBe(4);
    const got: unknown[] = [];
    await collectUntil(
      fromQueue(amqp(q, { connection: URL, codec: json }), { maxInFlight: 8 }).pipe(
        handle((m) => void got.push([m.body, m.headers?.tenant])),
        ack(),
      ),
      (v) => v.length === 3,
    );
    expect(got).toEqual([
      [{ n: 1 }, 'acme'],
      [{ n: 2 }, 'acme'],
      [{ n: 3 }, 'acme'],
    ]);
  });

  it('lists what an rxq consumer dead-lettered, leaves it in place, filters, redrives and purges', async () => {
    const q = await queue('dlq');
    const ch = await conn.createChannel();
    for (let i = 0; i < 3; i++) ch.sendToQueue(q, Buffer.from(JSON.stringify({ n: i })));
    await ch.close();
    await collectUntil(
      fromQueue(amqp(q, { connection: URL, codec: json }), { maxInFlight: 8 }).pipe(
        handle(() => {
          throw new RangeError('out of stock');
        }),
        retryWithResend({ maxAttempts: 1, backoff: fixed() }),
        ack(),
      ),
      (v) => v.length === 3,
    );
    await deadLetters(q, 4, 'decode', 2 * 3_600_000, 100);
    type Letter = { id: string; reason: string; error: { name: string; message: string } | null; body?: string };
    const all = await rxqJson<Letter[]>(['dlq', 'list', URL, q]);
    expect(all).toHaveLength(7);
    expect(all.filter((l) => l.reason === 'max-attempts').map((l) => l.error)).toEqual(
      Array(3).fill({ name: 'RangeError', message: 'out of stock' }),
    );
    expect(await depth(`${q}.dead`)).toBe(7);
    const old = await rxqJson<Letter[]>(['dlq', 'list', URL, q, '--older-than', '1h', '--body']);
    expect(old.map((l) => l.body)).toEqual(['m100', 'm101', 'm102', 'm103']);
    const shown = await rxqJson<Letter>(['dlq', 'show', URL, q, 'id-102']);
    expect(shown).toMatchObject({ id: 'id-102', reason: 'decode', body: 'm102' });
    const dry = await rxqJson<{ matched: number; moved: number }>([
      'dlq',
      'redrive',
      URL,
      q,
      '--reason',
      'max-attempts',
      '--dry-run',
    ]);
    expect(dry).toMatchObject({ matched: 3, moved: 0 });
    expect(await depth(`${q}.dead`)).toBe(7);
    const moved = await rxqJson<{ moved: number }>(['dlq', 'redrive', URL, q, '--reason', 'max-attempts']);
    expect(moved.moved).toBe(3);
    expect(await depth(`${q}.dead`)).toBe(4);
    const back = await collectUntil(
      fromQueue(amqp(q, { connection: URL, codec: json }), { maxInFlight: 8 }).pipe(
        handle(() => undefined),
        ack(),
      ),
      (v) => v.length === 3,
    );
    expect(back.every((r) => r.settlement === 'acked' && r.attempt === 1)).toBe(true);
    expect(await rxqJson(['dlq', 'purge', URL, q, '--id', 'id-101', '--yes'])).toEqual({ purged: 1 });
    expect(await rxqJson(['dlq', 'purge', URL, q, '--yes'])).toEqual({ purged: 3 });
    expect(await depth(`${q}.dead`)).toBe(0);
  });

  it('redrives 10,000 dead letters across a SIGKILL: none lost, doubles at most one batch', async () => {
    const q = await queue('ten-k');
    await deadLetters(q, 10_000);
    const first = start(['dlq', 'redrive', URL, q, '--rate', '2000']);
    await until(async () => (await depth(q)) >= 1000, { what: 'the redrive under way', timeoutMs: 60_000 });
    first.kill('SIGKILL');
    expect((await first.result).signal).toBe('SIGKILL');
    // The killed connection's unacked gets come back to the dead-letter queue.
    await until(async () => (await depth(q)) + (await depth(`${q}.dead`)) >= 10_000, {
      what: 'the dead letters back',
      timeoutMs: 60_000,
    });
    const second = await rxqJson<{ moved: number }>(['dlq', 'redrive', URL, q]);
    expect(await depth(`${q}.dead`)).toBe(0);
    const total = await depth(q);
    const bodies = await drain(q, total);
    const unique = new Set(bodies);
    expect(unique.size).toBe(10_000);
    // --rate 2000 makes batches of 200: at most one batch was confirmed and not yet acked.
    expect(total - 10_000).toBeLessThanOrEqual(200);
    expect(second.moved).toBeGreaterThan(0);
  });

  it('errors are one line without the password', async () => {
    const bad = await rxq(['stats', 'amqp://guest:notthepass99@127.0.0.1:5672', 'q']);
    expect(oneLineError(bad, ['notthepass99'])).toContain('ACCESS_REFUSED');
    const env = await rxq(['stats', 'amqp://127.0.0.1:5672', 'q'], {
      env: { RXQ_USERNAME: 'guest', RXQ_PASSWORD: 'envpass42' },
    });
    oneLineError(env, ['envpass42']);
    const missing = await rxq(['stats', URL, uniqueName('missing')]);
    expect(oneLineError(missing, ['guest:guest'])).toContain('does not exist');
    const ok = await rxqJson(['stats', 'amqp://127.0.0.1:5672', await queue('env')], {
      env: { RXQ_USERNAME: 'guest', RXQ_PASSWORD: 'guest' },
    });
    expect(ok).toMatchObject({ depth: 0 });
  });
});
