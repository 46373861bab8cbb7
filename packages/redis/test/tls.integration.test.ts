import { AuthenticationError, fromQueue, InvalidOptionError, type RxqError } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { Redis } from 'ioredis';
import { firstValueFrom, tap } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishMany, publishToStream, redis, redisStream } from '../src/index.js';
import { uniqueName } from './helpers.js';
import { startTlsRedis, type TlsRedis } from './tlsServer.js';

// A redis-server of this file only, TLS-only on a port of its own (the shared server is untouched).
let server: TlsRedis;
beforeAll(async () => {
  server = await startTlsRedis();
}, 30_000);
afterAll(() => server.stop());

const url = (): string => `rediss://127.0.0.1:${server.port}`;

describe('rediss:// reaches the client', () => {
  it('a reliable list over TLS, with the CA given in `tls`', async () => {
    const q = uniqueName('tls');
    await publishMany(url(), q, [{ n: 1 }, { n: 2 }], { tls: { ca: server.ca } });
    const source = fromQueue<{ n: number }>(redis(q, { connection: url(), tls: { ca: server.ca }, blockMs: 100 }));
    const got = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 2);
    await source.stop();
    expect(got.map((m) => m.body.n)).toEqual([1, 2]);
  });

  it('a stream over TLS through the app’s own TLS client, left open', async () => {
    const s = uniqueName('tls-stream');
    const app = new Redis(url(), { tls: { ca: server.ca } });
    await publishToStream(app, s, { n: 3 });
    const source = fromQueue<{ n: number }>(redisStream(s, { group: 'g', connection: app, blockMs: 100 }));
    const m = await firstValueFrom(source);
    await m.ack();
    await source.stop();
    expect(m.body).toEqual({ n: 3 });
    expect(app.status).toBe('ready');
    await app.quit();
  });

  it('a server certificate that is not trusted is an AuthenticationError, not a reconnect loop', async () => {
    const source = fromQueue(redis(uniqueName('tls-untrusted'), { connection: url() }));
    const statuses: string[] = [];
    source.status$.subscribe((e) => statuses.push(e.status));
    const error = await firstValueFrom(source).then(
      () => undefined,
      (e: unknown) => e as RxqError,
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error?.message).toContain('tls.ca');
    expect(statuses).not.toContain('reconnecting');
  });

  it('`tls` beside a passed client is an error naming it', () => {
    const app = new Redis(url(), { lazyConnect: true });
    expect(() => redis('q', { connection: app, tls: { ca: server.ca } })).toThrow(InvalidOptionError);
    expect(() => redis('q', { connection: app, tls: { ca: server.ca } })).toThrow(/`tls`/);
    app.disconnect();
  });
});
