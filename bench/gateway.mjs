// pnpm bench gateway: the lean queue server's own benchmark against @rxq/gateway serving a memory
// queue (one client, one connection, lockstep: 100 × push_many of 10,000 one-character messages,
// then pull_many(10000, timeout=0); 1,000,000 messages / elapsed), then 8 concurrent clients,
// single-message round trips, and the same over HTTP. Beside each, the in-process MemoryQueue
// doing the same work. The gateway runs in a process of its own (as a server does); its peak RSS
// is read from /proc at the end of each case, one fresh gateway per case.
// Then the latency case (latencyCase in lib.mjs: 1,000 msg/s for 10 s, publish → handler, p50/p99/
// max): one gateway serving a memory queue, the bodies pushed from this process over a connection of
// their own (push_many of what is due every 5 ms); `node bench/gateway.mjs --latency` runs only it,
// BENCH_LATENCY=0 skips it.
//   rxq: fromQueue(gateway('tcp://…')) (pollMs 200), maxInFlight 256, handle concurrency 64, ack
//   raw: a plain socket client of the line protocol (net + JSON, one reply per request in order):
//        lease_many(256, 0.2) → handle each → ack(ids), the ack sent without waiting for its reply
//        (in order on the connection, as rxq sends it)
import { execFileSync, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fromQueue } from '@rxq/core';
import { gateway, LineClient } from '@rxq/gateway';
import { MemoryQueue } from '@rxq/memory';
import { envInt, latencyCase, measure, runRxq, settle } from './lib.mjs';

const ROUNDS = envInt('BENCH_ROUNDS', 100);
const BATCH = envInt('BENCH_BATCH', 10_000);
const SINGLE = envInt('BENCH_SINGLE', 20_000);
const HTTP_SINGLE = envInt('BENCH_HTTP_SINGLE', 5_000);
const CLIENTS = 8;
const cli = new URL('../packages/gateway/dist/cli.js', import.meta.url).pathname;

