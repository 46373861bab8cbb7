import { describe, expect, it } from 'vitest';
import type { TopicPartition } from './driver.js';
import { StallWatchdog, type PartitionBacklog, type StallHost } from './stall.js';

const P0: TopicPartition = { topic: 'orders', partition: 0 };

/** A session as the watchdog sees it: what it owns, whether it is busy, what the broker says. */
function host(backlog: PartitionBacklog[] | Error) {
  const h = {
    owned: [P0] as TopicPartition[],
    busy: false,
    asked: 0,
    stalls: [] as { lagging: PartitionBacklog; idleMs: number }[],
  };
  const api: StallHost = {
    owned: () => h.owned,
    busy: () => h.busy,
    backlog: () => {
      h.asked++;
      return backlog instanceof Error ? Promise.reject(backlog) : Promise.resolve(backlog);
    },
    stalled: (lagging, idleMs) => h.stalls.push({ lagging, idleMs }),
  };
  return { h, api };
}

describe('StallWatchdog', () => {
  it('reports a stall once: idle for timeoutMs, nothing held, records past the position', async () => {
    let now = 0;
    const { h, api } = host([{ ...P0, position: 100, end: 120 }]);
    const w = new StallWatchdog(api, 30_000, () => now);
    now = 29_999;
    expect(await w.check()).toBe(false);
    expect(h.asked).toBe(0); // not idle long enough: the broker is not asked
    now = 30_000;
    expect(await w.check()).toBe(true);
    expect(h.stalls).toEqual([{ lagging: { ...P0, position: 100, end: 120 }, idleMs: 30_000 }]);
    now = 90_000;
    expect(await w.check()).toBe(false); // stopped after reporting
    expect(h.stalls).toHaveLength(1);
  });

  it('is quiet while the session holds messages, after activity, without partitions, or caught up (then asks only once per timeoutMs)', async () => {
    let now = 0;
    const { h, api } = host([{ ...P0, position: 120, end: 120 }]);
    const w = new StallWatchdog(api, 10_000, () => now);
    now = 10_000;
    h.busy = true;
    expect(await w.check()).toBe(false);
    h.busy = false;
    h.owned = [];
    expect(await w.check()).toBe(false);
    expect(h.asked).toBe(0);
    h.owned = [P0];
    w.activity();
    now = 19_999;
    expect(await w.check()).toBe(false);
    now = 20_000;
    expect(await w.check()).toBe(false); // caught up
    expect(h.asked).toBe(1);
    now = 25_000;
    expect(await w.check()).toBe(false);
    expect(h.asked).toBe(1); // the next question only after another quiet timeoutMs
    now = 30_000;
    expect(await w.check()).toBe(false);
    expect(h.asked).toBe(2);
    expect(h.stalls).toHaveLength(0);
  });

  it('an unknown position, a failed question, or activity while asking is not a stall', async () => {
    let now = 50_000;
    const unknown = host([{ ...P0, position: -1, end: 5 }]);
    expect(await new StallWatchdog(unknown.api, 10_000, () => now).check()).toBe(false);
    const failing = host(new Error('broker gone'));
    expect(await new StallWatchdog(failing.api, 10_000, () => (now += 20_000)).check()).toBe(false);
    expect(failing.h.asked).toBe(1);
    const raced = host([{ ...P0, position: 1, end: 5 }]);
    const w = new StallWatchdog(raced.api, 10_000, () => now);
    raced.api.backlog = () => {
      w.activity(); // a batch arrived while the broker was being asked
      return Promise.resolve([{ ...P0, position: 1, end: 5 }]);
    };
    now += 10_000;
    expect(await w.check()).toBe(false);
  });
});
