import { ConnectionLostError, type Connector, type Delivery } from '@rxq/core';
import { cutReceive } from '@rxq/core/testing';
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
      let killed = 0;
      // A blocking read in progress when both of the session's connections are killed.
      const r = await cutReceive(connector(q), async () => (killed = await killConnections(admin, `rxq:${q}`)));
      expect(killed).toBeGreaterThan(0);
      expect(r.cut).toEqual({ status: 'fulfilled', value: [] });
      expect(r.lost).toHaveLength(1);
      expect(r.lost[0]).toBeInstanceOf(ConnectionLostError);
      // A receive asked for after the loss rejects with it (for callers that do not close at once).
      expect(r.after.status === 'rejected' && r.after.reason).toBe(r.lost[0]);
    });
  }
});
