import { Redis } from 'ioredis';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A unique key stem for one test. */
export function uniqueName(kind: string): string {
  return `rxq-test:workers:${kind}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export function client(): Redis {
  return new Redis(REDIS_URL, { connectionName: 'rxq-test-workers' });
}

/** Every key matching `pattern` (a full SCAN). */
export async function keysMatching(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/** Deletes every key whose name starts with `stem` (what one test made). */
export async function cleanup(redis: Redis, stem: string): Promise<void> {
  const keys = await keysMatching(redis, `${stem}*`);
  if (keys.length > 0) await redis.del(...keys);
}

/** The distinct numbers recorded in a done list (`n:attempt:process`). */
export async function handledNumbers(redis: Redis, doneKey: string): Promise<Set<number>> {
  return new Set((await redis.lrange(doneKey, 0, -1)).map((e) => Number(e.split(':')[0])));
}
