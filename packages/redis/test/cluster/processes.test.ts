import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { uniqueName } from '../helpers.js';
import { cleanupCluster, clusterClient, masterOf } from './helpers.js';
import { until } from '@rxq/core/testing';

const FIXTURE = fileURLToPath(new URL('./fixtures/consumer.mjs', import.meta.url));
const admin = clusterClient();
afterAll(() => admin.quit());

/** Queue names whose slots are served by three different masters. */
async function namesOnEveryMaster(kind: string): Promise<string[]> {
  const byMaster = new Map<number, string>();
  while (byMaster.size < 3) {
    const name = uniqueName(kind).replaceAll(':', '-');
    const master = await masterOf(name);
    if (!byMaster.has(master)) byMaster.set(master, name);
  }
  return [...byMaster.values()];
}

it('several consumer processes on queues spread over the three masters handle every message', async () => {
  const [a, b, c] = (await namesOnEveryMaster('procs')) as [string, string, string];
  const PER_QUEUE = 1_000;
  const done = (q: string): string => `{${q}}:done`;
  const bodies = (): string[] => Array.from({ length: PER_QUEUE }, (_, n) => JSON.stringify({ n }));
  await admin.rpush(a, ...bodies());
  await admin.rpush(b, ...bodies());
  const pipeline = admin.pipeline();
  for (const body of bodies()) pipeline.xadd(c, '*', 'body', body);
  await pipeline.exec();
  // Two processes share queue a; one each on b (a list) and c (a stream).
  const plan: [string, string][] = [
    ['reliable', a],
    ['reliable', a],
    ['reliable', b],
    ['stream', c],
  ];
  const children: ChildProcess[] = plan.map(([mode, q]) =>
    fork(FIXTURE, [mode, q, done(q)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  try {
    await Promise.all(children.map((child) => once(child, 'message')));
    for (const q of [a, b, c])
      await until(async () => new Set(await handled(q)).size === PER_QUEUE, {
        what: `every message of ${q}`,
        timeoutMs: 120_000,
      });
    const exits = children.map((child) => once(child, 'exit'));
    for (const child of children) child.kill('SIGTERM');
    expect((await Promise.all(exits)).map(([code]) => code as number)).toEqual([0, 0, 0, 0]);
    for (const q of [a, b, c]) {
      const ns = await handled(q);
      expect(new Set(ns)).toEqual(new Set(Array.from({ length: PER_QUEUE }, (_, n) => n)));
      // Nothing was lost, nor handled twice: no consumer died here.
      expect(ns.length).toBe(PER_QUEUE);
    }
    const pidsOnA = new Set((await admin.lrange(done(a), 0, -1)).map((e) => e.split(':')[1]));
    console.info(`queue a: handled by ${pidsOnA.size} of its 2 processes`);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const q of [a, b, c]) await cleanupCluster(admin, q);
  }

  async function handled(q: string): Promise<number[]> {
    return (await admin.lrange(done(q), 0, -1)).map((e) => Number(e.split(':')[0]));
  }
});
