// `pnpm bench redis-cluster`: rxq on the local Redis Cluster (scripts/cluster.d/redis.sh: three
// masters with a replica each, on this machine), two figures.
//
// 1. Throughput with 1, 2 and 4 consumer processes (reliable list). Two layouts:
//    - spread: four queues whose slots fall on the three masters (two share one), BENCH_N messages
//      in all; each process consumes its share of the queues (1 process: all four merged; 2: two
//      each; 4: one each).
//    - one queue: BENCH_N messages in one queue, every process consumes it (one slot is one master).
//    Messages are ~100-byte JSON, preloaded (not timed); each process runs `fromQueue(source,
//    { maxInFlight: 256 })` → `handle(async () => {}, { concurrency: 64 })` → `ack()`, as in
//    `pnpm bench redis`. Timed from the moment every process is connected (its source opened) and
//    told to go, to the moment the processes together have handled BENCH_N. BENCH_REPEAT rounds
//    (default 3), interleaved; the median and every round are printed.
// 2. Failover: one consumer process on a queue (reliable list, then a stream) fed by a producer
//    in this process (a message every 5 ms, retried until the cluster takes it); the queue's master
//    is SIGKILLed; printed: the time until the replica serves the slot, and until the consumer
//    handled the first message published after the kill. BENCH_FAILOVERS rounds (default 3) each;
//    the killed node is restarted (and the cluster whole again) between rounds.
import { fork, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { envInt, median } from './lib.mjs';

const require = createRequire(new URL('../packages/redis/package.json', import.meta.url));
const { Cluster, Redis } = require('ioredis');
const here = fileURLToPath(import.meta.url);
const SCRIPT = fileURLToPath(new URL('../scripts/cluster.d/redis.sh', import.meta.url));
const DATA_DIR = process.env.RXQ_REDIS_CLUSTER_DIR ?? '/tmp/rxq-redis-cluster';
const PORTS = [7001, 7002, 7003, 7004, 7005, 7006];
const NODES = [{ host: '127.0.0.1', port: 7001 }];
const N = envInt('BENCH_N', 200_000);
const REPEAT = envInt('BENCH_REPEAT', 3);
const FAILOVERS = envInt('BENCH_FAILOVERS', 3);

const body = (i) => {
  const s = JSON.stringify({ id: i, kind: 'order.created', at: 1763800000000 + i, pad: '' });
  return s.replace('"pad":""', `"pad":"${'x'.repeat(Math.max(0, 100 - s.length))}"`);
};

// ---- child: one consumer process --------------------------------------------------------------------
// argv: child <mode: reliable|stream> <queues, comma-separated> <report: count|each>
async function child([mode, queues, reportMode]) {
  const { ack, fromQueue, handle } = await import('@rxq/core');
  const { redis, redisStream } = await import('@rxq/redis');
  const { merge } = await import('rxjs');
  const connection = new Cluster(NODES);
  const sources = queues
    .split(',')
    .map((q) =>
      fromQueue(
        mode === 'stream'
          ? redisStream(q, { group: 'bench', connection, blockMs: 200, minIdleMs: 2_000 })
          : redis(q, { connection, blockMs: 200, consumerTtlMs: 3_000 }),
        { maxInFlight: 256, reconnect: { initialMs: 50, maxMs: 500 } },
      ),
    );
  // Subscribed at once (a source connects when subscribed); handlers wait for `go`, so that what
  // the first reads bring (at most maxInFlight per source) is handled inside the timed window.
  let go;
  const started = new Promise((r) => (go = r));
  let connected = 0;
  for (const s of sources)
    s.status$.subscribe((e) => {
      if (e.status === 'connected' && ++connected === sources.length) process.send({ ready: true });
    });
  let count = 0;
  let reported = 0;
  const timer = setInterval(() => {
    if (count !== reported) process.send({ count: (reported = count) });
  }, 50);
  merge(...sources)
    .pipe(
      handle(
        async (m) => {
          await started;
          if (reportMode === 'each') process.send({ n: m.body.n, at: Date.now() });
        },
        { concurrency: 64 },
      ),
      ack(),
    )
    .subscribe({ next: () => count++, error: (e) => (console.error(e), process.exit(1)) });
  process.on('message', async (m) => {
    if (m === 'go') go();
    if (m !== 'stop') return;
    clearInterval(timer);
    await Promise.all(sources.map((s) => s.stop()));
    await connection.quit();
    process.exit(0);
  });
}

// ---- parent ------------------------------------------------------------------------------------------
async function masterOf(key) {
  for (const port of PORTS) {
    const node = new Redis({ port, lazyConnect: true, retryStrategy: () => null });
    try {
      await node.connect();
      const slot = await node.cluster('KEYSLOT', key);
      const range = (await node.cluster('SLOTS')).find(([a, b]) => slot >= a && slot <= b);
      if (range) return range[2][1];
    } catch {
      // down: ask the next node
    } finally {
      node.disconnect();
    }
  }
  throw new Error(`no master for ${key}`);
}

/** Queue names: `count` of them, round-robin over the three masters. */
async function spreadNames(stem, count) {
  const byMaster = new Map();
  let i = 0;
  while ([...byMaster.values()].reduce((a, l) => a + l.length, 0) < count) {
    const name = `${stem}-${i++}`;
    const m = await masterOf(name);
    const list = byMaster.get(m) ?? [];
    const least = Math.min(...[...byMaster.values()].map((l) => l.length), byMaster.size < 3 ? 0 : Infinity);
    if (list.length <= least) byMaster.set(m, [...list, name]);
  }
  return [...byMaster.values()].flat();
}

async function preload(cluster, queues, total) {
  const per = Math.ceil(total / queues.length);
  for (const [k, q] of queues.entries())
    for (let i = 0; i < per; i += 1000) {
      const m = Math.min(1000, per - i);
      await cluster.rpush(q, ...Array.from({ length: m }, (_, j) => body(k * per + i + j)));
    }
  return per * queues.length;
}

async function cleanup(cluster, names) {
  for (const node of cluster.nodes('master'))
    for (const q of names)
      for (const match of [q, `{${q}}*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
          cursor = next;
          for (const k of keys) await cluster.del(k);
        } while (cursor !== '0');
      }
}

function start(mode, queues, report) {
  const p = fork(here, ['child', mode, queues.join(','), report], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  p.ready = once(p, 'message');
  return p;
}

/** One throughput round: `processes` consumers over `plan(processes)` (queue lists); seconds to drain. */
async function round(cluster, queues, processes, assign) {
  const total = await preload(cluster, queues, N);
  const children = assign(queues, processes).map((qs) => start('reliable', qs, 'count'));
  await Promise.all(children.map((c) => c.ready));
  const counts = new Map();
  let done;
  const finished = new Promise((r) => (done = r));
  for (const c of children)
    c.on('message', (m) => {
      if (m.count === undefined) return;
      counts.set(c.pid, m.count);
      if ([...counts.values()].reduce((a, b) => a + b, 0) >= total) done();
    });
  const t0 = performance.now();
  for (const c of children) c.send('go');
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(children.map((c) => (c.send('stop'), once(c, 'exit'))));
  await cleanup(cluster, queues);
  return Math.round(total / seconds);
}

const byShare = (queues, p) => Array.from({ length: p }, (_, i) => queues.filter((_, k) => k % p === i));
const allOnOne = (queues, p) => Array.from({ length: p }, () => queues);

async function throughput(cluster) {
  const stem = `rxq-bench-cluster-${Date.now().toString(36)}`;
  const spread = await spreadNames(`${stem}-spread`, 4);
  const masters = await Promise.all(spread.map(masterOf));
  console.error(`spread queues on masters ${masters.join(', ')}`);
  for (const [layout, queues, assign] of [
    ['spread (4 queues over 3 masters)', spread, byShare],
    ['one queue', [`${stem}-one`], allOnOne],
  ]) {
    const runs = { 1: [], 2: [], 4: [] };
    for (let r = 0; r < REPEAT; r++)
      for (const p of [1, 2, 4]) {
        runs[p].push(await round(cluster, queues, p, assign));
        console.error(`${layout}, ${p} process(es), round ${r + 1}: ${runs[p].at(-1)} msg/s`);
      }
    for (const p of [1, 2, 4])
      console.log(
        JSON.stringify({
          case: `redis cluster throughput, ${layout}`,
          processes: p,
          n: N,
          medianMsgsPerSec: median(runs[p]),
          runs: runs[p],
        }),
      );
  }
}

async function failover(cluster, mode) {
  const results = [];
  for (let r = 0; r < FAILOVERS; r++) {
    const q = `rxq-bench-failover-${Date.now().toString(36)}`;
    const master = await masterOf(q);
    if (mode === 'stream') await cluster.xgroup('CREATE', q, 'bench', '$', 'MKSTREAM');
    const c = start(mode, [q], 'each');
    await c.ready;
    c.send('go');
    let n = 0;
    let killedAt = 0;
    let firstAfter;
    const got = new Promise((resolve) =>
      c.on('message', (m) => {
        if (m.n !== undefined && killedAt > 0 && m.n >= firstAfter) resolve(m.at);
      }),
    );
    let producing = true;
    const producer = (async () => {
      while (producing) {
        const b = JSON.stringify({ n });
        try {
          if (mode === 'stream') await cluster.xadd(q, '*', 'body', b);
          else await cluster.rpush(q, b);
          n++;
        } catch {
          // the cluster is failing over: the same message again
        }
        await new Promise((res) => setTimeout(res, 5));
      }
    })();
    await new Promise((res) => setTimeout(res, 1_000));
    const pid = Number(readFileSync(`${DATA_DIR}/${master}/redis.pid`, 'utf8').trim());
    firstAfter = n + 1; // published after the kill
    killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    let promotedAt = 0;
    while ((await masterOf(q).catch(() => master)) === master) await new Promise((res) => setTimeout(res, 20));
    promotedAt = Date.now();
    const firstAt = await got;
    producing = false;
    await producer;
    c.send('stop');
    await once(c, 'exit');
    results.push({ promotedMs: promotedAt - killedAt, firstMessageMs: firstAt - killedAt });
    console.error(
      `failover ${mode}, round ${r + 1}: replica serving after ${promotedAt - killedAt} ms, first message after ${firstAt - killedAt} ms`,
    );
    spawnSync('bash', [SCRIPT, 'start'], { stdio: 'inherit' });
    await cleanup(cluster, [q]);
  }
  console.log(
    JSON.stringify({
      case: `redis cluster failover (${mode}): master SIGKILLed, time to the first message published after it`,
      medianPromotedMs: median(results.map((x) => x.promotedMs)),
      medianFirstMessageMs: median(results.map((x) => x.firstMessageMs)),
      runs: results,
    }),
  );
}

async function main() {
  const cluster = new Cluster(NODES);
  try {
    const only = process.env.BENCH_CASES?.split(',');
    if (!only || only.includes('throughput')) await throughput(cluster);
    if (!only || only.includes('failover')) {
      await failover(cluster, 'reliable');
      await failover(cluster, 'stream');
    }
  } finally {
    await cluster.quit();
  }
}

if (process.argv[2] === 'child') await child(process.argv.slice(3));
else await main();
