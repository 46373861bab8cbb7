import { filter, firstValueFrom, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Connector, Delivery, Session } from './connector.js';
import { fromQueue, type QueueObservable } from './fromQueue.js';
import type { Message } from './message.js';
import { identity } from './codec.js';

/** A push-style session: a receive waits until `deliver` or `stopIntake`; records what it is asked. */
function pushSource() {
  const calls: string[] = [];
  let waiting: ((ds: readonly Delivery[]) => void) | undefined;
  let id = 0;
  const deliver = (): void => {
    const wake = waiting;
    waiting = undefined;
    wake?.([{ id: String(++id), payload: id, attempt: 1, source: 'push' }]);
  };
  let deadLetterDone!: () => void;
  const session: Session = {
    receive: () => new Promise((resolve) => (waiting = resolve)),
    ack: () => void calls.push('ack'),
    requeue: () => void calls.push('requeue'),
    resend: async () => undefined,
    deadLetter: () => new Promise<void>((resolve) => (deadLetterDone = () => (calls.push('dead'), resolve()))),
    release: async (ds) => void calls.push(`release ${ds.length}`),
    stopIntake: () => {
      calls.push('stopIntake');
      waiting?.([]);
      waiting = undefined;
    },
    close: async () => void calls.push('close'),
  };
  const connector: Connector = { name: 'push', defaultCodec: identity, open: async () => session };
  return { connector, calls, deliver, finishDeadLetter: () => deadLetterDone() };
}

/** Once connected, the source is waiting in `receive` (the push session drops what comes before). */
const connected = (source: QueueObservable<number>): Promise<unknown> =>
  firstValueFrom(source.status$.pipe(filter((e) => e.status === 'connected')));

describe('fromQueue with a session that has stopIntake', () => {
  it('stops the intake when a graceful stop begins, so a late delivery is never released', async () => {
    const { connector, calls, deliver } = pushSource();
    const stop = new Subject<void>();
    const source = fromQueue<number>(connector, { stop, drainTimeoutMs: 1_000 });
    const held: Message<number>[] = [];
    source.subscribe((m) => void held.push(m));
    await connected(source);
    deliver();
    await expect.poll(() => held.length).toBe(1);
    stop.next();
    // Like a broker with a prefetch: the ack frees room and the next message is pushed at once.
    await held[0]!.ack();
    deliver();
    await source.stop();
    expect(calls.indexOf('stopIntake')).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf('stopIntake')).toBeLessThan(calls.indexOf('ack'));
    expect(source.metrics.snapshot()).toMatchObject({ received: 1, acked: 1, released: 0 });
  });

  it('stop() waits for a run an unsubscribe is still closing, with its settlements written', async () => {
    const { connector, calls, deliver, finishDeadLetter } = pushSource();
    const source = fromQueue<number>(connector);
    const sub = source.subscribe((m) => void m.deadLetter('nope'));
    await connected(source);
    deliver();
    await expect.poll(() => source.metrics.snapshot().deadLettered).toBe(1);
    sub.unsubscribe();
    const stopping = source.stop().then(() => void calls.push('stopped'));
    // The write ends a turn of the event loop later: a stop that did not wait for it would have
    // closed the session and resolved in the microtasks before.
    setImmediate(finishDeadLetter);
    await stopping;
    expect(calls.slice(-3)).toEqual(['dead', 'close', 'stopped']);
  });
});
