// A smoke test of the packed @rxq/redis against whatever ioredis version is installed beside it
// (scripts/redis-range.sh installs each end of the peer range): the app's own client passed in and
// left open, the three sources, the publish helpers, and a wrong password that errors at once.
// Exits non-zero on the first failure. Uses keys `rxq-range:*` of its own and an ACL user it deletes.
import { AuthenticationError, fromQueue } from '@rxq/core';
import { publish, publishMany, publishToStream, redis, redisSimpleList, redisStream } from '@rxq/redis';
import ioredis from 'ioredis';
import { createRequire } from 'node:module';
import { firstValueFrom, take, toArray } from 'rxjs';

const require = createRequire(import.meta.url);
// ioredis 5.0 exposes no named ESM exports; its module.exports is the client class.
const Redis = ioredis.Redis ?? ioredis;
const version = require('ioredis/package.json').version;
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const stem = `rxq-range:${version}:${Date.now().toString(36)}`;
const app = new Redis(url);
const check = (ok, what) => {
  if (!ok) throw new Error(`ioredis ${version}: ${what}`);
  console.log(`ok  ${what}`);
};

async function take2(connector) {
  const source = fromQueue(connector);
  const got = await firstValueFrom(source.pipe(take(2), toArray()));
  await Promise.all(got.map((m) => m.ack()));
  await source.stop();
  return got.map((m) => m.body.n);
}

const user = `rxq-range-${process.pid}`;
try {
  await publishMany(app, `${stem}:r`, [{ n: 1 }, { n: 2 }]);
  check(
    (await take2(redis(`${stem}:r`, { connection: app, blockMs: 100 }))).join() === '1,2',
    'reliable list on the app client',
  );
  await publish(url, `${stem}:s`, { n: 3 });
  await publish(app, `${stem}:s`, { n: 4 }, { headers: { tenant: 'acme' } });
  check((await take2(redisSimpleList(`${stem}:s`, { connection: app, blockMs: 100 }))).join() === '3,4', 'simple list');
  await publishToStream(app, `${stem}:x`, { n: 5 });
  await publishToStream(url, `${stem}:x`, { n: 6 });
  check(
    (await take2(redisStream(`${stem}:x`, { group: 'g', connection: app, blockMs: 100 }))).join() === '5,6',
    'stream',
  );
  check(app.status === 'ready', 'the app client is left open');

  await app.call('ACL', 'SETUSER', user, 'on', '>right', `~${stem}:*`, '+@all');
  const wrongUrl = url.replace('redis://', `redis://${user}:wrong@`);
  const error = await firstValueFrom(fromQueue(redis(`${stem}:w`, { connection: wrongUrl }))).then(
    () => undefined,
    (e) => e,
  );
  check(
    error instanceof AuthenticationError && !JSON.stringify(error).includes('wrong'),
    'a wrong password is an AuthenticationError',
  );
  const wrongClient = new Redis(wrongUrl, { lazyConnect: true });
  wrongClient.on('error', () => undefined);
  const error2 = await firstValueFrom(fromQueue(redis(`${stem}:w`, { connection: wrongClient }))).then(
    () => undefined,
    (e) => e,
  );
  wrongClient.disconnect();
  check(error2 instanceof AuthenticationError, 'a passed client with a wrong password: AuthenticationError');
} finally {
  await app.call('ACL', 'DELUSER', user).catch(() => undefined);
  const keys = await app.keys(`${stem}*`);
  if (keys.length > 0) await app.del(...keys);
  await app.quit();
}
