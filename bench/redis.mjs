// `pnpm bench redis`: each rxq Redis source beside the raw ioredis loop with the same guarantees.
// BENCH_WARMUP (100,000) + N (100,000) ~100-byte JSON messages are preloaded (not timed). Each side
// runs as one consumer in its own child process (so that peak RSS is its own), and the N messages
// after the first BENCH_WARMUP are timed: the throughput of a consumer that is up and running (see
// Meter in lib.mjs). `coldMsgsPerSec` is the rate from connect to the end of the warm-up. The
// machine is shared, so each side runs BENCH_REPEAT times (default 5), interleaved: the best run
// counts for msgsPerSec and ratio, `medianRatio` compares the medians, and `runs` lists every
// run's rate. `cpuUsPerMsg` (CPU time of the consumer process per message in the window, best run)
// is printed too, and `medianCpuUsPerMsg` gives each side's median over the runs, rxq's excess in µs
// (`overUs`) and the ratio. BENCH_N overrides N; BENCH_BIG=1 adds a 1,000,000-message drain of the
// reliable list (timed whole, from connect to stop); BENCH_CASES=stream,simple runs only some cases.
// The latency cases (latencyCase in lib.mjs: 1,000 msg/s for 10 s, publish → handler p50/p99/max)
// put each source beside a blocking raw loop (BLPOP; BLMOVE + LREM; XREADGROUP BLOCK + XACK);
// BENCH_CASES=latency runs only those.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  childFlags,
  cpuMedians,
  drainWithRxq,
  envInt,
  fastest,
  latencyCase,
  measureWarm,
  medianRatio,
  rates,
  report,
  runRxq,
} from './lib.mjs';

const require = createRequire(new URL('../packages/redis/package.json', import.meta.url));
const { Redis } = require('ioredis');
const URL_ = 'redis://127.0.0.1:6379';
const N = envInt('BENCH_N', 100_000);
const REPEAT = envInt('BENCH_REPEAT', 5);
/** Messages each consumer handles before its timed window opens. */
const WARM = Number(process.env.BENCH_WARMUP ?? 100_000);
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

/** The hand-batched raw loop's scripts: `pull` (up to n from the list to processing), `acks` (LREM each). */
function defineRawCommands(r) {
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
}

// ---- consumers (child, timed) ---------------------------------------------------------------------
// Every consumer, rxq (drainWithRxq) or raw, decodes each body and awaits an async no-op handler,
// handles n messages in all and tells `meter` (lib.mjs) what it has finished.
const handler = async () => {};

async function rxq(connector, n, meter) {
  const { fromQueue } = await import('../packages/core/dist/index.js');
  await drainWithRxq(fromQueue(connector, { maxInFlight: 256 }), n, 64, meter);
}

const consumers = {
  async 'rxq-reliable'(key, n, meter) {
    const { redis } = await import('../packages/redis/dist/index.js');
    await rxq(redis(key, { connection: URL_ }), n, meter);
  },
  async 'rxq-simple'(key, n, meter) {
    const { redisSimpleList } = await import('../packages/redis/dist/index.js');
    await rxq(redisSimpleList(key, { connection: URL_ }), n, meter);
  },
  async 'rxq-stream'(key, n, meter) {
    const { redisStream } = await import('../packages/redis/dist/index.js');
    await rxq(redisStream(key, { connection: URL_, group: 'bench' }), n, meter);
  },
  // The naive reliable loop: one BLMOVE, handle, one LREM.
  async 'raw-reliable'(key, n, meter) {
    const r = new Redis(URL_);
    const blk = r.duplicate();
    const proc = `${key}:processing:raw`;
    for (let i = 0; i < n; i++) {
      const v = await blk.blmoveBuffer(key, proc, 'LEFT', 'RIGHT', 1);
      await handler(JSON.parse(v.toString()));
      await r.lrem(proc, 1, v);
      meter.add();
    }
    await Promise.all([r.quit(), blk.quit()]);
  },
  // The same guarantees written by hand with batching: a Lua pull of 256, one Lua LREM batch each.
  async 'raw-reliable-batched'(key, n, meter) {
    const r = new Redis(URL_);
    defineRawCommands(r);
    const proc = `${key}:processing:raw`;
    for (let done = 0; done < n; ) {
      const items = await r.pullBuffer(key, proc, 256);
      for (const v of items) await handler(JSON.parse(v.toString()));
      if (items.length) await r.acks(proc, ...items);
      done += items.length;
      meter.add(items.length);
    }
    await r.quit();
  },
  async 'raw-simple'(key, n, meter) {
    const r = new Redis(URL_);
    for (let done = 0; done < n; ) {
      const items = (await r.lpopBuffer(key, 100)) ?? [];
      for (const v of items) await handler(JSON.parse(v.toString()));
      done += items.length;
      meter.add(items.length);
    }
    await r.quit();
  },
  async 'raw-stream'(key, n, meter) {
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
      meter.add(entries.length);
    }
    await r.quit();
  },
  async bullmq(key, n, meter) {
    const { Worker } = await import('bullmq');
    let count = 0;
    let resolve;
    const finished = new Promise((r) => (resolve = r));
    const worker = new Worker(key, async () => {}, {
      connection: { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null },
      concurrency: 16,
      autorun: false,
    });
    worker.on('completed', () => {
      meter.add();
      if (++count === n) resolve();
    });
    void worker.run();
    await finished;
    await worker.close();
  },
};

