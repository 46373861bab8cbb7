// `pnpm bench [memory|redis|amqp|kafka|postgres|nats|sqs ...]`: builds, then runs each connector's benchmark in its
// own node process (so that one case's heap never inflates the next one's peak RSS). Long ones
// (`sqs-backlog`) and the clustered brokers' (`redis-cluster`, `kafka-cluster`, `amqp-cluster`) run
// only when named; their clusters are started through scripts/cluster.d/<broker>.sh.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = [
  'memory',
  'redis',
  'amqp',
  'kafka',
  'gateway',
  'workers',
  'postgres',
  'nats',
  'sqs',
  'otel',
  'sqs-backlog',
];
/** Run only when named: long (a million messages through a private server of their own). */
const optIn = new Set(['sqs-backlog']);
/** The broker each benchmark needs (`scripts/brokers.sh` names), where it needs one. */
const brokerOf = {
  redis: 'redis',
  amqp: 'rabbitmq',
  kafka: 'kafka',
  workers: 'redis',
  postgres: 'postgres',
  nats: 'nats',
  sqs: 'sqs',
};
/** Benchmarks on a clustered broker (the cluster script each needs), run only when named. */
const clusterOf = { 'redis-cluster': 'redis', 'kafka-cluster': 'kafka', 'amqp-cluster': 'rabbitmq' };
const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const chosen = names.length > 0 ? names : all.filter((name) => !optIn.has(name));
for (const name of chosen) {
  if (!all.includes(name) && !clusterOf[name]) {
    console.error(`bench: unknown benchmark "${name}"; choose from ${[...all, ...Object.keys(clusterOf)].join(', ')}`);
    process.exit(2);
  }
}
const build = spawnSync(process.execPath, [join(here, '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], {
  stdio: 'inherit',
  cwd: join(here, '..'),
});
if (build.status !== 0) process.exit(build.status ?? 1);
for (const name of chosen) {
  const script = join(here, `${name}.mjs`);
  if (!existsSync(script)) {
    console.error(`bench: ${name}.mjs is missing`);
    process.exit(1);
  }
  if (brokerOf[name]) {
    const brokers = spawnSync('bash', [join(here, '..', 'scripts', 'brokers.sh'), brokerOf[name]], {
      stdio: 'inherit',
    });
    if (brokers.status !== 0) process.exit(brokers.status ?? 1);
  }
  if (clusterOf[name]) {
    const cluster = spawnSync('bash', [join(here, '..', 'scripts', 'cluster.d', `${clusterOf[name]}.sh`), 'start'], {
      stdio: 'inherit',
    });
    if (cluster.status !== 0) process.exit(cluster.status ?? 1);
  }
  const run = spawnSync(process.execPath, ['--expose-gc', script], { stdio: 'inherit', cwd: join(here, '..') });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
