// One consumer process of the runner case of `pnpm bench workers`: the CPU-bound handler on a
// Redis reliable list, counting each handled message in `${LIST}:count`; drains on SIGTERM.
import { ack, fromQueue, handle, shutdownSignal } from '@rxq/core';
import { redis } from '@rxq/redis';
import { createRequire } from 'node:module';
import { cpu } from './workers-handler.mjs';

// ioredis is @rxq/redis's dependency, not the workspace root's.
const { Redis } = createRequire(new URL('../packages/redis/package.json', import.meta.url))('ioredis');

const { LIST } = process.env;
const url = 'redis://127.0.0.1:6379';
const client = new Redis(url);
fromQueue(redis(LIST, { connection: url, blockMs: 100 }), { maxInFlight: 32, stop: shutdownSignal() })
  .pipe(
    handle(
      (m) => {
        cpu(m);
        return client.incr(`${LIST}:count`);
      },
      { concurrency: 4 },
    ),
    ack(),
  )
  .subscribe({ complete: () => void client.quit().then(() => process.exit(0)) });
console.log('ready');
