import { ConnectionLostError, silentLogger, type Connector, type Delivery, type OpenContext } from '@rxq/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { redis, redisSimpleList, redisStream } from '../src/index.js';
import { cleanup, client, killConnections, uniqueName } from './helpers.js';

const admin = client();
afterAll(() => admin.quit());
let q = '';
afterEach(() => cleanup(admin, q));

const modes: [string, (q: string) => Connector<Delivery>][] = [
  ['reliable list', (name) => redis(name, { blockMs: 2_000 })],
  ['simple list', (name) => redisSimpleList(name, { blockMs: 2_000 })],
  ['stream', (name) => redisStream(name, { group: 'g', blockMs: 2_000 })],
];

describe('a lost connection is reported through one channel', () => {
  for (const [mode, connector] of modes) {
    it(`${mode}: context.lost once; the receive it cut short brings nothing and does not reject`, async () => {
      q = uniqueName('loss');
      const lost: unknown[] = [];
      const context: OpenContext = {
        maxInFlight: 4,
        lost: (error) => void lost.push(error),
        logger: silentLogger,
        inFlight: 0,
        settled: () => Promise.resolve(),
      };
      const session = await connector(q).open(context);
      try {
        // A blocking read in progress when both of the session's connections are killed.
        const receiving = session.receive(4);
        expect(await killConnections(admin, `rxq:${q}`)).toBeGreaterThan(0);
        await expect(receiving).resolves.toEqual([]);
        expect(lost).toHaveLength(1);
        expect(lost[0]).toBeInstanceOf(ConnectionLostError);
        // A receive asked for after the loss rejects with it (for callers that do not close at once).
        await expect(session.receive(4)).rejects.toBe(lost[0]);
      } finally {
        await session.close();
      }
    });
  }
});