async function startGateway() {
  const child = spawn(
    process.execPath,
    [cli, '--port', '0', '--http-port', '0', '--queue', 'memory:q', '--log-level', 'warn'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
  const { port, httpPort } = JSON.parse(first.value);
  return {
    port,
    httpPort,
    peakRssMB() {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return Math.round((Number(m[1]) / 1024) * 10) / 10;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

const ones = (n) => Array.from({ length: n }, () => 'a');

// ---- the work, over TCP, over HTTP, and in process --------------------------------------------

async function tcpBatches(port, rounds, batch) {
  const c = await LineClient.open('127.0.0.1', port, () => {}, 5_000);
  const values = ones(batch);
  let pulled = 0;
  for (let i = 0; i < rounds; i++) {
    const [s1] = await c.request('push_many', values);
    const [s2, got] = await c.request('pull_many', [batch, 0]);
    if (s1 !== 'success' || s2 !== 'success') throw new Error(`unexpected ${s1} ${s2}`);
    pulled += got.length;
  }
  await c.close();
  return pulled;
}

async function tcpSingles(port, n) {
  const c = await LineClient.open('127.0.0.1', port, () => {}, 5_000);
  for (let i = 0; i < n; i++) {
    await c.request('push', ['a']);
    const [s] = await c.request('pull', []);
    if (s !== 'success') throw new Error(s);
  }
  await c.close();
  return n;
}

// node:http with a keep-alive agent (fetch costs more per request than the gateway does).
const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });

/** POSTs `[args, kwargs]` to the old HTTP form; resolves with `[status, result]`. */
function post(httpPort, action, body) {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: httpPort,
        path: `/${action}/`,
        method: 'POST',
        agent,
        headers: { 'content-length': Buffer.byteLength(text) },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

async function http(httpPort, action, body) {
  const [status, result] = await post(httpPort, action, body);
  if (status !== 'success') throw new Error(`${action}: ${status}`);
  return result;
}

async function httpBatches(httpPort, rounds, batch) {
  const values = ones(batch);
  let pulled = 0;
  for (let i = 0; i < rounds; i++) {
    await http(httpPort, 'push_many', [values, {}]);
    pulled += (await http(httpPort, 'pull_many', [[batch, 0], {}])).length;
  }
  return pulled;
}

async function httpSingles(httpPort, n) {
  for (let i = 0; i < n; i++) {
    await http(httpPort, 'push', [['a'], {}]);
    await http(httpPort, 'pull', [[], {}]);
  }
  return n;
}

async function memBatches(q, rounds, batch) {
  const values = ones(batch);
  let pulled = 0;
  for (let i = 0; i < rounds; i++) {
    q.pushMany(values);
    pulled += (await q.pullMany(batch, { timeoutMs: 0 })).length;
  }
  return pulled;
}

async function memSingles(q, n) {
  for (let i = 0; i < n; i++) {
    q.push('a');
    await q.pull();
  }
  return n;
}

// ---- cases ------------------------------------------------------------------------------------

async function overGateway(name, messages, work) {
  const gw = await startGateway();
  try {
    const m = await measure(() => work(gw));
    if (m.result !== messages) throw new Error(`${name}: moved ${m.result} of ${messages}`);
    return {
      msgsPerSec: Math.round(messages / m.seconds),
      seconds: Math.round(m.seconds * 1000) / 1000,
      gatewayPeakRssMB: gw.peakRssMB(),
      clientPeakRssMB: m.peakRssMB,
    };
  } finally {
    await gw.stop();
  }
}

async function inProcess(messages, work) {
  settle();
  const m = await measure(() => work(new MemoryQueue()));
  if (m.result !== messages) throw new Error(`in-process: moved ${m.result} of ${messages}`);
  return { msgsPerSec: Math.round(messages / m.seconds), peakRssMB: m.peakRssMB };
}

function print(name, messages, gateway, memory, unit = 'msgs') {
  const line = {
    case: name,
    messages,
    unit,
    gateway,
    inProcess: memory,
    ratio: Math.round((gateway.msgsPerSec / memory.msgsPerSec) * 1000) / 1000,
  };
  console.log(JSON.stringify(line));
}

const total = ROUNDS * BATCH;
const per = Math.floor(BATCH / CLIENTS);
const concurrent = (fn) =>
  Promise.all(Array.from({ length: CLIENTS }, fn)).then((counts) => counts.reduce((a, b) => a + b, 0));

async function main() {
  print(
    `tcp: 1 client, lockstep, ${ROUNDS} × push_many(${BATCH}) + pull_many(${BATCH}, timeout=0)`,
    total,
    await overGateway('tcp batches', total, (gw) => tcpBatches(gw.port, ROUNDS, BATCH)),
    await inProcess(total, (q) => memBatches(q, ROUNDS, BATCH)),
  );
  print(
    'tcp: the same, from a Python client (socket + json, as the old clients were)',
    total,
    await overGateway('tcp python', total, async (gw) => {
      const script = new URL('./gateway_client.py', import.meta.url).pathname;
      const out = JSON.parse(
        execFileSync('python3', [script, String(gw.port), String(ROUNDS), String(BATCH)]).toString(),
      );
      return out.messages;
    }),
    await inProcess(total, (q) => memBatches(q, ROUNDS, BATCH)),
  );
  print(
    `tcp: ${CLIENTS} clients at once, each ${ROUNDS} × push_many(${per}) + pull_many(${per}, timeout=0)`,
    per * ROUNDS * CLIENTS,
    await overGateway('tcp 8 clients', per * ROUNDS * CLIENTS, (gw) =>
      concurrent(() => tcpBatchesDrained(gw.port, ROUNDS, per)),
    ),
    await inProcess(per * ROUNDS * CLIENTS, (q) => concurrent(() => memBatchesDrained(q, ROUNDS, per))),
  );
  print(
    'tcp: single-message round trips (push, then pull), lockstep',
    SINGLE,
    await overGateway('tcp singles', SINGLE, (gw) => tcpSingles(gw.port, SINGLE)),
    await inProcess(SINGLE, (q) => memSingles(q, SINGLE)),
    'round trips',
  );
  print(
    `http: 1 client, keep-alive, ${ROUNDS} × POST /push_many/ (${BATCH}) + POST /pull_many/ (${BATCH}, timeout=0)`,
    total,
    await overGateway('http batches', total, (gw) => httpBatches(gw.httpPort, ROUNDS, BATCH)),
    await inProcess(total, (q) => memBatches(q, ROUNDS, BATCH)),
  );
  print(
    `http: ${CLIENTS} clients at once, each ${ROUNDS} × /push_many/ (${per}) + /pull_many/ (${per}, timeout=0)`,
    per * ROUNDS * CLIENTS,
    await overGateway('http 8 clients', per * ROUNDS * CLIENTS, (gw) =>
      concurrent(() => httpBatchesDrained(gw.httpPort, ROUNDS, per)),
    ),
    await inProcess(per * ROUNDS * CLIENTS, (q) => concurrent(() => memBatchesDrained(q, ROUNDS, per))),
  );
  print(
    'http: single-message round trips (POST /push/, then POST /pull/)',
    HTTP_SINGLE,
    await overGateway('http singles', HTTP_SINGLE, (gw) => httpSingles(gw.httpPort, HTTP_SINGLE)),
    await inProcess(HTTP_SINGLE, (q) => memSingles(q, HTTP_SINGLE)),
    'round trips',
  );
}

// With 8 clients on one queue a client's pull_many may find fewer than it pushed (another took
// them): it pulls until it has taken as many as it pushed, so every message is pushed and pulled once.
async function tcpBatchesDrained(port, rounds, batch) {
  const c = await LineClient.open('127.0.0.1', port, () => {}, 5_000);
  const values = ones(batch);
  let pulled = 0;
  for (let i = 0; i < rounds; i++) {
    await c.request('push_many', values);
    const [, got] = await c.request('pull_many', [batch, 0]);
    if (Array.isArray(got)) pulled += got.length;
  }
  while (pulled < rounds * batch) {
    const [, got] = await c.request('pull_many', [rounds * batch - pulled, 1]);
    if (Array.isArray(got)) pulled += got.length;
  }
  await c.close();
  return pulled;
}

async function httpBatchesDrained(httpPort, rounds, batch) {
  const values = ones(batch);
  let pulled = 0;
  for (let i = 0; i < rounds; i++) {
    await http(httpPort, 'push_many', [values, {}]);
    const [, got] = await post(httpPort, 'pull_many', [[batch, 0], {}]);
    if (Array.isArray(got)) pulled += got.length;
  }
  while (pulled < rounds * batch) {
    const [, got] = await post(httpPort, 'pull_many', [[rounds * batch - pulled, 1], {}]);
    if (Array.isArray(got)) pulled += got.length;
  }
  return pulled;
}

async function memBatchesDrained(q, rounds, batch) {
  const values = ones(batch);
  let pulled = 0;
  for (let i = 0; i < rounds; i++) {
    q.pushMany(values);
    await Promise.resolve();
    pulled += (await q.pullMany(batch, { timeoutMs: 0 }).catch(() => [])).length;
  }
  while (pulled < rounds * batch) pulled += (await q.pullMany(rounds * batch - pulled, { timeoutMs: 1_000 })).length;
  return pulled;
}

// ---- latency: publish → handler through the gateway ---------------------------------------------

/** A plain client of the line protocol: a socket, JSON lines, replies in the order of the requests. */
async function plainClient(port) {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.setNoDelay(true);
  const waiting = [];
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (text) => {
    buffer += text;
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      waiting.shift()(JSON.parse(line));
    }
  });
  return {
    call: (action, args) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        socket.write(JSON.stringify([action, args]) + '\r\n');
      }),
    close: () => new Promise((resolve) => socket.end(JSON.stringify(['quit']) + '\r\n', resolve)),
  };
}

