import { InvalidOptionError } from '@rxq/core';
import { MemoryQueue } from '@rxq/memory';
import { describe, expect, it } from 'vitest';
import { gateway, memoryBackend, serve } from '../src/index.js';
import { RawClient } from './helpers.js';

describe('options', () => {
  it('an unknown option fails at construction, naming the closest known one', async () => {
    await expect(serve({ port: 0, maxConections: 5 } as never)).rejects.toThrow(
      /Unknown option `maxConections`; did you mean `maxConnections`\?/,
    );
    expect(() => gateway('tcp://127.0.0.1:1', { polMs: 5 } as never)).toThrow(/did you mean `pollMs`/);
    expect(() => memoryBackend('q', new MemoryQueue(), { deadLeter: 1 } as never)).toThrow(InvalidOptionError);
  });

  it('bad values are InvalidOptionError naming the option', async () => {
    const bad: [object, string][] = [
      [{ port: -1 }, 'port'],
      [{ maxConnections: 0 }, 'maxConnections'],
      [{ maxLineBytes: 1.5 }, 'maxLineBytes'],
      [{ token: '' }, 'token'],
      [{ queues: {} }, 'queues'],
      [{ queues: { q: 'memory' } }, 'queues.q'],
      [{ queues: { q: new MemoryQueue() }, defaultQueue: 'r' }, 'defaultQueue'],
      [{ leaseMs: 0 }, 'leaseMs'],
      [{ postgres: { connection: 'postgres://127.0.0.1/x' } }, 'postgres'],
      [{ httpPort: 0, postgres: { connection: 'mysql://x' } }, 'postgres.connection'],
      [{ httpPort: 0, postgres: { connection: 'postgres://127.0.0.1/x', schema: 'a;b' } }, 'postgres.schema'],
      [{ httpPort: 0, postgres: { connection: 'postgres://127.0.0.1/x', pollMs: 0 } }, 'postgres.pollMs'],
      [{ httpPort: 0, postgres: { connection: 'postgres://127.0.0.1/x', maxBatch: 1.5 } }, 'postgres.maxBatch'],
      [{ httpPort: 0, postgres: { connection: 'postgres://127.0.0.1/x', shema: 'a' } }, 'postgres.shema'],
    ];
    for (const [options, option] of bad) {
      const error = await serve({ port: 0, ...options }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option });
    }
    expect(() => gateway('http://127.0.0.1:3000')).toThrow(InvalidOptionError);
    expect(() => gateway('tcp://127.0.0.1')).toThrow(InvalidOptionError);
  });

  it('with a token, a TCP client must send auth first; a wrong token ends the connection', async () => {
    const gw = await serve({ port: 0, token: 'right' });
    try {
      const wrong = await RawClient.open(gw.port);
      expect(await wrong.call(['auth', ['wrong']])).toEqual(['error:auth', 'invalid token']);
      await wrong.closed;
      const anon = await RawClient.open(gw.port);
      expect(await anon.call(['pull', [0]])).toEqual(['error:auth', 'authentication required']);
      await anon.closed;
      const ok = await RawClient.open(gw.port);
      expect(await ok.call(['auth', ['right']])).toEqual(['success', null]);
      expect(await ok.call(['pull', [0]])).toEqual(['error:timeout', null]);
      ok.kill();
    } finally {
      await gw.close();
    }
  });
});

describe('serve: failing to listen', () => {
  it('rejects with EADDRINUSE when the TCP or the HTTP port is taken', async () => {
    const first = await serve({ port: 0, httpPort: 0 });
    try {
      await expect(serve({ port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      const error = await serve({ port: 0, httpPort: first.httpPort! }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await first.close();
    }
  });
});
