import { ack, deadLetterHeaders, fromQueue, handle, HEADERS, json, retryWithResend } from '@rxq/core';
import { collectUntil, until } from '@rxq/core/testing';
import { nats } from '@rxq/nats';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneLineError, rxq, rxqJson, start, uniqueName } from './helpers.js';

const URL = 'nats://127.0.0.1:4222';
let nc: NatsConnection;
let jsm: JetStreamManager;
const made: string[] = [];

beforeAll(async () => {
  nc = await connect({ servers: '127.0.0.1:4222' });
  jsm = await jetstreamManager(nc);
});
afterAll(async () => {
  for (const s of made) {
    await jsm.streams.delete(s).catch(() => undefined);
    await jsm.streams.delete(`${s}_dead`).catch(() => undefined);
  }
  await nc.close();
});

/** A stream `<name>` capturing `<name>.in`. */
async function stream(kind: string): Promise<string> {
  const s = uniqueName(kind);
  made.push(s);
  await jsm.streams.add({ name: s, subjects: [`${s}.in`] });
  return s;
}

async function count(s: string): Promise<number> {
  return (await jsm.streams.info(s)).state.messages;
}

/** Dead letters as a producer outside rxq would write them, with rxq's dead-letter headers. */
async function deadLetters(s: string, n: number, reason = 'max-attempts', ageMs = 0, first = 0): Promise<void> {
  await jsm.streams.add({ name: `${s}_dead`, subjects: [`rxq.dead.${s}`] }).catch(() => undefined);
  const record = deadLetterHeaders(
    { [HEADERS.attempt]: '5', tenant: 'acme' },
    { reason, at: Date.now() - ageMs, error: { name: 'Error', message: 'boom' } },
    s,
  );
  const js = jetstream(nc);
  for (let i = 0; i < n; i += 500) {
    const acks = [];
    for (let j = i; j < Math.min(n, i + 500); j++) {
      const h = natsHeaders();
      for (const [k, v] of Object.entries(record)) h.set(k, v);
      h.set('x-rxq-origin-subject', `${s}.in`);
      acks.push(js.publish(`rxq.dead.${s}`, Buffer.from(`m${first + j}`), { headers: h }));
    }
    await Promise.all(acks);
  }
}

/** The bodies stored in a stream, read by sequence. */
async function bodies(s: string): Promise<string[]> {
  const info = await jsm.streams.info(s);
  const out: string[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(s, { seq }).catch(() => null);
    if (m) out.push(Buffer.from(m.data).toString());
  }
  return out;
}

