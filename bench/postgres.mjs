// `pnpm bench postgres`: @rxq/postgres beside pg-boss 10.4.2 and graphile-worker 0.17.3 on the same
// PostgreSQL (127.0.0.1:5432, database test), same work: N (100,000) ~100-byte JSON messages
// preloaded (not timed), one consumer process per side, an async no-op handler, at-least-once (each
// job is completed/acked in the database). The first BENCH_WARMUP (10,000) of warm + N messages are
// not timed (a consumer that is up and running; see Meter in lib.mjs). Each side runs BENCH_REPEAT
// times (default 1), interleaved; the best run counts.
//
// Settings, each side's best documented for throughput:
// - rxq: pgQueue defaults, fromQueue maxInFlight 256, handle concurrency 64 (drainWithRxq).
// - pg-boss: work() with batchSize 500, pollingIntervalSeconds 0.5 (its minimum), 4 work() calls
//   for concurrency (v10 has no teamSize), default pool (max 10). Jobs completed per batch.
//   (BENCH_PGBOSS_BATCH / BENCH_PGBOSS_WORKERS change them: 2,000 × 8 measured the same rate.)
// - graphile-worker: concurrency 64, preset.worker.localQueue.size 500 (batch fetch),
//   completeJobBatchDelay 0 (batched completions), maxPoolSize 10; see its "performance" page.
//
// Then: a topic log of N read by 4 subscribers at once (one process), msg/s per subscriber and in
// total; the queue's latency case (latencyCase in lib.mjs: publish → handler at 1,000 msg/s for 10
// s, p50/p99/max, rxq beside a raw `pg` consumer in the same process, BENCH_LATENCY=0 skips it) and
// the topic's publish -> handler latency at 1,000 msg/s for 3 s (rxq only), p50/p99. BENCH_BIG=1
// adds a 1,000,000-message queue drain with peak RSS and peak in-flight. BENCH_CASES=queue,topic,
// latency,big picks cases.
//
// The latency case: both sides read a queue of their own in rxq's `jobs` table (one schema, one
// NOTIFY channel, the payload naming the queue), their claims and deletes with synchronous_commit
// off (rxq's default for its own statements). The bodies are published with `publishMany` from the
// same process, what is due every 5 ms in one transaction (with NOTIFY; the publisher's pool runs
// with synchronous_commit off, so the disk's flush time is not what is measured).
//   rxq: pgQueue defaults (pollMs 1,000), fromQueue maxInFlight 256, handle concurrency 64, ack
//   raw: one connection LISTENs (a NOTIFY naming the queue wakes the loop; else it looks again after
//        1 s); another loops BEGIN; DELETE ... WHERE id IN (SELECT id ... ORDER BY run_at, id LIMIT
//        256 FOR UPDATE SKIP LOCKED) RETURNING payload; handle each (JSON.parse, the handler);
//        COMMIT. At-least-once like rxq: a crash before COMMIT leaves the rows in the table.
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
  measure,
  measureWarm,
  rates,
  report,
  runRxq,
} from './lib.mjs';

const require = createRequire(new URL('../packages/postgres/package.json', import.meta.url));
const pg = require('pg');
const URL_ = process.env.RXQ_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const N = envInt('BENCH_N', 100_000);
const REPEAT = envInt('BENCH_REPEAT', 1);
const WARM = Number(process.env.BENCH_WARMUP ?? 10_000);
const BIG = 1_000_000;
/** pg-boss waits out its polling interval after every batch: its rate is about workers × batch / 0.5 s. */
const PGBOSS_BATCH = envInt('BENCH_PGBOSS_BATCH', 500);
const PGBOSS_WORKERS = envInt('BENCH_PGBOSS_WORKERS', 4);
const here = fileURLToPath(import.meta.url);
const tag = `${process.pid}`;

const body = (i) => {
  const s = JSON.stringify({ id: i, kind: 'order.created', at: 1763800000000 + i, pad: '' });
  return JSON.parse(s.replace('"pad":""', `"pad":"${'x'.repeat(Math.max(0, 100 - s.length))}"`));
};
const handler = async () => {};

