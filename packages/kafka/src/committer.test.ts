import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CommitScheduler } from './committer.js';

describe('CommitScheduler', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A scheduler whose commits resolve when `finish` is called; `sent` counts them. */
  function make(maxUncommitted = 4, intervalMs = 1_000, minGapMs = 0) {
    const pending: (() => void)[] = [];
    let sent = 0;
    const scheduler = new CommitScheduler({
      commit: () => {
        sent++;
        return new Promise<void>((resolve) => pending.push(resolve));
      },
      maxUncommitted: () => maxUncommitted,
      intervalMs,
      minGapMs,
      failed: () => undefined,
    });
    const finish = async (): Promise<void> => {
      pending.shift()?.();
      await vi.advanceTimersByTimeAsync(0);
    };
    return { scheduler, finish, sent: () => sent, inFlight: () => pending.length };
  }

  it('commits at once (after this turn) when maxUncommitted messages settled, else within intervalMs', async () => {
    const s = make(4, 1_000);
    s.scheduler.settled(1);
    s.scheduler.settled(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.sent()).toBe(0);
    s.scheduler.settled(1);
    s.scheduler.settled(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.sent()).toBe(1);
    await s.finish();
    s.scheduler.settled(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(s.sent()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(s.sent()).toBe(2);
  });

  it('never has two commits in flight; what is due meanwhile goes out right after, as one', async () => {
    const s = make(2, 1_000);
    s.scheduler.settled(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.inFlight()).toBe(1);
    for (let i = 0; i < 10; i++) s.scheduler.settled(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(s.sent()).toBe(1);
    await s.finish();
    expect(s.sent()).toBe(2);
    expect(s.inFlight()).toBe(1);
  });

  it('spaces commits made due by the settled count by minGapMs from the start of the last one', async () => {
    const s = make(2, 1_000, 20);
    s.scheduler.settled(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.sent()).toBe(1);
    await s.finish();
    s.scheduler.settled(2);
    await vi.advanceTimersByTimeAsync(10);
    expect(s.sent()).toBe(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(s.sent()).toBe(2);
    // A commit that took longer than the gap: what became due meanwhile goes out right after it.
    s.scheduler.settled(2);
    await vi.advanceTimersByTimeAsync(30);
    expect(s.sent()).toBe(2);
    await s.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.sent()).toBe(3);
  });

  it('the interval commit is not held by the gap', async () => {
    const s = make(100, 0, 1_000);
    s.scheduler.settled(100);
    await vi.advanceTimersByTimeAsync(0);
    await s.finish();
    s.scheduler.settled(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.sent()).toBe(2);
  });

  it('sends nothing after stop', async () => {
    const s = make(1, 10);
    s.scheduler.settled(0);
    s.scheduler.stop();
    s.scheduler.settled(5);
    await vi.advanceTimersByTimeAsync(100);
    expect(s.sent()).toBe(0);
  });
});
