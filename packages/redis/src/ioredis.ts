import type { Redis, RedisOptions } from 'ioredis';
import * as ioredis from 'ioredis';

interface RedisConstructor {
  new (url: string, options: RedisOptions): Redis;
  new (options: RedisOptions): Redis;
}

/**
 * The client class of whichever ioredis the app installed: a named export where Node can see it
 * (5.x late versions, 6.x), else the CommonJS `module.exports`, which is the class itself (5.0).
 */
const namespace = ioredis as unknown as {
  Redis?: RedisConstructor;
  default?: RedisConstructor | { Redis?: RedisConstructor };
};
const fallback = namespace.default;
export const RedisClient: RedisConstructor =
  namespace.Redis ?? (typeof fallback === 'function' ? fallback : (fallback?.Redis as RedisConstructor));

/** A client rxq makes (and closes) from a URL. */
export function createClient(url: string, options: RedisOptions): Redis {
  return new RedisClient(url, options);
}

/** A client rxq makes (and closes) to one node of a Redis Cluster (host, port and the node options). */
export function createNodeClient(options: RedisOptions): Redis {
  return new RedisClient(options);
}