async function latency() {
  const gw = await startGateway();
  const publisher = await LineClient.open('127.0.0.1', gw.port, () => {}, 5_000);
  try {
    await latencyCase('gateway (memory queue over TCP)', {
      publish: (body) => publisher.call('push', [body]),
      publishBatch: (bodies) => publisher.call('push_many', bodies),
      rxq: (onBody) => runRxq(fromQueue(gateway(`tcp://127.0.0.1:${gw.port}`), { maxInFlight: 256 }), onBody),
      raw: async (onBody) => {
        const c = await plainClient(gw.port);
        const handler = async (body) => onBody(body);
        let running = true;
        const loop = (async () => {
          while (running) {
            const [status, items] = await c.call('lease_many', [256, 0.2]);
            if (status === 'error:timeout') continue;
            if (status !== 'success') throw new Error(`lease_many: ${status}`);
            await Promise.all(items.map((item) => handler(item.value)));
            void c.call(
              'ack',
              items.map((item) => item.id),
            );
          }
        })();
        return async () => {
          running = false;
          await loop;
          await c.close();
        };
      },
      extra: { maxInFlight: 256, rawLease: 256 },
    });
  } finally {
    await publisher.close();
    await gw.stop();
  }
}

if (process.argv[2] === '--latency') await latency();
else {
  await main();
  await latency();
}
agent.destroy();
