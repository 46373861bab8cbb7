// pnpm bench amqp-cluster: @rxq/amqp on the three-node RabbitMQ cluster (scripts/cluster.d/rabbitmq.sh).
//  (a) scaling: BENCH_N (default 30,000) ~30-byte persistent JSON messages preloaded (untimed, with
//      confirms) into a quorum queue on the three nodes; 1, 2 and 4 consumer processes
//      (bench/cluster-consumer.mjs), each connected to another node first; timed from the moment
//      every process holds its prefetch to the N-th ack; BENCH_REPEAT rounds (default 3), the median.
//  (b) failover: 2 processes consume a stream of about 1,000 messages a second; the node holding the
//      queue's leader is SIGKILLed; the time from the kill to the first message published after it
//      being handled; BENCH_FAILOVER rounds (default 3). The node is started again after each.
// BENCH_CASES=scaling or BENCH_CASES=failover runs one of the two cases.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { publishMany } from '@rxq/amqp';
import { envInt, median } from './lib.mjs';
import { failoverRun, reportScaling, scaleRun, script } from './cluster-lib.mjs';

const amqplib = createRequire(import.meta.resolve('@rxq/amqp'))('amqplib');
const N = envInt('BENCH_N', 30_000);
const REPEAT = envInt('BENCH_REPEAT', 3);
const FAILOVER = envInt('BENCH_FAILOVER', 3);
/** BENCH_CASES=scaling or =failover runs one of the two. */
const CASES = (process.env.BENCH_CASES ?? 'scaling,failover').split(',');
const url = (node) => `amqp://guest:guest@127.0.0.1:${5680 + node}`;
const rabbit = (...args) => script('cluster.d/rabbitmq.sh', ...args);

/** A quorum queue declared through `node` (its leader is there); the admin connection is on `adminNode`. */
async function queue(node, adminNode) {
  const name = `rxq.bench.cluster.${randomUUID().slice(0, 8)}`;
  const c = await amqplib.connect(url(node));
  await (await c.createChannel()).assertQueue(name, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await c.close();
  const admin = await amqplib.connect(url(adminNode));
  admin.on('error', () => undefined);
  return { name, admin };
}

const bodies = (from, count) => Array.from({ length: count }, (_, i) => ({ n: from + i, t: Date.now() }));

/** At-least-once publishing: a batch the broker nacked (no leader for a moment) is sent again. */
async function publishRetrying(admin, name, from, count) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await publishMany(admin, name, bodies(from, count));
    } catch (error) {
      if (!error.retryable || attempt === 100) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const scaling = {};
for (let round = 0; CASES.includes('scaling') && round < REPEAT; round++) {
  for (const count of [1, 2, 4]) {
    const { name, admin } = await queue(1, 1);
    for (let i = 0; i < N; i += 1_000) await publishMany(admin, name, bodies(i, Math.min(1_000, N - i)));
    const ready = (c) => c.procs.every((p) => p.last.holding > 0);
    (scaling[count] ??= []).push(await scaleRun('amqp', name, N, count, ready));
    const ch = await admin.createChannel();
    await ch.deleteQueue(name);
    await admin.close();
  }
}
if (CASES.includes('scaling')) reportScaling('amqp cluster (quorum queue)', N, scaling);

const recoveries = [];
const stalls = [];
for (let round = 0; CASES.includes('failover') && round < FAILOVER; round++) {
  // The leader on node 2 (declared there); the producer on node 1; consumers start on nodes 1 and 2.
  const victim = 2;
  const { name, admin } = await queue(victim, 1);
  const {
    recovery: ms,
    drained,
    published,
    acked,
  } = await failoverRun(
    'amqp',
    name,
    2,
    (from, count) => publishRetrying(admin, name, from, count),
    async () => rabbit('kill', String(victim)),
    async () => rabbit('start-node', String(victim)),
  );
  recoveries.push(ms);
  if (!drained) stalls.push(`round ${round + 1}: ${acked} acks of ${published} published after 90 s`);
  console.error(`amqp cluster failover round ${round + 1}: node ${victim} killed, ${ms} ms`);
  const ch = await admin.createChannel();
  await ch.deleteQueue(name);
  await admin.close();
}
if (CASES.includes('failover'))
  console.log(
    JSON.stringify({
      case: 'amqp cluster: quorum leader node SIGKILLed → first new message handled',
      ms: recoveries,
      medianMs: median(recoveries),
      stalls,
    }),
  );
