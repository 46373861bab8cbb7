// `pnpm bench [memory|redis|redis-cluster|amqp|kafka|postgres|nats|sqs|sqs-backlog ...]`: builds, then runs each connector's benchmark in its
// own node process (so that one case's heap never inflates the next one's peak RSS).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = [
  'memory',
  'redis',
  'redis-cluster',
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
/** The clustered broker each benchmark needs (a `scripts/cluster.d` script, started when not running). */
const clusterOf = { 'redis-cluster': 'redis.sh' };
const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const chosen = names.length > 0 ? names : all.filter((name) => !optIn.has(name));
for (const name of chosen) {
  if (!all.includes(name)) {
    console.error(`bench: unknown benchmark "${name}"; choose from ${all.join(', ')}`);
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
    const cluster = spawnSync('bash', [join(here, '..', 'scripts', 'cluster.d', clusterOf[name]), 'start'], {
      stdio: 'inherit',
    });
    if (cluster.status !== 0) process.exit(cluster.status ?? 1);
  }
  const run = spawnSync(process.execPath, ['--expose-gc', script], { stdio: 'inherit', cwd: join(here, '..') });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