async function withPool(fn) {
  const pool = new pg.Pool({ connectionString: URL_, max: 2 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

// ---- preload (parent, not timed) ----------------------------------------------------------------
const preload = {
  async rxq(schema, n) {
    const { migrate, publishMany } = await import('../packages/postgres/dist/index.js');
    await withPool(async (pool) => {
      await migrate({ connection: pool, schema });
      for (let i = 0; i < n; i += 5_000)
        await publishMany(
          pool,
          'bench',
          Array.from({ length: Math.min(5_000, n - i) }, (_, j) => body(i + j)),
          { schema },
        );
      await pool.query(`VACUUM ANALYZE "${schema}".jobs`);
    });
  },
  async pgboss(schema, n) {
    const { default: PgBoss } = await import(require.resolve('pg-boss'));
    const boss = new PgBoss({ connectionString: URL_, schema, supervise: false, schedule: false });
    boss.on('error', () => undefined);
    await boss.start();
    await boss.createQueue('bench');
    for (let i = 0; i < n; i += 5_000)
      await boss.insert(
        Array.from({ length: Math.min(5_000, n - i) }, (_, j) => ({ name: 'bench', data: body(i + j) })),
      );
    await boss.stop({ graceful: false, wait: true });
  },
  async graphile(schema, n) {
    const { makeWorkerUtils } = await import(require.resolve('graphile-worker'));
    const utils = await makeWorkerUtils({ connectionString: URL_, schema });
    await utils.migrate();
    for (let i = 0; i < n; i += 5_000)
      await utils.addJobs(
        Array.from({ length: Math.min(5_000, n - i) }, (_, j) => ({ identifier: 'bench', payload: body(i + j) })),
      );
    await utils.release();
  },
};

// ---- consumers (child, timed) ---------------------------------------------------------------------
const consumers = {
  async rxq(schema, n, meter) {
    const { fromQueue } = await import('../packages/core/dist/index.js');
    const { pgQueue } = await import('../packages/postgres/dist/index.js');
    await drainWithRxq(
      fromQueue(pgQueue('bench', { connection: URL_, schema, migrate: false }), { maxInFlight: 256 }),
      n,
      64,
      meter,
    );
  },
  async pgboss(schema, n, meter) {
    const { default: PgBoss } = await import(require.resolve('pg-boss'));
    const boss = new PgBoss({ connectionString: URL_, schema, supervise: false, schedule: false, migrate: false });
    boss.on('error', () => undefined);
    await boss.start();
    let count = 0;
    let resolve;
    const finished = new Promise((r) => (resolve = r));
    const work = async (jobs) => {
      for (const job of jobs) await handler(job.data);
      meter.add(jobs.length);
      count += jobs.length;
      if (count >= n) resolve();
    };
    for (let i = 0; i < PGBOSS_WORKERS; i++)
      await boss.work('bench', { batchSize: PGBOSS_BATCH, pollingIntervalSeconds: 0.5 }, work);
    await finished;
    // Let the last batch's completion reach the database before stopping.
    await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  },
  async graphile(schema, n, meter) {
    const { run, Logger } = await import(require.resolve('graphile-worker'));
    let count = 0;
    let resolve;
    const finished = new Promise((r) => (resolve = r));
    const runner = await run({
      connectionString: URL_,
      schema,
      concurrency: 64,
      maxPoolSize: 10,
      noHandleSignals: true,
      pollInterval: 500,
      logger: new Logger(() => () => {}),
      taskList: { bench: async (payload) => handler(payload) },
      preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0 } },
    });
    runner.events.on('job:success', () => {
      meter.add();
      if (++count === n) resolve();
    });
    await finished;
    await runner.stop();
  },
};

function child(args) {
  const out = spawnSync(process.execPath, ['--expose-gc', ...childFlags(), here, '--child', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (out.status !== 0) throw new Error(`bench child ${args[0]} failed (${out.status})`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

async function dropSchema(schema) {
  await withPool((pool) => pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}

async function side(consumer, n, warm = WARM) {
  const schema = `bench_${consumer}_${tag}`;
  await dropSchema(schema);
  await preload[consumer](schema, warm + n);
  try {
    return child(['queue', consumer, schema, String(n), String(warm)]);
  } finally {
    await dropSchema(schema);
  }
}

// ---- topic: 4 subscribers at once ----------------------------------------------------------------
async function topicChild(schema, n) {
  const { fromQueue } = await import('../packages/core/dist/index.js');
  const { pgTopic } = await import('../packages/postgres/dist/index.js');
  const subs = ['a', 'b', 'c', 'd'];
  const started = performance.now();
  const m = await measure(() =>
    Promise.all(
      subs.map(async (subscriber) => {
        const source = fromQueue(
          pgTopic('bench', { subscriber, start: 'beginning', connection: URL_, schema, migrate: false }),
          {
            maxInFlight: 256,
          },
        );
        await drainWithRxq(source, n, 64);
        return (performance.now() - started) / 1000;
      }),
    ),
  );
  return {
    perSubscriber: m.result.map((s) => Math.round(n / s)),
    total: Math.round((n * subs.length) / m.seconds),
    peakRssMB: m.peakRssMB,
  };
}

// ---- the topic's latency at a steady publish rate (rxq only) ---------------------------------
// A publisher sends `rate` single-message transactions a second for 3 s (32 connections), each
// body stamped before its publish; the handler records now - stamp (publish -> handler) and now -
// commit (commit -> handler: rxq's own part). With `asyncCommit` the publisher's connections use
// synchronous_commit = off: NOTIFY serialises committing transactions under one lock, so a
// publisher that waits for each fsync is bound by the disk, not by rxq.
async function latency(kind, rate, asyncCommit) {
  const { fromQueue, ack, handle } = await import('../packages/core/dist/index.js');
  const { migrate, pgQueue, pgTopic, publish, publishTopic } = await import('../packages/postgres/dist/index.js');
  const schema = `bench_lat_${tag}`;
  const pool = new pg.Pool({
    connectionString: URL_,
    max: 32,
    ...(asyncCommit ? { options: '-c synchronous_commit=off' } : {}),
  });
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await migrate({ connection: pool, schema });
  const total = rate * 3;
  const fromStamp = [];
  const fromCommit = [];
  const committed = new Map();
  const connector =
    kind === 'queue'
      ? pgQueue('lat', { connection: URL_, schema, migrate: false })
      : pgTopic('lat', { subscriber: 's', connection: URL_, schema, migrate: false });
  const source = fromQueue(connector, { maxInFlight: 256 });
  const done = new Promise((resolve) =>
    source
      .pipe(
        handle(
          async (m) => {
            const now = performance.now();
            fromStamp.push(now - m.body.t);
            const c = committed.get(m.body.i);
            if (c !== undefined) fromCommit.push(now - c);
            if (fromStamp.length === total) resolve();
          },
          { concurrency: 64 },
        ),
        ack(),
      )
      .subscribe(),
  );
  await new Promise((r) => setTimeout(r, 500));
  const t0 = performance.now();
  const step = 1000 / rate;
  for (let i = 0; i < total; i++) {
    const wait = t0 + i * step - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const b = { i, t: performance.now() };
    void (kind === 'queue' ? publish(pool, 'lat', b, { schema }) : publishTopic(pool, 'lat', b, { schema })).then(() =>
      committed.set(i, performance.now()),
    );
  }
  const sent = Math.round(total / ((performance.now() - t0) / 1000));
  await done;
  await source.stop();
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
  const q = (a, p) => {
    a.sort((x, y) => x - y);
    return Math.round(a[Math.min(a.length - 1, Math.floor(p * a.length))] * 10) / 10;
  };
  return {
    case: `${kind} latency at ${rate} msg/s${asyncCommit ? ' (publisher synchronous_commit off)' : ''}`,
    published: total,
    sentPerSec: sent,
    publishToHandler: { p50Ms: q(fromStamp, 0.5), p99Ms: q(fromStamp, 0.99) },
    commitToHandler: { p50Ms: q(fromCommit, 0.5), p99Ms: q(fromCommit, 0.99) },
  };
}

// ---- the queue's latency case: rxq beside a hand-written pg consumer ----------------------------
const RAW_CLAIM = 256;

/** The obvious hand-written consumer of `queue` in rxq's `jobs` table; resolves to a stop function. */
async function rawConsumer(schema, queue, onBody) {
  const s = `"${schema}"`;
  const listener = new pg.Client({ connectionString: URL_ });
  const worker = new pg.Client({ connectionString: URL_, options: '-c synchronous_commit=off' });
  await listener.connect();
  await worker.connect();
  let notified = false;
  let wake;
  let running = true;
  listener.on('notification', (n) => {
    if (n.payload !== queue) return;
    notified = true;
    wake?.();
  });
  await listener.query(`LISTEN "rxq_${schema}"`);
  const handler = async (body) => onBody(body);
  const loop = (async () => {
    while (running) {
      notified = false;
      await worker.query('BEGIN');
      const { rows } = await worker.query(
        `DELETE FROM ${s}.jobs WHERE id IN (
           SELECT id FROM ${s}.jobs
           WHERE queue = $1 AND run_at <= now() AND (locked_until IS NULL OR locked_until <= now())
           ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING payload`,
        [queue, RAW_CLAIM],
      );
      await Promise.all(rows.map((r) => handler(JSON.parse(r.payload.toString()))));
      await worker.query('COMMIT');
      if (rows.length > 0 || notified || !running) continue;
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1_000);
      });
      wake = undefined;
    }
  })();
  return async () => {
    running = false;
    wake?.();
    await loop;
    await listener.end();
    await worker.end();
  };
}

async function queueLatency() {
  const { fromQueue } = await import('../packages/core/dist/index.js');
  const { migrate, pgQueue, publishMany } = await import('../packages/postgres/dist/index.js');
  const schema = `bench_latq_${tag}`;
  const pool = new pg.Pool({ connectionString: URL_, max: 4, options: '-c synchronous_commit=off' });
  try {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await migrate({ connection: pool, schema });
    // Each round's bodies go to the queue of the side that runs.
    let queue = 'lat-rxq';
    const send = (bodies) => publishMany(pool, queue, bodies, { schema });
    await latencyCase('postgres queue', {
      publish: (b) => send([b]),
      publishBatch: send,
      rxq: (onBody) => {
        queue = 'lat-rxq';
        return runRxq(
          fromQueue(pgQueue('lat-rxq', { connection: URL_, schema, migrate: false }), { maxInFlight: 256 }),
          onBody,
        );
      },
      raw: (onBody) => {
        queue = 'lat-raw';
        return rawConsumer(schema, 'lat-raw', onBody);
      },
      extra: { publisher: 'publishMany per 5 ms tick, synchronous_commit off', rawClaim: RAW_CLAIM },
    });
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

// ---- 1M drain ---------------------------------------------------------------------------------------
async function bigChild(schema) {
  const { fromQueue } = await import('../packages/core/dist/index.js');
  const { pgQueue } = await import('../packages/postgres/dist/index.js');
  const source = fromQueue(pgQueue('bench', { connection: URL_, schema, migrate: false }), { maxInFlight: 256 });
  const m = await measure(() => drainWithRxq(source, BIG, 64));
  return { seconds: m.seconds, peakRssMB: m.peakRssMB, peakInFlight: source.metrics.snapshot().peakInFlight };
}

async function main() {
  if (process.argv[2] === '--child') {
    const [, , , what, ...rest] = process.argv;
    await Promise.all([import('../packages/core/dist/index.js'), import('../packages/postgres/dist/index.js')]);
    let result;
    if (what === 'queue') {
      const [consumer, schema, n, warm] = rest;
      const total = Number(warm) + Number(n);
      result = await measureWarm(Number(warm), Number(n), (meter) => consumers[consumer](schema, total, meter));
    } else if (what === 'topic') result = await topicChild(rest[0], Number(rest[1]));
    else if (what === 'latency') result = await latency(rest[0], Number(rest[1]), rest[2] === 'async');
    else if (what === 'big') result = await bigChild(rest[0]);
    console.log(JSON.stringify(result));
    process.exit(0);
  }
  const only = process.env.BENCH_CASES?.split(',');
  const want = (name) => !only || only.includes(name);
  if (want('queue')) {
    const sides = process.env.BENCH_SIDES?.split(',') ?? ['rxq', 'pgboss', 'graphile'];
    const runs = Object.fromEntries(sides.map((side) => [side, []]));
    for (let i = 0; i < REPEAT; i++) for (const c of Object.keys(runs)) runs[c].push(await side(c, N));
    const best = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, fastest(v)]));
    const runsOf = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, rates(v)]));
    console.log(
      JSON.stringify({
        case: 'work queue runs (msg/s)',
        n: N,
        runs: runsOf,
        pgboss: { batchSize: PGBOSS_BATCH, workers: PGBOSS_WORKERS },
      }),
    );
    if (best.rxq && best.pgboss)
      report('work queue vs pg-boss', N, best.rxq, best.pgboss, {
        runs: runsOf,
        cpuUsPerMsg: { rxq: best.rxq.cpuUsPerMsg, raw: best.pgboss.cpuUsPerMsg },
        medianCpuUsPerMsg: cpuMedians(runs.rxq, runs.pgboss),
      });
    if (best.rxq && best.graphile)
      report('work queue vs graphile-worker', N, best.rxq, best.graphile, {
        cpuUsPerMsg: { rxq: best.rxq.cpuUsPerMsg, raw: best.graphile.cpuUsPerMsg },
        medianCpuUsPerMsg: cpuMedians(runs.rxq, runs.graphile),
      });
  }
  if (want('topic')) {
    const schema = `bench_topic_${tag}`;
    await dropSchema(schema);
    const { migrate, publishTopicMany } = await import('../packages/postgres/dist/index.js');
    await withPool(async (pool) => {
      await migrate({ connection: pool, schema });
      for (let i = 0; i < N; i += 5_000)
        await publishTopicMany(
          pool,
          'bench',
          Array.from({ length: Math.min(5_000, N - i) }, (_, j) => body(i + j)),
          { schema },
        );
    });
    try {
      const r = child(['topic', schema, String(N)]);
      console.log(JSON.stringify({ case: 'topic log, 4 subscribers at once', n: N, ...r }));
    } finally {
      await dropSchema(schema);
    }
  }
  if (want('latency')) {
    await queueLatency();
    console.log(JSON.stringify(child(['latency', 'topic', '1000', 'async'])));
  }
  if (process.env.BENCH_BIG === '1' && want('big')) {
    const schema = `bench_big_${tag}`;
    await dropSchema(schema);
    await preload.rxq(schema, BIG);
    try {
      const r = child(['big', schema]);
      console.log(JSON.stringify({ case: '1M backlog drain', n: BIG, msgsPerSec: Math.round(BIG / r.seconds), ...r }));
    } finally {
      await dropSchema(schema);
    }
  }
}

await main();
