import { ConnectionLostError, silentLogger, type Connector, type Delivery, type OpenContext } from '@rxq/core';
import { afterAll, describe, expect, it } from 'vitest';
import { pgQueue, pgTopic } from '../src/index.js';
import { adminPool, freshSchema, PG_URL, terminate } from './helpers.js';

const admin = adminPool();
afterAll(() => admin.end());

const modes: [string, (name: string, schema: string) => Connector<Delivery>][] = [
  ['queue', (name, schema) => pgQueue(name, { connection: PG_URL, schema, pollMs: 2_000 })],
  ['topic', (name, schema) => pgTopic(name, { subscriber: 's', connection: PG_URL, schema, pollMs: 2_000 })],
];

describe('a lost connection is reported through one channel', () => {
  for (const [mode, connector] of modes) {
    it(`${mode}: context.lost once; the receive it cut short brings nothing and does not reject`, async () => {
      const { schema, drop } = await freshSchema(admin, `loss${mode}`);
      const name = `loss_${mode}_${schema.slice(-8)}`;
      const lost: unknown[] = [];
      const context: OpenContext = {
        maxInFlight: 4,
        lost: (error) => void lost.push(error),
        logger: silentLogger,
        inFlight: 0,
        settled: () => Promise.resolve(),
      };
      const session = await connector(name, schema).open(context);
      try {
        // A receive waiting for a NOTIFY (nothing is due) when the session's connections are terminated.
        const receiving = session.receive(4);
        expect(await terminate(admin, `rxq:${name}`)).toBeGreaterThan(0);
        await expect(receiving).resolves.toEqual([]);
        expect(lost).toHaveLength(1);
        expect(lost[0]).toBeInstanceOf(ConnectionLostError);
        // A receive asked for after the loss rejects with it (for callers that do not close at once).
        await expect(session.receive(4)).rejects.toBe(lost[0]);
      } finally {
        await session.close();
        await drop();
      }
    });
  }
});
