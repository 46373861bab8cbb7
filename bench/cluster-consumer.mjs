// One consumer process of the clustered benchmarks (bench/kafka-cluster.mjs, bench/amqp-cluster.mjs):
//   node bench/cluster-consumer.mjs kafka|amqp NAME INDEX
// rxq's pipeline on the cluster: fromQueue(…, { maxInFlight: 100 }) → handle(no-op, { concurrency:
// 64 }) → ack(). The handler holds every message until the parent says `go` (so the timed window
// starts with every process connected), and remembers when it first handled a body published at or
// after the parent's `mark` (a node failure). It reports { acked, firstAfterMark } every 50 ms.
import { ack, fromQueue, handle } from '@rxq/core';
import { amqp } from '@rxq/amqp';
import { kafka } from '@rxq/kafka';
import { createRequire } from 'node:module';

// kafkajs is @rxq/kafka's dependency, not the workspace root's.
const { logLevel } = createRequire(new URL('../packages/kafka/package.json', import.meta.url))('kafkajs');

const [kind, name, index] = [process.argv[2], process.argv[3], Number(process.argv[4] ?? 0)];
const KAFKA = ['127.0.0.1:9192', '127.0.0.1:9193', '127.0.0.1:9194'];
const RABBIT = [1, 2, 3].map((n) => `amqp://guest:guest@127.0.0.1:${5680 + n}`);

// amqp: each process starts on another node (the list rotated by its index), as a deployment would.
const connector =
  kind === 'kafka'
    ? kafka(name, {
        brokers: KAFKA,
        groupId: `${name}-group`,
        fromBeginning: true,
        logLevel: logLevel.NOTHING,
        sessionTimeoutMs: 10_000,
        heartbeatIntervalMs: 500,
        rebalanceTimeoutMs: 10_000,
        revokeTimeoutMs: 200,
      })
    : amqp(name, { connection: [...RABBIT.slice(index % 3), ...RABBIT.slice(0, index % 3)], queueType: 'quorum' });

let go;
const started = new Promise((resolve) => (go = resolve));
let acked = 0;
let holding = 0;
let mark = Infinity;
let firstAfterMark;
process.on('message', (m) => {
  if (m.go) go();
  if (m.mark) mark = m.mark;
});

const quiet = () => undefined;
const subscription = fromQueue(connector, {
  maxInFlight: 100,
  reconnect: { initialMs: 100, maxMs: 1_000 },
  logger: { debug: quiet, info: quiet, warn: quiet, error: quiet },
})
  .pipe(
    handle(
      async (m) => {
        holding++;
        await started;
        if (firstAfterMark === undefined && m.body.t >= mark) firstAfterMark = Date.now();
      },
      { concurrency: 64 },
    ),
    ack(),
  )
  .subscribe((r) => {
    if (r.settlement === 'acked') acked++;
  });

const report = setInterval(() => {
  if (process.connected) process.send({ acked, holding, firstAfterMark }, undefined, {}, () => undefined);
}, 50);
process.on('disconnect', () => {
  clearInterval(report);
  subscription.unsubscribe();
  setTimeout(() => process.exit(0), 2_000).unref();
});
