// `pnpm bench redis`: each rxq Redis source beside the raw ioredis loop with the same guarantees.
// N ~100-byte JSON messages are preloaded (not timed); only the consume phase is timed, each side in
// its own child process so that peak RSS is its own. The machine is shared, so each side runs
// BENCH_REPEAT times (default 3), interleaved, and the best run counts; `cpuUsPerMsg` (CPU time of
// the consumer process per message, best run) is printed too, as it moves less with the load.
// BENCH_N overrides N; BENCH_BIG=1 adds a 1,000,000-message drain of the reliable list. Each
// consumer process first handles BENCH_WARMUP (10,000) messages untimed, rxq and raw alike.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { drainWithRxq, envInt, measure, report } from './lib.mjs';

const require = createRequire(new URL('../packages/redis/package.json', import.meta.url));
const { Redis } = require('ioredis');
const URL_ = 'redis://127.0.0.1:6379';
const N = envInt('BENCH_N', 100_000);
const REPEAT = envInt('BENCH_REPEAT', 3);
/** Messages each consumer process handles, untimed, before its timed run. */
const WARM = Number(process.env.BENCH_WARMUP ?? 10_000);
/** Preloaded beyond n + WARM: a warm-up stops after WARM settlements with more already in flight. */
const SLACK = WARM > 0 ? 2_000 : 0;
const BIG = 1_000_000;
const here = fileURLToPath(import.meta.url);

const body = (i) => {
  const s = JSON.stringify({ id: i, kind: 'order.created', at: 1763800000000 + i, pad: '' });
  return s.replace('"pad":""', `"pad":"${'x'.repeat(Math.max(0, 100 - s.length))}"`);
};

// ---- preload (parent, not timed) ----------------------------------------------------------------
async function preload(kind, key, n) {
  const r = new Redis(URL_);
  await r.del(key, `${key}:dead`, `${key}:delayed`);
  for (let i = 0; i < n; i += 1000) {
    const p = r.pipeline();
    const m = Math.min(1000, n - i);
    if (kind === 'stream') for (let j = 0; j < m; j++) p.xadd(key, '*', 'body', body(i + j));
    else p.rpush(key, ...Array.from({ length: m }, (_, j) => body(i + j)));
    await p.exec();
  }
  if (kind === 'stream') await r.xgroup('CREATE', key, 'bench', '0');
  await r.quit();
}

async function cleanup(key) {
  const r = new Redis(URL_);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${key}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await r.del(...keys);
  } while (cursor !== '0');
  await r.quit();
}

// ---- consumers (child, timed) ---------------------------------------------------------------------
// Every consumer, rxq (drainWithRxq) or raw, decodes each body and awaits an async no-op handler.
const handler = async () => {};

async function rxq(connector, n) {
  const { fromQueue } = await import('../packages/core/dist/index.js');
  await drainWithRxq(fromQueue(connector, { maxInFlight: 256 }), n);
}

const consumers = {
  async 'rxq-reliable'(key, n) {
    const { redis } = await import('../packages/redis/dist/index.js');
    await rxq(redis(key, { connection: URL_ }), n);
  },
  async 'rxq-simple'(key, n) {
    const { redisList } = await import('../packages/redis/dist/index.js');
    await rxq(redisList(key, { connection: URL_ }), n);
  },
  async 'rxq-stream'(key, n) {
    const { redisStream } = await import('../packages/redis/dist/index.js');
    await rxq(redisStream(key, { connection: URL_, group: 'bench' }), n);
  },
  // The naive reliable loop: one BLMOVE, handle, one LREM.
  async 'raw-reliable'(key, n) {
    const r = new Redis(URL_);
    const blk = r.duplicate();
    const proc = `${key}:processing:raw`;
    for (let i = 0; i < n; i++) {
      const v = await blk.blmoveBuffer(key, proc, 'LEFT', 'RIGHT', 1);
      await handler(JSON.parse(v.toString()));
      await r.lrem(proc, 1, v);
    }
    await Promise.all([r.quit(), blk.quit()]);
  },
  // The same guarantees written by hand with batching: a Lua pull of 256, one Lua LREM batch each.
  async 'raw-reliable-batched'(key, n) {
    const r = new Redis(URL_);
    r.defineCommand('pull', {
      numberOfKeys: 2,
      lua: `local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items == 0 then return items end
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('RPUSH', KEYS[2], unpack(items))
return items`,
    });
    r.defineCommand('acks', {
      numberOfKeys: 1,
      lua: `for i = 1, #ARGV do redis.call('LREM', KEYS[1], 1, ARGV[i]) end return #ARGV`,
    });
    const proc = `${key}:processing:raw`;
    for (let done = 0; done < n; ) {
      const items = await r.pullBuffer(key, proc, 256);
      for (const v of items) await handler(JSON.parse(v.toString()));
      if (items.length) await r.acks(proc, ...items);
      done += items.length;
    }
    await r.quit();
  },
  async 'raw-simple'(key, n) {
    const r = new Redis(URL_);
    for (let done = 0; done < n; ) {
      const items = (await r.lpopBuffer(key, 100)) ?? [];
      for (const v of items) await handler(JSON.parse(v.toString()));
      done += items.length;
    }
    await r.quit();
  },
  async 'raw-stream'(key, n) {
    const r = new Redis(URL_);
    for (let done = 0; done < n; ) {
      const reply = await r.xreadgroupBuffer('GROUP', 'bench', 'raw', 'COUNT', 100, 'STREAMS', key, '>');
      const entries = reply?.[0]?.[1] ?? [];
      const ids = [];
      for (const [id, fields] of entries) {
        await handler(JSON.parse(fields[1].toString()));
        ids.push(id);
      }
      if (ids.length) await r.xack(key, 'bench', ...ids);
      done += entries.length;
    }
    await r.quit();
  },
  async bullmq(key, n) {
    const { Worker } = await import('bullmq');
    let count = 0;
    let resolve;
    const finished = new Promise((r) => (resolve = r));
    const worker = new Worker(key, async () => {}, {
      connection: { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null },
      concurrency: 16,
      autorun: false,
    });
    worker.on('completed', () => void (++count === n && resolve()));
    void worker.run();
    await finished;
    await worker.close();
  },
};

