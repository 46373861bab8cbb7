import { fromQueue } from '@rxq/core';
import { readdirSync, readFileSync } from 'node:fs';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { redis } from '../src/index.js';
import { cleanup, client, killConnections, uniqueName } from './helpers.js';
import { recordingLogger } from './logs.js';
import { until } from '@rxq/core/testing';

const admin = client();
afterAll(() => admin.quit());
let q = '';
afterEach(() => cleanup(admin, q));

describe('the connector logs through the source’s logger', () => {
  it('connect, a lost connection with its cause, and the recovery of a dead consumer’s messages', async () => {
    q = uniqueName('logs');
    // A consumer that died holding two messages: registered, no heartbeat, a processing list.
    await admin.sadd(`${q}:consumers`, 'dead-1');
    await admin.rpush(`${q}:processing:dead-1`, JSON.stringify({ n: 1 }), JSON.stringify({ n: 2 }));
    const logger = recordingLogger();
    const source = fromQueue<{ n: number }>(redis(q, { blockMs: 100 }), { logger });
    const got: { n: number; attempt: number }[] = [];
    const reconnected = firstValueFrom(source.status$.pipe(filter((e) => e.status === 'reconnecting')));
    const subscription = source.subscribe((m) => {
      got.push({ n: m.body.n, attempt: m.attempt });
      void m.ack();
    });
    await until(async () => got.length === 2, { what: 'both recovered messages' });
    expect(await killConnections(admin, `rxq:${q}`)).toBeGreaterThan(0);
    await reconnected;
    await source.stop();
    subscription.unsubscribe();
    expect(got).toEqual([
      { n: 1, attempt: 2 },
      { n: 2, attempt: 2 },
    ]);
    const messages = logger.records.map((r) => `${r.level} ${r.message}`);
    expect(messages).toContain('info connected to Redis');
    const recovered = logger.records.find((r) => /dead consumer/.test(r.message));
    expect(recovered?.fields).toMatchObject({ recovered: 2, source: q });
    const lost = logger.records.find((r) => r.level === 'warn' && /lost|closed/.test(r.message));
    expect(lost?.fields).toMatchObject({ code: 'CONNECTION_LOST', cause: expect.any(String) as unknown });
  });

  it('no console.* in the library code', () => {
    const dir = new URL('../src/', import.meta.url);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const code = readFileSync(new URL(file, dir), 'utf8')
        .split('\n')
        .filter((line) => !/^\s*(\*|\/\/)/.test(line));
      expect(
        code.filter((line) => /\bconsole\./.test(line)),
        file,
      ).toEqual([]);
    }
  });
});