describe('rxq on NATS JetStream', () => {
  it('peek shows waiting messages without a delivery; stats equal the server counts; publish reaches an rxq consumer', async () => {
    const s = await stream('basics');
    const durable = `rxq-${s}`;
    await jsm.consumers.add(s, { durable_name: durable, ack_policy: AckPolicy.Explicit });
    expect(
      await rxqJson(['publish', URL, s, '-', '-H', 'tenant=acme'], { input: '{"n":1}\n{"n":2}\n{"n":3}\n' }),
    ).toEqual({ published: 3 });
    type Peeked = { id: string; attempt: number; headers: Record<string, string>; body?: string };
    const peeked = await rxqJson<Peeked[]>(['peek', URL, s, '-n', '2', '--body']);
    expect(peeked.map((p) => [p.id, p.body, p.headers.tenant, p.attempt])).toEqual([
      ['1', '{"n":1}', 'acme', 1],
      ['2', '{"n":2}', 'acme', 1],
    ]);
    expect(await rxqJson<Peeked[]>(['peek', URL, s, '-n', '2', '--body'])).toEqual(peeked);
    let ci = await jsm.consumers.info(s, durable);
    // Read by sequence: nothing delivered, nothing removed.
    expect(ci.delivered.consumer_seq).toBe(0);
    expect(ci.num_pending).toBe(3);
    // One message delivered and held: it is in flight, and peek starts after it.
    const held = await (await jetstream(nc).consumers.get(s, durable)).next({ expires: 10_000 });
    expect(held?.seq).toBe(1);
    await deadLetters(s, 4);
    const stats = await rxqJson<Record<string, unknown>>(['stats', URL, s]);
    ci = await jsm.consumers.info(s, durable);
    const dead = await jsm.streams.info(`${s}_dead`);
    expect(stats).toMatchObject({
      depth: ci.num_pending,
      inFlight: ci.num_ack_pending,
      delayed: null,
      deadLetters: dead.state.messages,
      consumers: (await jsm.streams.info(s)).state.consumer_count,
      lag: null,
    });
    expect(stats).toMatchObject({ depth: 2, inFlight: 1, deadLetters: 4, consumers: 1 });
    expect((await rxqJson<Peeked[]>(['peek', URL, s])).map((p) => p.id)).toEqual(['2', '3']);
    held!.ack();
    const got: unknown[] = [];
    await collectUntil(
      fromQueue(nats(s, { connection: URL, codec: json }), { maxInFlight: 8 }).pipe(
        handle((m) => void got.push([m.body, m.headers?.tenant, m.attempt])),
        ack(),
      ),
      (v) => v.length === 2,
    );
    expect(got).toEqual([
      [{ n: 2 }, 'acme', 1],
      [{ n: 3 }, 'acme', 1],
    ]);
  });

  it('lists what an rxq consumer dead-lettered, leaves it in place, filters, redrives and purges', async () => {
    const s = await stream('dlq');
    const js = jetstream(nc);
    for (let i = 0; i < 3; i++) await js.publish(`${s}.in`, JSON.stringify({ n: i }));
    await collectUntil(
      fromQueue(nats(s, { connection: URL, codec: json }), { maxInFlight: 8 }).pipe(
        handle(() => {
          throw Object.assign(new RangeError('out of stock'), { retryable: false });
        }),
        retryWithResend({ maxAttempts: 5 }),
        ack(),
      ),
      (v) => v.length === 3,
    );
    await deadLetters(s, 4, 'decode', 2 * 3_600_000, 100);
    type Letter = { id: string; reason: string; error: { name: string; message: string } | null; body?: string };
    const all = await rxqJson<Letter[]>(['dlq', 'list', URL, s]);
    expect(all).toHaveLength(7);
    expect(all.filter((l) => l.reason === 'non-retryable').map((l) => l.error)).toEqual(
      Array(3).fill({ name: 'RangeError', message: 'out of stock' }),
    );
    expect(await count(`${s}_dead`)).toBe(7);
    const old = await rxqJson<Letter[]>(['dlq', 'list', URL, s, '--older-than', '1h', '--body']);
    expect(old.map((l) => l.body)).toEqual(['m100', 'm101', 'm102', 'm103']);
    const shown = await rxqJson<Letter>(['dlq', 'show', URL, s, old[2]!.id]);
    expect(shown).toMatchObject({ id: old[2]!.id, reason: 'decode', body: 'm102' });
    const dry = await rxqJson<{ matched: number; moved: number }>([
      'dlq',
      'redrive',
      URL,
      s,
      '--reason',
      'non-retryable',
      '--dry-run',
    ]);
    expect(dry).toMatchObject({ matched: 3, moved: 0 });
    expect(await count(`${s}_dead`)).toBe(7);
    const moved = await rxqJson<{ moved: number }>(['dlq', 'redrive', URL, s, '--reason', 'non-retryable']);
    expect(moved.moved).toBe(3);
    expect(await count(`${s}_dead`)).toBe(4);
    const redriven: unknown[] = [];
    const back = await collectUntil(
      fromQueue(nats(s, { connection: URL, codec: json }), { maxInFlight: 8 }).pipe(
        handle(
          (m) =>
            void redriven.push([
              m.body,
              m.headers?.[HEADERS.deadReason],
              m.headers?.['x-rxq-redriven-at'] !== undefined,
            ]),
        ),
        ack(),
      ),
      (v) => v.length === 3,
    );
    expect(back.every((r) => r.settlement === 'acked' && r.attempt === 1)).toBe(true);
    expect(redriven).toEqual([
      [{ n: 0 }, undefined, true],
      [{ n: 1 }, undefined, true],
      [{ n: 2 }, undefined, true],
    ]);
    expect(await rxqJson(['dlq', 'purge', URL, s, '--id', old[1]!.id, '--yes'])).toEqual({ purged: 1 });
    expect((await bodies(`${s}_dead`)).sort()).toEqual(['m100', 'm102', 'm103']);
    expect(await rxqJson(['dlq', 'purge', URL, s, '--yes'])).toEqual({ purged: 3 });
    expect(await count(`${s}_dead`)).toBe(0);
  });

  it('redrives 10,000 dead letters across a SIGKILL: none lost, doubles at most one batch', async () => {
    const s = await stream('two-k');
    await deadLetters(s, 10_000);
    const first = start(['dlq', 'redrive', URL, s, '--rate', '2000']);
    await until(async () => (await count(s)) >= 1_000, { what: 'the redrive under way', timeoutMs: 60_000 });
    first.kill('SIGKILL');
    expect((await first.result).signal).toBe('SIGKILL');
    const left = await count(`${s}_dead`);
    expect(left).toBeGreaterThan(0);
    const second = await rxqJson<{ moved: number }>(['dlq', 'redrive', URL, s]);
    expect(second.moved).toBe(left);
    expect(await count(`${s}_dead`)).toBe(0);
    const stored = await bodies(s);
    expect(new Set(stored).size).toBe(10_000);
    // --rate 2000 makes batches of 200: at most one batch was stored and not yet deleted.
    expect(stored.length - 10_000).toBeLessThanOrEqual(200);
  });

  it('errors are one line without the password', async () => {
    const missing = await rxq(['stats', 'nats://someone:notthepass99@127.0.0.1:4222', uniqueName('missing')]);
    expect(oneLineError(missing, ['notthepass99'])).toContain('does not exist');
    const env = await rxq(['dlq', 'list', 'nats://127.0.0.1:4222', uniqueName('missing')], {
      env: { RXQ_USERNAME: 'someone', RXQ_PASSWORD: 'envpass42' },
    });
    oneLineError(env, ['envpass42']);
    const down = await rxq(['stats', 'nats://someone:notthepass99@127.0.0.1:1', 'q']);
    expect(oneLineError(down, ['notthepass99'])).toContain('cannot reach NATS');
  });
});