async function preloadBull(key, n) {
  const { Queue } = await import('bullmq');
  const queue = new Queue(key, { connection: { host: '127.0.0.1', port: 6379 } });
  for (let i = 0; i < n; i += 1000) {
    const m = Math.min(1000, n - i);
    await queue.addBulk(
      Array.from({ length: m }, (_, j) => ({
        name: 'job',
        data: JSON.parse(body(i + j)),
        opts: { removeOnComplete: true, removeOnFail: true },
      })),
    );
  }
  await queue.close();
}

function child(consumer, key, n) {
  const args = ['--expose-gc', here, '--child', consumer, key, String(n), String(WARM)];
  const out = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (out.status !== 0) throw new Error(`bench child ${consumer} failed (${out.status})`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

async function main() {
  if (process.argv[2] === '--child') {
    const [, , , consumer, key, n, warm] = process.argv;
    // Load the modules before the clock starts.
    await Promise.all([
      import('../packages/core/dist/index.js'),
      import('../packages/redis/dist/index.js'),
      consumer === 'bullmq' ? import('bullmq') : null,
    ]);
    // A consumer runs for hours: time it warm (JIT done), the raw loops exactly like rxq.
    if (Number(warm) > 0) await consumers[consumer](key, Number(warm));
    const cpu = process.cpuUsage();
    const m = await measure(() => consumers[consumer](key, Number(n)));
    const used = process.cpuUsage(cpu);
    const cpuUsPerMsg = Math.round(((used.user + used.system) / Number(n)) * 100) / 100;
    console.log(JSON.stringify({ seconds: m.seconds, peakRssMB: m.peakRssMB, cpuUsPerMsg }));
    process.exit(0);
  }
  const stem = `rxq-bench:${process.pid}`;
  const side = async (kind, consumer, n, load = preload) => {
    const key = `${stem}:${consumer}`;
    await load(kind, key, n + WARM + SLACK);
    try {
      return child(consumer, key, n);
    } finally {
      await cleanup(key);
    }
  };
  const best = (runs) => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const compare = async (name, n, kind, rxqConsumer, rawConsumer, rawRun) => {
    const rxqRuns = [];
    const rawRuns = [];
    for (let i = 0; i < REPEAT; i++) {
      rxqRuns.push(await side(kind, rxqConsumer, n));
      rawRuns.push(rawRun ? await rawRun() : await side(kind, rawConsumer, n));
    }
    const a = best(rxqRuns);
    const b = best(rawRuns);
    report(name, n, a, b, { cpuUsPerMsg: { rxq: a.cpuUsPerMsg, raw: b.cpuUsPerMsg }, runs: REPEAT });
    return a;
  };
  const rel = await compare('reliable list', N, 'list', 'rxq-reliable', 'raw-reliable');
  await compare('reliable list vs hand-batched raw', N, 'list', 'rxq-reliable', 'raw-reliable-batched');
  await compare('stream', N, 'stream', 'rxq-stream', 'raw-stream');
  await compare('simple list', N, 'list', 'rxq-simple', 'raw-simple');
  const bullName = `rxq-bench-${process.pid}-bullmq`;
  const bullRun = async () => {
    await preloadBull(bullName, N + WARM + SLACK);
    try {
      return child('bullmq', bullName, N);
    } finally {
      await cleanup(`bull:${bullName}`);
    }
  };
  const bullRuns = [];
  for (let i = 0; i < REPEAT; i++) bullRuns.push(await bullRun());
  const bull = best(bullRuns);
  report('reliable list vs bullmq', N, rel, bull, {
    cpuUsPerMsg: { rxq: rel.cpuUsPerMsg, raw: bull.cpuUsPerMsg },
    runs: REPEAT,
  });
  if (process.env.BENCH_BIG === '1') {
    const big = await side('list', 'rxq-reliable', BIG);
    const raw = await side('list', 'raw-reliable-batched', BIG);
    report('reliable list, 1M drain (raw: hand-batched)', BIG, big, raw, {
      cpuUsPerMsg: { rxq: big.cpuUsPerMsg, raw: raw.cpuUsPerMsg },
    });
  }
}

await main();
