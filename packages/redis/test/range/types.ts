// Compiled by scripts/redis-range.sh in a scratch app against each end of the ioredis range: the
// app's own client is accepted by type (not by class identity), and the codec gives the body type.
import { fromQueue, text, type Connector } from '@rxq/core';
import { publish, publishToStream, redis, redisStream, type ListDelivery } from '@rxq/redis';
import type * as ioredis from 'ioredis';

// ioredis 5.0 types the client class as the default export only (under Node's module resolution a
// CommonJS default is `module.exports`, hence `default.default`); later versions also as `Redis`.
type Ctor<R> = abstract new (...args: never[]) => R;
type ClientOf<M> = M extends { Redis: Ctor<infer R> }
  ? R
  : M extends { default: Ctor<infer R> }
    ? R
    : M extends { default: { default: Ctor<infer R> } }
      ? R
      : never;
declare const client: ClientOf<typeof ioredis>;
const typed: Connector<ListDelivery, string> = redis('q', { connection: client, codec: text });
export const source = fromQueue<string>(typed);
export const stream = redisStream('s', { group: 'g', connection: client });
export const sent: Promise<number> = publish(client, 'q', 'a string', { codec: text });
export const added: Promise<string> = publishToStream('redis://127.0.0.1:6379', 's', { any: 'json' });
// @ts-expect-error the text codec takes strings only
export const wrong = publish(client, 'q', 42, { codec: text });
// The client type was found (were it `never`, every assignment above would pass trivially).
export const found: [typeof client] extends [never] ? 'not found' : 'found' = 'found';
