import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { until } from '@rxq/core/testing';

/** The local cluster of `scripts/cluster.d/redis.sh`: six nodes, three masters with a replica each. */
export const PORTS = [7001, 7002, 7003, 7004, 7005, 7006] as const;
export const DATA_DIR = process.env.RXQ_REDIS_CLUSTER_DIR ?? '/tmp/rxq-redis-cluster';
const SCRIPT = fileURLToPath(new URL('../../../../scripts/cluster.d/redis.sh', import.meta.url));
const run = promisify(execFile);

/** A Cluster client as an app makes one (seeded with one node; it discovers the rest). */
export function clusterClient(): Cluster {
  return new Cluster([{ host: '127.0.0.1', port: 7001 }], {
    redisOptions: { connectionName: 'rxq-test-client' },
  });
}

/** The port of the master that serves `key`'s slot now (asked of the cluster, not of a cache). */
export async function masterOf(key: string): Promise<number> {
  for (const port of PORTS) {
    const node = new Redis({ port, lazyConnect: true, retryStrategy: () => null });
    try {
      await node.connect();
      const slot = await node.cluster('KEYSLOT', key);
      const ranges = await node.cluster('SLOTS');
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (range?.[2]) return range[2][1];
    } catch {
      // a node that is down: ask the next one
    } finally {
      node.disconnect();
    }
  }
  throw new Error(`no node knows the master of ${key}`);
}

/** SIGKILLs the redis-server on `port` (by its pid file): no shutdown, no last write. */
export function killNode(port: number): number {
  const pid = Number(readFileSync(`${DATA_DIR}/${port}/redis.pid`, 'utf8').trim());
  process.kill(pid, 'SIGKILL');
  return pid;
}

/** Starts what is down (the killed node rejoins as a replica) and waits until the cluster is whole. */
export async function restoreCluster(): Promise<void> {
  await run('bash', [SCRIPT, 'start'], { timeout: 120_000 });
}

/** Waits until `port`'s replica took over: `key`'s slot is served by another master and writable. */
export async function awaitFailover(cluster: Cluster, key: string, from: number): Promise<void> {
  await until(async () => (await masterOf(key).catch(() => from)) !== from, {
    what: `failover of ${from}`,
    timeoutMs: 60_000,
  });
  await until(
    async () =>
      await cluster.exists(key).then(
        () => true,
        () => false,
      ),
    { what: 'writes after failover', timeoutMs: 60_000 },
  );
}

/** Deletes every key whose name starts with `stem` or `{stem}` on every master. */
export async function cleanupCluster(cluster: Cluster, stem: string): Promise<void> {
  for (const node of cluster.nodes('master')) {
    for (const match of [`${stem}*`, `{${stem}}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        for (const k of keys) await cluster.del(k);
      } while (cursor !== '0');
    }
  }
}

/** Every key on the cluster whose name starts with `stem` or `{stem}` (scanned on each master). */
export async function keysOf(cluster: Cluster, stem: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of cluster.nodes('master')) {
    for (const match of [`${stem}*`, `{${stem}}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        found.push(...keys);
      } while (cursor !== '0');
    }
  }
  return found;
}