async function preloadBull(_kind, key, n) {
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

function child(consumer, key, n, warm) {
  const args = ['--expose-gc', ...childFlags(), here, '--child', consumer, key, String(n), String(warm)];
  const out = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (out.status !== 0) throw new Error(`bench child ${consumer} failed (${out.status})`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

/** A raw blocking loop: `take()` resolves to [body, settle?] or undefined (nothing in time). */
function rawLoop(take) {
  return async (onBody) => {
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        const got = await take();
        if (got === undefined) continue;
        for (const body of got.bodies) await handler(onBody(body));
        await got.settle?.();
      }
    })();
    return async () => {
      stopped = true;
      await loop;
    };
  };
}

async function latency(stem) {
  const { redis, redisSimpleList, redisStream } = await import('../packages/redis/dist/index.js');
  const { fromQueue } = await import('../packages/core/dist/index.js');
  const pub = new Redis(URL_);
  const blk = new Redis(URL_);
  const cmd = new Redis(URL_);
  defineRawCommands(cmd);
  const source = (connector) => fromQueue(connector, { maxInFlight: 256 });
  try {
    const list = `${stem}:lat-simple`;
    await latencyCase('redis simple list', {
      publish: (b) => pub.rpush(list, JSON.stringify(b)),
      rxq: (onBody) => runRxq(source(redisSimpleList(list, { connection: URL_ })), onBody),
      // BLPOP for the first, then LPOP for what else is there (as rxq's simple list does).
      raw: rawLoop(async () => {
        const got = await blk.blpopBuffer(list, 0.2);
        if (!got) return undefined;
        const rest = (await cmd.lpopBuffer(list, 99)) ?? [];
        return { bodies: [got[1], ...rest].map((v) => JSON.parse(v.toString())) };
      }),
    });
    const rel = `${stem}:lat-reliable`;
    const proc = `${rel}:processing:raw`;
    await latencyCase('redis reliable list', {
      publish: (b) => pub.rpush(rel, JSON.stringify(b)),
      rxq: (onBody) => runRxq(source(redis(rel, { connection: URL_ })), onBody),
      // The hand-batched loop: a Lua pull of up to 100, else a BLMOVE of one; one Lua LREM batch.
      raw: rawLoop(async () => {
        let items = await cmd.pullBuffer(rel, proc, 100);
        if (items.length === 0) {
          const v = await blk.blmoveBuffer(rel, proc, 'LEFT', 'RIGHT', 0.2);
          if (!v) return undefined;
          items = [v];
        }
        return { bodies: items.map((v) => JSON.parse(v.toString())), settle: () => cmd.acks(proc, ...items) };
      }),
    });
    const stream = `${stem}:lat-stream`;
    await pub.xgroup('CREATE', stream, 'rxq', '$', 'MKSTREAM');
    await pub.xgroup('CREATE', stream, 'raw', '$');
    await latencyCase('redis stream', {
      publish: (b) => pub.xadd(stream, '*', 'body', JSON.stringify(b)),
      // Each round starts its group at the end of the stream: what came meanwhile is not read.
      rxq: async (onBody) => {
        await pub.xgroup('SETID', stream, 'rxq', '$');
        return runRxq(source(redisStream(stream, { connection: URL_, group: 'rxq' })), onBody);
      },
      raw: async (onBody) => {
        await pub.xgroup('SETID', stream, 'raw', '$');
        return rawLoop(async () => {
          const reply = await blk.xreadgroupBuffer(
            'GROUP',
            'raw',
            'c',
            'COUNT',
            100,
            'BLOCK',
            200,
            'STREAMS',
            stream,
            '>',
          );
          const entries = reply?.[0]?.[1] ?? [];
          if (entries.length === 0) return undefined;
          return {
            bodies: entries.map(([, fields]) => JSON.parse(fields[1].toString())),
            settle: () => cmd.xack(stream, 'raw', ...entries.map(([id]) => id)),
          };
        })(onBody);
      },
    });
  } finally {
    await Promise.all([pub.quit(), blk.quit(), cmd.quit()]);
    await cleanup(`${stem}:lat`);
  }
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
    // One consumer for warm + n messages; the window is the n after the warm-up.
    const total = Number(warm) + Number(n);
    const m = await measureWarm(Number(warm), Number(n), (meter) => consumers[consumer](key, total, meter));
    console.log(JSON.stringify(m));
    process.exit(0);
  }
  const stem = `rxq-bench:${process.pid}`;
  const side = async (kind, consumer, n, warm = WARM) => {
    // BullMQ queue names take no colons.
    const key = consumer === 'bullmq' ? `rxq-bench-${process.pid}-bullmq` : `${stem}:${consumer}`;
    await (consumer === 'bullmq' ? preloadBull : preload)(kind, key, warm + n);
    try {
      return child(consumer, key, n, warm);
    } finally {
      await cleanup(consumer === 'bullmq' ? `bull:${key}` : key);
    }
  };
  const cold = (m, warm) => (warm > 0 ? Math.round(warm / m.coldSeconds) : undefined);
  // rawWarm: the naive reliable loop (7.6k msg/s) is bound by round trips, not by the JIT, and a
  // warm-up of 100,000 would take it 13 s per run: it gets 10,000.
  const compare = async (name, n, kind, rxqConsumer, rawConsumer, rawWarm = WARM) => {
    const rxqRuns = [];
    const rawRuns = [];
    for (let i = 0; i < REPEAT; i++) {
      rxqRuns.push(await side(kind, rxqConsumer, n));
      rawRuns.push(await side(kind, rawConsumer, n, rawWarm));
    }
    const a = fastest(rxqRuns);
    const b = fastest(rawRuns);
    report(name, n, a, b, {
      medianRatio: medianRatio(rxqRuns, rawRuns),
      cpuUsPerMsg: { rxq: a.cpuUsPerMsg, raw: b.cpuUsPerMsg },
      medianCpuUsPerMsg: cpuMedians(rxqRuns, rawRuns),
      coldMsgsPerSec: { rxq: cold(a, WARM), raw: cold(b, rawWarm) },
      warmup: { rxq: WARM, raw: rawWarm },
      runs: { rxq: rates(rxqRuns), raw: rates(rawRuns) },
    });
    return a;
  };
  // BENCH_CASES=stream,simple runs only those (reliable, batched, stream, simple, bullmq, big).
  const only = process.env.BENCH_CASES?.split(',');
  const want = (name) => !only || only.includes(name);
  const rel =
    want('reliable') || want('bullmq')
      ? await compare('reliable list', N, 'list', 'rxq-reliable', 'raw-reliable', Math.min(WARM, 10_000))
      : undefined;
  if (want('batched'))
    await compare('reliable list vs hand-batched raw', N, 'list', 'rxq-reliable', 'raw-reliable-batched');
  if (want('stream')) await compare('stream', N, 'stream', 'rxq-stream', 'raw-stream');
  if (want('simple')) await compare('simple list', N, 'list', 'rxq-simple', 'raw-simple');
  if (rel && want('bullmq')) {
    const bullRuns = [];
    for (let i = 0; i < REPEAT; i++) bullRuns.push(await side('bull', 'bullmq', N));
    const bull = fastest(bullRuns);
    report('reliable list vs bullmq', N, rel, bull, {
      cpuUsPerMsg: { rxq: rel.cpuUsPerMsg, raw: bull.cpuUsPerMsg },
      coldMsgsPerSec: { rxq: cold(rel, WARM), raw: cold(bull, WARM) },
      runs: { bullmq: rates(bullRuns) },
    });
  }
  if (want('latency')) await latency(stem);
  if (process.env.BENCH_BIG === '1' && want('big')) {
    // The drain is timed whole, from connect to the last message.
    const big = await side('list', 'rxq-reliable', BIG, 0);
    const raw = await side('list', 'raw-reliable-batched', BIG, 0);
    report('reliable list, 1M drain (raw: hand-batched)', BIG, big, raw, {
      cpuUsPerMsg: { rxq: big.cpuUsPerMsg, raw: raw.cpuUsPerMsg },
    });
  }
}

await main();
