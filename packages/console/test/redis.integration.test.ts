import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ack, deadLetterHeaders, fixed, fromQueue, handle, HEADERS, json, retryWithResend, text } from '@rxq/core';
import { collectUntil, until } from '@rxq/core/testing';
import { publishMany, readListEntry, redis, redisStream } from '@rxq/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openAdmin } from '../src/admin/index.js';
import { oneLineError, rxq, rxqJson, start, uniqueName } from './helpers.js';

const URL = 'redis://127.0.0.1:6379';
const client = new Redis(URL);
const made: string[] = [];

function name(kind: string): string {
  const q = uniqueName(kind);
  made.push(q);
  return q;
}

afterEach(async () => {
  for (const q of made.splice(0)) {
    const keys = await client.keys(`${q}*`);
    if (keys.length > 0) await client.del(...keys);
  }
});
afterAll(() => client.quit());

/** Dead letters as an rxq consumer writes them (max-attempts with an error, and decode). */
async function consumerDeadLetters(queue: string, good: number, poison: number): Promise<void> {
  await client.rpush(queue, ...Array.from({ length: good }, (_, i) => JSON.stringify({ n: i })));
  await client.rpush(queue, ...Array.from({ length: poison }, (_, i) => `not json ${i}`));
  const records = await collectUntil(
    fromQueue(redis(queue, { codec: json }), { maxInFlight: 16 }).pipe(
      handle(() => {
        throw new TypeError('card declined');
      }),
      retryWithResend({ maxAttempts: 1, backoff: fixed() }),
      ack(),
    ),
    // Poison bodies are dead-lettered at intake, without a record.
    (v) => v.length === good,
  );
  expect(records.every((r) => r.settlement === 'dead-lettered')).toBe(true);
  await until(async () => (await client.llen(`${queue}:dead`)) === good + poison, {
    what: 'every dead letter',
    timeoutMs: 60_000,
  });
}

/** `count` dead letters written with @rxq/redis's own envelope, dead `ageMs` ago. */
async function deadLetters(queue: string, count: number, reason = 'max-attempts', ageMs = 0, first = 0): Promise<void> {
  const headers = deadLetterHeaders(
    { [HEADERS.attempt]: '5' },
    { reason, at: Date.now() - ageMs, error: { name: 'Error', message: 'boom' } },
    queue,
  );
  for (let i = 0; i < count; i += 5000)
    await publishMany(
      client,
      `${queue}:dead`,
      Array.from({ length: Math.min(5000, count - i) }, (_, k) => `m${first + i + k}`),
      { codec: text, headers },
    );
}

