// SQS backlog (ElasticMQ): BENCH_N (1,000,000) ~100-byte JSON messages are loaded into a fresh
// queue (SendMessageBatch of 10, BENCH_SEND_WINDOW (64) batches in flight, untimed), then one rxq
// consumer drains them all in a child process of its own: fromQueue(sqs(queue)) with maxInFlight
// 100 and 4 receives in flight → handle (async no-op, concurrency 64) → ack. Reported: the load's
// time, the drain's time and rate, CPU µs per message, and the consumer's peak RSS against the
// 150 MB target.
//
// The shared ElasticMQ (scripts/elasticmq.sh, 256 MB heap) cannot hold a million messages, so
// unless RXQ_SQS_ENDPOINT names one, the benchmark starts a private ElasticMQ of its own on
// BENCH_SQS_PORT (9334) with a BENCH_SQS_HEAP (3g) heap, and stops it at the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { fromQueue } from '@rxq/core';
import { publishMany, sqs } from '@rxq/sqs';
import { drainWithRxq, envInt, measureWarm } from './lib.mjs';

const fromSqs = createRequire(new URL('../packages/sqs/package.json', import.meta.url));
const { SQSClient, CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand } = await import(
  fromSqs.resolve('@aws-sdk/client-sqs')
);

const PAD = 'x'.repeat(80);
const MAX_IN_FLIGHT = 100;
const CALLS = 4;
const RSS_TARGET_MB = 150;
const configOf = (endpoint) => ({
  endpoint,
  region: 'elasticmq',
  credentials: { accessKeyId: 'rxq', secretAccessKey: 'rxq' },
});

async function drain(endpoint, queue, n) {
  const source = fromQueue(
    sqs(queue, { clientConfig: configOf(endpoint), waitTimeSeconds: 1, maxConcurrentReceives: CALLS }),
    { maxInFlight: MAX_IN_FLIGHT },
  );
  return measureWarm(0, n, (meter) => drainWithRxq(source, n, 64, meter));
}

/** A private ElasticMQ with a heap that holds the backlog; returns its endpoint and a stop. */
function startPrivateServer() {
  const port = envInt('BENCH_SQS_PORT', 9334);
  const run = mkdtempSync(join(tmpdir(), 'rxq-sqs-backlog-'));
  const env = {
    ...process.env,
    RXQ_ELASTICMQ_PORT: String(port),
    RXQ_ELASTICMQ_RUN: run,
    RXQ_ELASTICMQ_HEAP: process.env.BENCH_SQS_HEAP ?? '3g',
  };
  const script = new URL('../scripts/elasticmq.sh', import.meta.url).pathname;
  const started = spawnSync('bash', [script, 'start'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (started.status !== 0) throw new Error('could not start a private ElasticMQ');
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop() {
      spawnSync('bash', [script, 'stop'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
      rmSync(run, { recursive: true, force: true });
    },
  };
}

async function main() {
  if (process.argv[2] === '--drain') {
    const [, , , endpoint, queue, n] = process.argv;
    console.log(JSON.stringify(await drain(endpoint, queue, Number(n))));
    return;
  }
  const n = envInt('BENCH_N', 1_000_000);
  const sendWindow = envInt('BENCH_SEND_WINDOW', 64);
  const server = process.env.RXQ_SQS_ENDPOINT ? undefined : startPrivateServer();
  const endpoint = process.env.RXQ_SQS_ENDPOINT ?? server.endpoint;
  const client = new SQSClient(configOf(endpoint));
  const queue = `rxq-bench-backlog-${randomUUID().slice(0, 8)}`;
  let QueueUrl;
  try {
    ({ QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: queue })));
    const loadStarted = performance.now();
    for (let i = 0; i < n; i += 50_000) {
      const bodies = Array.from({ length: Math.min(50_000, n - i) }, (_, k) => ({ n: i + k, pad: PAD }));
      await publishMany(client, QueueUrl, bodies, { window: sendWindow });
      const s = Math.round((performance.now() - loadStarted) / 1000);
      process.stderr.write(`sqs-backlog: ${i + bodies.length} loaded in ${s} s\n`);
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    const loaded = Number(Attributes.ApproximateNumberOfMessages);
    if (loaded !== n) throw new Error(`loaded ${loaded} messages, expected ${n}`);
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', '--no-warnings', new URL(import.meta.url).pathname, '--drain', endpoint, queue, String(n)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (child.status !== 0) throw new Error(`drain child failed (${child.status})`);
    const m = JSON.parse(child.stdout.trim().split('\n').pop());
    const { Attributes: after } = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    console.log(
      JSON.stringify({
        case: `sqs drain ${n} backlog (ElasticMQ)`,
        n,
        load: { seconds: Math.round(loadSeconds), msgsPerSec: Math.round(n / loadSeconds), sendWindow },
        drain: { seconds: Math.round(m.seconds), msgsPerSec: Math.round(m.messages / m.seconds) },
        cpuUsPerMsg: m.cpuUsPerMsg,
        peakRssMB: m.peakRssMB,
        rssTargetMB: RSS_TARGET_MB,
        rssOk: m.peakRssMB <= RSS_TARGET_MB,
        leftInQueue: Number(after.ApproximateNumberOfMessages) + Number(after.ApproximateNumberOfMessagesNotVisible),
        maxInFlight: MAX_IN_FLIGHT,
        receivesInFlight: CALLS,
      }),
    );
  } finally {
    if (QueueUrl) await client.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
    client.destroy();
    server?.stop();
  }
}

await main();
