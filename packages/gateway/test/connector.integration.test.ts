import { AuthenticationError, ConnectionLostError, fromQueue, NotFoundError, RxqError } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { MemoryQueue } from '@rxq/memory';
import { firstValueFrom, tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../src/client.js';
import { gateway, serve } from '../src/index.js';

describe('gateway(): errors at the boundary', () => {
  it('maps each status to its rxq error', () => {
    const cases: [Parameters<typeof errorOf>[0], unknown, string, boolean][] = [
      ['error:auth', 'invalid token', 'AUTHENTICATION_FAILED', false],
      ['error:timeout', null, 'TIMEOUT', true],
      ['error:request', 'queue not found', 'NOT_FOUND', false],
      ['error:request', 'action not found', 'GATEWAY_REQUEST', false],
      ['error:action', 'n must be…', 'GATEWAY_ACTION', true],
      ['error:unknown', 'line too long', 'GATEWAY_ACTION', true],
    ];
    for (const [status, result, code, retryable] of cases) {
      const error = errorOf(status, result);
      expect(error).toBeInstanceOf(RxqError);
      expect([status, error.code, error.retryable]).toEqual([status, code, retryable]);
    }
    expect(errorOf('error:auth', 'x')).toBeInstanceOf(AuthenticationError);
    expect(errorOf('error:request', 'queue not found')).toBeInstanceOf(NotFoundError);
  });

  it('a wrong token or an unknown queue errors the stream instead of reconnecting for ever', async () => {
    const gw = await serve({ port: 0, token: 'right' });
    try {
      const url = `tcp://127.0.0.1:${gw.port}`;
      const wrong = await firstValueFrom(fromQueue(gateway(url, { token: 'wrong' }))).catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(AuthenticationError);
      const missing = await firstValueFrom(fromQueue(gateway(url, { token: 'right', queue: 'nope' }))).catch(
        (e: unknown) => e,
      );
      expect(missing).toBeInstanceOf(NotFoundError);
    } finally {
      await gw.close();
    }
  });

  it('a gateway restart: the source reconnects by itself and nothing is lost', async () => {
    const q = new MemoryQueue<unknown>();
    q.pushMany(Array.from({ length: 200 }, (_, i) => i));
    let gw = await serve({ port: 0, queues: { q } });
    const port = gw.port;
    const source = fromQueue(gateway(`tcp://127.0.0.1:${port}`, { pollMs: 20 }), {
      maxInFlight: 10,
      reconnect: { initialMs: 20, maxMs: 100 },
    });
    const seen = new Set<number>();
    let restarted = false;
    const statuses: string[] = [];
    source.status$.subscribe((s) => statuses.push(s.status));
    await collectUntil(
      source.pipe(
        tap((m) => {
          // Half-way, the gateway goes down with 10 in flight, and comes back on the same port.
          if (seen.size === 100 && !restarted) {
            restarted = true;
            void gw.close().then(async () => {
              gw = await serve({ port, queues: { q } });
            });
            return; // this one is never acked: it must come back
          }
          seen.add(m.body as number);
          void m.ack();
        }),
      ),
      () => seen.size === 200,
    );
    await source.stop();
    await gw.close();
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(statuses).toContain('reconnecting');
  });

  it('a connection refused is retryable', async () => {
    const gw = await serve({ port: 0 });
    const port = gw.port;
    await gw.close();
    const connector = gateway(`tcp://127.0.0.1:${port}`, { connectTimeoutMs: 1_000 });
    const error = await connector
      .open({
        maxInFlight: 1,
        lost: () => undefined,
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        inFlight: 0,
        settled: () => Promise.resolve(),
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect(error).toMatchObject({ retryable: true });
  });
});
