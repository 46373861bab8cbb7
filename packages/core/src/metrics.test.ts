import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { SourceMetrics } from './metrics.js';

describe('SourceMetrics', () => {
  it('snapshots its counters and handler durations', () => {
    const metrics = new SourceMetrics();
    metrics.received = 3;
    metrics.acked = 2;
    metrics.recordHandler(5);
    metrics.recordHandler(12);
    metrics.recordHandler(1);
    const snapshot = metrics.snapshot();
    expect(snapshot).toMatchObject({ received: 3, acked: 2, handler: { count: 3, totalMs: 18, maxMs: 12 } });
    metrics.acked = 3;
    expect(snapshot.acked).toBe(2);
  });

  it('counts a run over a batch once per message', () => {
    const metrics = new SourceMetrics();
    metrics.recordHandler(4, 3);
    metrics.recordHandler(2);
    expect(metrics.snapshot().handler).toEqual({ count: 4, totalMs: 14, maxMs: 4 });
  });

  it('observe(intervalMs) reads at once, then every interval, until unsubscribed', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const metrics = new SourceMetrics();
    ts.run(({ expectObservable, cold }) => {
      cold('-----a', { a: 0 }).subscribe(() => (metrics.received = 7));
      expectObservable(metrics.observe(3).pipe(map((s) => s.received)), '^-------!').toBe('a--a--b-', {
        a: 0,
        b: 7,
      });
    });
  });
});
