import { InvalidOptionError, type Logger } from '@rxq/core';
import { concatMap, forkJoin, from, map, mergeMap, take, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { fixedRate, type Overrun } from '../src/index.js';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('fixedRate (virtual time)', () => {
  it('starts a fetch every period, reports overruns and never bursts to catch up', () => {
    const durations = [3, 12, 5, 10, 25, 1, 4];
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      const starts: number[] = [];
      const overruns: Overrun[] = [];
      const warnings: Record<string, unknown>[] = [];
      const logger: Logger = {
        debug: () => undefined,
        info: () => undefined,
        warn: (fields) => warnings.push(fields),
        error: () => undefined,
      };
      const ticks = fixedRate(
        ({ tick, startedAt }) => {
          starts.push(startedAt);
          return timer(durations[tick] ?? 0).pipe(map(() => tick));
        },
        { periodMs: 10, scheduler: ts, logger, onOverrun: (o) => overruns.push(o) },
      ).pipe(take(durations.length));
      // Each tick's value comes when its work ends: 0+3, 10+12, 22+5, 32+10, 42+25, 67+1, 77+4.
      expectObservable(ticks).toBe('3ms a 18ms b 4ms c 14ms d 24ms e 0ms f 12ms (g|)', {
        a: 0,
        b: 1,
        c: 2,
        d: 3,
        e: 4,
        f: 5,
        g: 6,
      });
      ts.flush();
      // Sleeps between ticks: 7, 0 (overrun), 5, 0 (exactly the period), 0 (overrun), 9.
      expect(starts).toEqual([0, 10, 22, 32, 42, 67, 77]);
      expect(overruns).toEqual([
        { tick: 1, tookMs: 12, periodMs: 10, lateMs: 2 },
        { tick: 4, tookMs: 25, periodMs: 10, lateMs: 15 },
      ]);
      expect(warnings.map((w) => w['tick'])).toEqual([1, 4]);
    });
  });

  it('sequential form: a chunk is handled record by record, in order', () => {
    const ts = scheduler();
    ts.run(() => {
      const handled: [number, string][] = [];
      const overruns: Overrun[] = [];
      const fetchChunk = (tick: number) => timer(2).pipe(map(() => ['a', 'b', 'c'].map((r) => `${tick}${r}`)));
      const process = (record: string) => timer(3).pipe(map(() => handled.push([ts.now(), record])));
      fixedRate(({ tick }) => fetchChunk(tick).pipe(concatMap((records) => from(records).pipe(concatMap(process)))), {
        periodMs: 10,
        scheduler: ts,
        onOverrun: (o) => overruns.push(o),
      })
        .pipe(take(6))
        .subscribe();
      ts.flush();
      // 2 ms fetch + 3 × 3 ms = 11 ms per tick: each overruns by 1 ms, the next starts at once.
      expect(handled).toEqual([
        [5, '0a'],
        [8, '0b'],
        [11, '0c'],
        [16, '1a'],
        [19, '1b'],
        [22, '1c'],
      ]);
      expect(overruns.map((o) => [o.tick, o.tookMs])).toEqual([[0, 11]]);
    });
  });

  it('gathered form: all of a chunk at once, the tick done when the last is', () => {
    const ts = scheduler();
    ts.run(() => {
      const handled: [number, string][] = [];
      const overruns: Overrun[] = [];
      const fetchChunk = (tick: number) => timer(2).pipe(map(() => ['a', 'b', 'c'].map((r) => `${tick}${r}`)));
      const process = (record: string, ms: number) => timer(ms).pipe(map(() => handled.push([ts.now(), record])));
      fixedRate(
        ({ tick }) => fetchChunk(tick).pipe(mergeMap((records) => forkJoin(records.map((r, i) => process(r, 3 - i))))),
        {
          periodMs: 10,
          scheduler: ts,
          onOverrun: (o) => overruns.push(o),
        },
      )
        .pipe(take(2))
        .subscribe();
      ts.flush();
      expect(handled).toEqual([
        [3, '0c'],
        [4, '0b'],
        [5, '0a'],
        [13, '1c'],
        [14, '1b'],
        [15, '1a'],
      ]);
      expect(overruns).toEqual([]);
    });
  });

  it('cancels the running work and the clock on unsubscribe; a failing fetch errors the stream', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      // Unsubscribed while a work runs: the work is unsubscribed too.
      const running = cold('-----a|');
      expectObservable(
        fixedRate(() => running, { periodMs: 10, scheduler: ts }),
        '^--!',
      ).toBe('---');
      expectSubscriptions(running.subscriptions).toBe('^--!');
      // Unsubscribed between ticks: no later tick starts.
      const between = cold('--a|');
      expectObservable(
        fixedRate(() => between, { periodMs: 10, scheduler: ts }),
        '^-------!',
      ).toBe('--a------');
      expectSubscriptions(between.subscriptions).toBe('^--!');
      const failing = cold('--#', undefined, new Error('fetch failed'));
      expectObservable(fixedRate(() => failing, { periodMs: 10, scheduler: ts })).toBe(
        '--#',
        undefined,
        new Error('fetch failed'),
      );
    });
  });

  it('rejects a missing period and unknown options', () => {
    expect(() => fixedRate(() => [], { periodMs: 0 })).toThrow(InvalidOptionError);
    expect(() => fixedRate(() => [], { periodMs: 10, period: 5 } as never)).toThrow(/did you mean `periodMs`/);
  });
});
