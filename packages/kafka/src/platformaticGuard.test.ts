import * as platformatic from '@platformatic/kafka';
import { afterEach, describe, expect, it } from 'vitest';
import { guardUnknownBroker } from './platformaticDriver.js';

type Lookup = (broker: unknown, callback: (error?: unknown, connection?: unknown) => void) => void;

/** The client's own connection look-up, found by its symbol's description. */
function lookupOf(client: object): Lookup {
  for (let p = Object.getPrototypeOf(client) as object | null; p; p = Object.getPrototypeOf(p) as object | null) {
    const symbol = Object.getOwnPropertySymbols(p).find((s) => s.description === 'plt.kafka.base.getConnection');
    if (symbol) return (broker, callback) => (client as Record<symbol, Lookup>)[symbol]?.call(client, broker, callback);
  }
  throw new Error('the client has no connection look-up');
}

const clients: { close(force: boolean, callback: () => void): void }[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => new Promise<void>((resolve) => c.close(true, () => resolve()))));
});

const consumer = (): platformatic.Consumer => {
  // Port 1 on loopback refuses at once: nothing here needs a broker.
  const c = new platformatic.Consumer({ clientId: 'rxq-test', bootstrapBrokers: ['127.0.0.1:1'], groupId: 'g' });
  clients.push(c);
  return c;
};

describe('guardUnknownBroker', () => {
  it('unguarded, a look-up of a broker missing from the metadata throws (an uncaught exception in the client)', () => {
    const lookup = lookupOf(consumer());
    expect(() => lookup(undefined, () => undefined)).toThrow(TypeError);
  });

  it('guarded, it fails through the callback with a retryable network error', async () => {
    const c = consumer();
    guardUnknownBroker(c, platformatic);
    const error = await new Promise<unknown>((resolve) => lookupOf(c)(undefined, resolve));
    expect(error).toBeInstanceOf(platformatic.NetworkError);
    expect((error as { canRetry?: boolean }).canRetry).toBe(true);
  });

  it('guarded, a listed broker is looked up as before', async () => {
    const c = consumer();
    guardUnknownBroker(c, platformatic);
    const error = await new Promise<unknown>((resolve) => lookupOf(c)({ host: '127.0.0.1', port: 1 }, resolve));
    // The client's own answer for a broker that refuses: a network error, not the guard's.
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain('not in the client metadata');
  });
});
