import { ConnectionLostError, type Connector, type Delivery } from '@rxq/core';
import { cutReceive } from '@rxq/core/testing';
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
      try {
        let terminated = 0;
        // A receive waiting for a NOTIFY (nothing is due) when the session's connections are terminated.
        const r = await cutReceive(
          connector(name, schema),
          async () => (terminated = await terminate(admin, `rxq:${name}`)),
        );
        expect(terminated).toBeGreaterThan(0);
        expect(r.cut).toEqual({ status: 'fulfilled', value: [] });
        expect(r.lost).toHaveLength(1);
        expect(r.lost[0]).toBeInstanceOf(ConnectionLostError);
        // A receive asked for after the loss rejects with it (for callers that do not close at once).
        expect(r.after.status === 'rejected' && r.after.reason).toBe(r.lost[0]);
      } finally {
        await drop();
      }
    });
  }
});
