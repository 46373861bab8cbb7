import { ack, handle, HEADERS, type Message, type QueueObservable } from '@rxq/core';
import { filter, firstValueFrom, type Subject } from 'rxjs';
import { expect } from 'vitest';
import type { DeadLetterView } from '@rxq/core/testing';
import { Redis, type Cluster } from 'ioredis';
import { readListEntry } from '../src/index.js';

export const URL = 'redis://127.0.0.1:6379';

/** A unique key stem for one test. */
export function uniqueName(kind: string): string {
  return `rxq-test:${kind}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export function client(): Redis {
  return new Redis(URL, { connectionName: 'rxq-test-client' });
}

/** Deletes every key whose name starts with `stem` (what one test made). */
export async function cleanup(redis: Redis, stem: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${stem}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** Dead letters of a list, as the contract suite reads them. */
export async function listDeadLetters(redis: Redis | Cluster, key: string): Promise<DeadLetterView[]> {
  const items = await redis.lrangeBuffer(key, 0, -1);
  return items.map((item) => {
    const { payload, headers } = readListEntry(item);
    return { raw: payload, reason: headers?.[HEADERS.deadReason] ?? '', errorMessage: headers?.[HEADERS.errorMessage] };
  });
}

/** Dead letters of a stream. */
export async function streamDeadLetters(redis: Redis | Cluster, key: string): Promise<DeadLetterView[]> {
  const entries = await redis.xrangeBuffer(key, '-', '+');
  return entries.map(([, fields]) => {
    const map = new Map<string, Buffer>();
    for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!.toString(), fields[i + 1]!);
    return {
      raw: map.get('body'),
      reason: map.get(HEADERS.deadReason)?.toString() ?? '',
      errorMessage: map.get(HEADERS.errorMessage)?.toString(),
    };
  });
}

/** Kills every server-side connection whose name starts with `prefix`; resolves with how many. */
export async function killConnections(redis: Redis, prefix: string): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  let killed = 0;
  for (const line of list.split('\n')) {
    const id = /(?:^| )id=(\d+)/.exec(line)?.[1];
    const name = /(?:^| )name=(\S*)/.exec(line)?.[1];
    if (id !== undefined && name?.startsWith(prefix)) {
      killed += Number(await redis.client('KILL', 'ID', id));
    }
  }
  return killed;
}

/**
 * Consumes `total` numbered messages from `source` (stopped through `stop`), killing the
 * consumer's Redis connections (named `connectionPrefix…`) twice mid-stream, after 500 and 1,500
 * were handled. Resolves when the source has closed, with what it saw.
 */
export async function consumeKillingConnections(
  source: QueueObservable<{ n: number }>,
  stop: Subject<void>,
  admin: Redis,
  connectionPrefix: string,
  total: number,
): Promise<{ seen: Set<number>; killed: number; statuses: string[] }> {
  const seen = new Set<number>();
  let killed = 0;
  const statuses: string[] = [];
  source.status$.subscribe((e) => statuses.push(e.status));
  const closed = firstValueFrom(source.status$.pipe(filter((e) => e.status === 'closed')));
  source
    .pipe(
      handle(
        async (m: Message<{ n: number }>) => {
          await new Promise((r) => setTimeout(r, Math.random()));
          seen.add(m.body.n);
          if ((seen.size === 500 || seen.size === 1_500) && killed < 2) {
            killed++;
            expect(await killConnections(admin, connectionPrefix)).toBeGreaterThanOrEqual(2);
          }
          if (seen.size === total) stop.next();
        },
        { concurrency: 16 },
      ),
      ack(),
    )
    .subscribe();
  await closed;
  return { seen, killed, statuses };
}