describe('rxq on Redis lists', () => {
  it('peek shows the first messages (a redis-cli producer among them) and removes nothing', async () => {
    const q = name('peek');
    await publishMany(client, q, [{ a: 1 }], { headers: { tenant: 'acme' }, attempt: 2 });
    execFileSync('redis-cli', ['RPUSH', q, 'from redis-cli']);
    await client.rpush(q, Buffer.from([0xff, 0x00, 0x01]));
    const peeked = await rxqJson<
      { id: string; attempt: number; headers: Record<string, string>; body?: string; bodyEncoding?: string }[]
    >(['peek', URL, q, '-n', '2', '--body']);
    expect(peeked).toHaveLength(2);
    expect(peeked[0]).toMatchObject({ attempt: 2, body: '{"a":1}', headers: { tenant: 'acme' } });
    expect(peeked[1]).toMatchObject({ attempt: 1, body: 'from redis-cli', headers: {} });
    expect(await client.llen(q)).toBe(3);
    const noBody = await rxqJson<{ body?: string }[]>(['peek', URL, q]);
    expect(noBody).toHaveLength(3);
    expect(noBody.every((m) => m.body === undefined)).toBe(true);
    const binary = await rxqJson<{ body: string; bodyEncoding: string }[]>(['peek', URL, q, '--body']);
    expect(binary[2]).toEqual(
      expect.objectContaining({ body: Buffer.from([0xff, 0x00, 0x01]).toString('base64'), bodyEncoding: 'base64' }),
    );
    const human = await rxq(['peek', URL, q]);
    expect(human.stdout).toContain('tenant=acme');
    expect(await client.llen(q)).toBe(3);
  });

  it('publish sends one message per line (file and stdin) that an rxq consumer then gets', async () => {
    const q = name('publish');
    const dir = mkdtempSync(join(tmpdir(), 'rxq-console-'));
    const file = join(dir, 'lines.txt');
    writeFileSync(file, '{"n":1}\n{"n":2}\n\n{"n":3}\n');
    expect(await rxqJson(['publish', URL, q, file])).toEqual({ published: 3 });
    expect(await rxqJson(['publish', URL, q, '-', '-H', 'tenant=acme'], { input: '{"n":4}\r\n{"n":5}' })).toEqual({
      published: 2,
    });
    const got: unknown[] = [];
    await collectUntil(
      fromQueue(redis(q, { codec: json }), { maxInFlight: 8 }).pipe(
        handle((m) => void got.push({ body: m.body, tenant: m.headers?.tenant })),
        ack(),
      ),
      (v) => v.length === 5,
    );
    expect(got).toEqual([
      { body: { n: 1 }, tenant: undefined },
      { body: { n: 2 }, tenant: undefined },
      { body: { n: 3 }, tenant: undefined },
      { body: { n: 4 }, tenant: 'acme' },
      { body: { n: 5 }, tenant: 'acme' },
    ]);
  });

  it("stats equal Redis's own counts, a live consumer's in-flight messages included", async () => {
    const q = name('stats');
    await client.rpush(q, ...Array.from({ length: 50 }, (_, i) => String(i)));
    await client.zadd(`${q}:delayed`, Date.now() + 3_600_000, 'later-1', Date.now() + 3_600_000, 'later-2');
    await deadLetters(q, 7);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const sub = fromQueue(redis(q, { codec: text }), { maxInFlight: 4 })
      .pipe(
        handle(
          async () => {
            started++;
            await held;
          },
          { concurrency: 4 },
        ),
        ack(),
      )
      .subscribe();
    await until(async () => started === 4, { what: 'four messages in flight', timeoutMs: 60_000 });
    const stats = await rxqJson<Record<string, unknown>>(['stats', URL, q]);
    const ids = await client.smembers(`${q}:consumers`);
    let processing = 0;
    for (const id of ids) processing += await client.llen(`${q}:processing:${id}`);
    expect(stats).toMatchObject({
      depth: await client.llen(q),
      inFlight: processing,
      delayed: 2,
      deadLetters: 7,
      consumers: 1,
      lag: null,
    });
    expect(stats.inFlight).toBeGreaterThanOrEqual(4);
    release();
    sub.unsubscribe();
    const text_ = await rxq(['stats', URL, q]);
    expect(text_.stdout).toMatch(/dead letters\s+7/);
  });

  it('lists the dead letters an rxq consumer wrote, with reason and error, filtered by reason, id and age', async () => {
    const q = name('list');
    await consumerDeadLetters(q, 3, 2);
    expect(await client.llen(`${q}:dead`)).toBe(5);
    type Letter = {
      id: string;
      reason: string;
      error: { name: string; message: string } | null;
      deadAt: number;
      body?: string;
      origin: string;
    };
    const all = await rxqJson<Letter[]>(['dlq', 'list', URL, q]);
    expect(all.map((l) => l.reason).sort()).toEqual([
      'decode',
      'decode',
      'max-attempts',
      'max-attempts',
      'max-attempts',
    ]);
    expect(
      all
        .filter((l) => l.reason === 'max-attempts')
        .every((l) => l.error?.name === 'TypeError' && l.error.message === 'card declined'),
    ).toBe(true);
    expect(all.every((l) => l.origin === q && l.body === undefined)).toBe(true);
    const decode = await rxqJson<Letter[]>(['dlq', 'list', URL, q, '--reason', 'decode', '--body']);
    expect(decode.map((l) => l.body).sort()).toEqual(['not json 0', 'not json 1']);
    const one = await rxqJson<Letter[]>(['dlq', 'list', URL, q, '--id', (all[1] as Letter).id]);
    expect(one.map((l) => l.id)).toEqual([(all[1] as Letter).id]);
    expect(await rxqJson<Letter[]>(['dlq', 'list', URL, q, '--older-than', '1h'])).toEqual([]);
    expect(await rxqJson<Letter[]>(['dlq', 'list', URL, q, '-n', '2'])).toHaveLength(2);
    const shown = await rxqJson<Letter>(['dlq', 'show', URL, q, (decode[0] as Letter).id]);
    expect(shown).toMatchObject({ reason: 'decode', body: decode[0]?.body });
    const human = await rxq(['dlq', 'list', URL, q]);
    expect(human.stdout).toContain('TypeError: card declined');
    expect(await client.llen(`${q}:dead`)).toBe(5);
  });

  it('redrive by filter moves exactly the selected letters back, a dry run moves none, and the consumer gets them', async () => {
    const q = name('filter');
    await deadLetters(q, 20, 'max-attempts', 2 * 3_600_000, 0);
    await deadLetters(q, 10, 'decode', 0, 100);
    const dry = await rxqJson<{ matched: number; moved: number; dryRun: boolean }>([
      'dlq',
      'redrive',
      URL,
      q,
      '--reason',
      'max-attempts',
      '--dry-run',
    ]);
    expect(dry).toMatchObject({ matched: 20, moved: 0, dryRun: true });
    expect(await client.llen(`${q}:dead`)).toBe(30);
    expect(await client.llen(q)).toBe(0);
    const moved = await rxqJson<{ moved: number }>(['dlq', 'redrive', URL, q, '--older-than', '1h', '--limit', '15']);
    expect(moved.moved).toBe(15);
    expect(await client.llen(q)).toBe(15);
    const left = (await client.lrangeBuffer(`${q}:dead`, 0, -1)).map((e) => readListEntry(e));
    expect(left.filter((e) => e.headers?.[HEADERS.deadReason] === 'max-attempts')).toHaveLength(5);
    const back = (await client.lrangeBuffer(q, 0, -1)).map((e) => readListEntry(e));
    expect(back.map((e) => e.payload.toString())).toEqual(Array.from({ length: 15 }, (_, i) => `m${i}`));
    // The copies start afresh: no dead-letter headers, attempt 1, and when they were redriven.
    for (const e of back) {
      expect(e.headers?.[HEADERS.deadReason]).toBeUndefined();
      expect(e.headers?.[HEADERS.attempt]).toBeUndefined();
      expect(Number(e.headers?.['x-rxq-redriven-at'])).toBeGreaterThan(0);
    }
    const got = await collectUntil(
      fromQueue(redis(q, { codec: text })).pipe(
        handle(() => undefined),
        ack(),
      ),
      (v) => v.length === 15,
    );
    expect(got.every((r) => r.settlement === 'acked' && r.attempt === 1)).toBe(true);
  });

  it('purge deletes the selected dead letters only with --yes', async () => {
    const q = name('purge');
    await deadLetters(q, 5, 'decode');
    await deadLetters(q, 3, 'max-attempts', 0, 10);
    const refused = await rxq(['dlq', 'purge', URL, q]);
    expect(oneLineError(refused, [])).toContain('--yes');
    expect(await rxqJson(['dlq', 'purge', URL, q, '--reason', 'decode', '--yes'])).toEqual({ purged: 5 });
    expect(await client.llen(`${q}:dead`)).toBe(3);
    expect(await rxqJson(['dlq', 'purge', URL, q, '--yes'])).toEqual({ purged: 3 });
    expect(await client.exists(`${q}:dead`)).toBe(0);
  });

  it('redrives 10,000 dead letters exactly once, even when killed (SIGKILL) mid-redrive and run again', async () => {
    const q = name('ten-k');
    await deadLetters(q, 10_000);
    const first = start(['dlq', 'redrive', URL, q, '--rate', '2000']);
    await until(async () => (await client.llen(q)) >= 1000, { what: 'the redrive under way', timeoutMs: 60_000 });
    first.kill('SIGKILL');
    const killed = await first.result;
    expect(killed.signal).toBe('SIGKILL');
    const movedBefore = await client.llen(q);
    expect(movedBefore).toBeLessThan(10_000);
    expect(movedBefore + (await client.llen(`${q}:dead`))).toBe(10_000);
    const second = await rxqJson<{ moved: number }>(['dlq', 'redrive', URL, q]);
    expect(second.moved).toBe(10_000 - movedBefore);
    expect(await client.llen(`${q}:dead`)).toBe(0);
    const bodies = (await client.lrangeBuffer(q, 0, -1)).map((e) => readListEntry(e).payload.toString());
    expect(bodies).toHaveLength(10_000);
    expect(new Set(bodies).size).toBe(10_000);
  });

  it('errors are one line, exit 1, and never show the credentials', async () => {
    const refused = await rxq(['stats', 'redis://admin:hunter22secret@127.0.0.1:6390', 'q']);
    expect(oneLineError(refused, ['hunter22secret', 'admin:'])).toContain(
      'cannot reach Redis at redis://127.0.0.1:6390',
    );
    const env = await rxq(['stats', 'redis://127.0.0.1:6390', 'q'], { env: { RXQ_PASSWORD: 'envsecret77' } });
    oneLineError(env, ['envsecret77']);
    const scheme = await rxq(['stats', 'mqtt://u:pw1234@x', 'q']);
    expect(oneLineError(scheme, ['pw1234'])).toContain('Unknown URL scheme "mqtt:"');
    const missing = await rxq(['dlq', 'show', URL, name('none'), 'nope']);
    expect(oneLineError(missing, [])).toContain('no dead letter with id nope');
    const usage = await rxq(['peek', URL, 'q', '-n', 'x']);
    expect(usage.code).toBe(2);
    expect(usage.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('rxq on Redis streams', () => {
  it('peeks past the group, counts pending and lag, and redrives the dead stream atomically', async () => {
    const s = name('stream');
    await client.xadd(s, '*', 'body', '"a"');
    await client.xadd(s, '*', 'body', '"b"', 'tenant', 'acme');
    const got = await collectUntil(
      fromQueue(redisStream(s, { group: 'g', codec: json }), { maxInFlight: 4 }).pipe(
        handle((m) => {
          if (m.body === 'a') throw new Error('no a');
          return m.body;
        }),
        retryWithResend({ maxAttempts: 1, backoff: fixed() }),
        ack(),
      ),
      (v) => v.length === 2,
    );
    expect(got).toHaveLength(2);
    await client.xadd(s, '*', 'body', '"c"');
    const admin = await openAdmin(URL, s);
    try {
      const peeked = await admin.peek(10, { body: true });
      expect(peeked.map((m) => m.body?.toString())).toEqual(['"c"']);
      const stats = await admin.stats();
      expect(stats).toMatchObject({ depth: 1, inFlight: 0, deadLetters: 1, consumers: 1 });
      const [letter] = await admin.deadLetters.list();
      expect(letter).toMatchObject({ reason: 'max-attempts', error: { name: 'Error', message: 'no a' } });
      const result = await admin.deadLetters.redrive();
      expect(result.moved).toBe(1);
      expect(await client.xlen(`${s}:dead`)).toBe(0);
      const tail = await client.xrevrange(s, '+', '-', 'COUNT', 1);
      const fields = tail[0]?.[1] ?? [];
      expect(fields.slice(0, 2)).toEqual(['body', '"a"']);
      expect(fields).not.toContain(HEADERS.deadReason);
      expect(fields).toContain('x-rxq-redriven-at');
    } finally {
      await admin.close();
    }
  });
});
