import { InvalidOptionError } from '@rxq/core';

/**
 * What rxq needs of an ioredis client the app passes: checked by its shape, not by class, so a
 * client of any ioredis 5.x or 6.x (another copy of the package included) is accepted. rxq uses
 * it as it is (its commands, its TLS and credentials, `duplicate()` for blocking reads) and
 * never closes it.
 */
export interface RedisClient {
  /** The ioredis connection status (`'ready'`, `'end'`, …). */
  readonly status: string;
  /** The client's options (ioredis `RedisOptions`). */
  readonly options: object;
  duplicate(...args: never[]): unknown;
  callBuffer(...args: never[]): unknown;
  on(...args: never[]): unknown;
  quit(...args: never[]): unknown;
}

const METHODS = ['duplicate', 'callBuffer', 'call', 'on', 'off', 'once', 'quit', 'disconnect', 'pipeline'] as const;

/**
 * Throws {@link InvalidOptionError} unless `client` has an ioredis client's shape, naming what is
 * missing, and for options of that client rxq cannot honour (`keyPrefix`). A Redis Cluster client
 * (ioredis `Cluster`) has the same shape and is accepted.
 */
export function checkClient(client: unknown, option: string): RedisClient {
  if (typeof client !== 'object' || client === null)
    throw new InvalidOptionError(option, 'a redis:// or rediss:// URL or an ioredis client', client);
  const c = client as Record<string, unknown>;
  const missing = METHODS.filter((m) => typeof c[m] !== 'function');
  if (missing.length > 0 || typeof c.status !== 'string' || typeof c.options !== 'object' || c.options === null)
    throw new InvalidOptionError(
      option,
      `an ioredis client (5.x or 6.x)${missing.length > 0 ? `, with ${missing.join(', ')}()` : ''}`,
      client,
    );
  const options = c.options as { keyPrefix?: unknown; redisOptions?: { keyPrefix?: unknown } };
  // A Cluster client takes a prefix at the top or in the options of its node connections.
  const prefixed = [
    ['options.keyPrefix', options.keyPrefix],
    ['options.redisOptions.keyPrefix', options.redisOptions?.keyPrefix],
  ].find(([, p]) => typeof p === 'string' && p.length > 0);
  if (prefixed !== undefined)
    throw new InvalidOptionError(
      `${option}.${prefixed[0] as string}`,
      'no key prefix: rxq builds key names inside its scripts, where ioredis cannot add it (put the prefix in the queue name instead)',
      prefixed[1],
    );
  return client as RedisClient;
}
