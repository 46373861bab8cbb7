import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { AuthenticationError, ConnectionLostError, fromQueue, silentLogger } from '@rxq/core';
import { memory, MemoryQueue } from '@rxq/memory';
import { redis } from '@rxq/redis';
import { describe, expect, it } from 'vitest';
import { health, healthListener } from '../src/index.js';
import { until } from '@rxq/core/testing';

describe('health', () => {
  it('idle, connected, draining and closed', async () => {
    const source = fromQueue(memory(new MemoryQueue<number>(), { name: 'orders', pollMs: 10 }), {
      logger: silentLogger,
    });
    const probe = health(source);
    expect(probe.check()).toEqual({ live: true, ready: false, reason: 'orders: not subscribed' });
    const subscription = source.subscribe();
    await until(() => probe.check().ready);
    expect(probe.check()).toEqual({ live: true, ready: true, reason: 'ok' });
    await source.stop();
    expect(probe.check()).toEqual({ live: false, ready: false, reason: 'orders: closed' });
    subscription.unsubscribe();
    probe.close();
  });

  it('a real Redis client that cannot connect: ready while reconnecting for less than maxReconnectingMs', async () => {
    let clock = Date.now();
    const source = fromQueue(redis('orders', { connection: 'redis://127.0.0.1:1' }), {
      logger: silentLogger,
      reconnect: { initialMs: 20, maxMs: 50 },
    });
    const ok = fromQueue(memory(new MemoryQueue<number>(), { name: 'invoices', pollMs: 10 }), { logger: silentLogger });
    const probe = health([source, ok], { maxReconnectingMs: 5_000, now: () => clock });
    const subscriptions = [source.subscribe({ error: () => undefined }), ok.subscribe()];
    await until(() => probe.check().reason.includes('retry 2'));
    const early = probe.check();
    expect(early).toMatchObject({ live: true, ready: true });
    expect(early.reason).toMatch(/^orders: reconnecting for \d+ ms \(retry \d+: CONNECTION_LOST\)$/);
    clock += 10_000;
    const late = probe.check();
    expect(late).toMatchObject({ live: true, ready: false });
    expect(late.reason).toContain('over 5000 ms');
    for (const s of subscriptions) s.unsubscribe();
    await Promise.all([source.stop(), ok.stop()]);
    probe.close();
  });

  it('a source stopped for good is not live, with the error code as the reason', async () => {
    const source = fromQueue(
      { name: 'locked', open: () => Promise.reject(new AuthenticationError('bad password')) },
      { logger: silentLogger },
    );
    const probe = health(source);
    await new Promise<void>((resolve) => source.subscribe({ error: () => resolve() }));
    expect(probe.check()).toEqual({
      live: false,
      ready: false,
      reason: 'locked: stopped for good (AUTHENTICATION_FAILED)',
    });
    expect(probe.check().reason).not.toContain('password');
    probe.close();
  });

  it('a reconnecting streak counts from its first attempt, and ends when connected', async () => {
    let clock = 1_000;
    let fail = true;
    let opens = 0;
    const connector = {
      name: 'blip',
      open: () => {
        opens++;
        if (fail) return Promise.reject(new ConnectionLostError('refused'));
        return memory(new MemoryQueue<number>(), { name: 'blip', pollMs: 10 }).open({
          maxInFlight: 1,
          lost: () => undefined,
          logger: silentLogger,
          inFlight: 0,
          settled: () => Promise.resolve(),
        });
      },
    };
    const source = fromQueue(connector, { logger: silentLogger, reconnect: { initialMs: 5, maxMs: 10 } });
    const probe = health(source, { maxReconnectingMs: 100, now: () => clock });
    const subscription = source.subscribe();
    await until(() => opens >= 3);
    clock = Date.now() + 200;
    expect(probe.check().ready).toBe(false);
    fail = false;
    await until(() => probe.check().reason === 'ok');
    expect(probe.check()).toEqual({ live: true, ready: true, reason: 'ok' });
    subscription.unsubscribe();
    probe.close();
  });

  it('healthListener answers /livez and /readyz with 200 or 503 and the report', async () => {
    const source = fromQueue(memory(new MemoryQueue<number>(), { name: 'orders', pollMs: 10 }), {
      logger: silentLogger,
    });
    const probe = health(source);
    const server = createServer(healthListener(probe));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const get = async (path: string) => {
      const response = await fetch(base + path);
      return { status: response.status, body: await response.text() };
    };
    expect(await get('/livez')).toMatchObject({ status: 200 });
    expect(await get('/readyz')).toEqual({
      status: 503,
      body: JSON.stringify({ live: true, ready: false, reason: 'orders: not subscribed' }) + '\n',
    });
    const subscription = source.subscribe();
    await until(() => probe.check().ready);
    expect((await get('/readyz')).status).toBe(200);
    expect((await get('/metrics')).status).toBe(404);
    subscription.unsubscribe();
    server.close();
    probe.close();
  });

  it('the example server answers its probes and ends on SIGTERM', async () => {
    const script = fileURLToPath(new URL('../examples/health-server.mjs', import.meta.url));
    const child = spawn(process.execPath, [script], { env: { ...process.env, PORT: '0' } });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await until(() => /probes on (http\S+)/.test(out));
    const base = /probes on (http\S+)/.exec(out)![1]!;
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 200; i++) {
      ready = (await fetch(`${base}/readyz`)).status;
      if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(ready).toBe(200);
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
