import { filter, firstValueFrom, tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { identity } from './codec.js';
import type { Connector, Delivery, OpenContext, Session } from './connector.js';
import { ConnectionLostError, RxqError } from './errors.js';
import { fromQueue, type QueueObservable, type SourceStatus } from './fromQueue.js';
import type { Message } from './message.js';
import { collectAll, collectUntil } from './testing/collect.js';

/**
 * A session the test drives: `push` hands deliveries to the pending (or next) receive, `fail`
 * rejects the pending receive. It records what the source asks of it.
 */
class Scripted implements Session {
  readonly acked: string[] = [];
  /** `context.inFlight` as each ack call saw it. */
  readonly inFlightAtAck: number[] = [];
  readonly released: string[] = [];
  closed = false;
  private readonly ready: Delivery[] = [];
  private pending: { resolve: (ds: readonly Delivery[]) => void; reject: (e: unknown) => void } | undefined;
  private receiving: (() => void) | undefined;
  private next = 0;

  constructor(
    readonly context: OpenContext,
    readonly name: string,
  ) {}

  push(count: number): void {
    for (let i = 0; i < count; i++) {
      const id = `${this.name}-${this.next++}`;
      this.ready.push({ id, payload: id, attempt: 1, source: 'scripted' });
    }
    this.hand();
  }

  /** Resolves once a receive is waiting. */
  waitingReceive(): Promise<void> {
    if (this.pending) return Promise.resolve();
    return new Promise((resolve) => (this.receiving = resolve));
  }

  fail(error: unknown): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }

  receive(max: number): Promise<readonly Delivery[]> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve: (ds) => resolve(ds.slice(0, max)), reject };
      this.hand(max);
      const receiving = this.receiving;
      this.receiving = undefined;
      if (this.pending) receiving?.();
    });
  }

  ack(d: Delivery): void {
    this.inFlightAtAck.push(this.context.inFlight);
    this.acked.push(d.id);
  }
  requeue(d: Delivery): void {
    this.released.push(d.id);
  }
  async resend(): Promise<void> {}
  async deadLetter(): Promise<void> {}
  async release(ds: readonly Delivery[]): Promise<void> {
    this.released.push(...ds.map((d) => d.id));
  }
  async close(): Promise<void> {
    this.closed = true;
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve([]);
  }

  private hand(max = Infinity): void {
    if (!this.pending || this.ready.length === 0) return;
    const pending = this.pending;
    this.pending = undefined;
    pending.resolve(this.ready.splice(0, Math.min(max, this.ready.length)));
  }
}

/**
 * A connector whose n-th open runs `opens[n]` (given the context and a fresh session), and whose
 * opens past the script reject with a non-retryable error: an unexpected reopen ends the stream.
 */
function scripted(...opens: ((context: OpenContext, session: Scripted) => Promise<Session>)[]) {
  const sessions: Scripted[] = [];
  const connector: Connector<Delivery, string> = {
    name: 'scripted',
    defaultCodec: identity as never,
    async open(context) {
      const step = opens[sessions.length];
      const session = new Scripted(context, `s${sessions.length + 1}`);
      sessions.push(session);
      if (step === undefined) throw new RxqError('UNEXPECTED', 'opened once more than the script says');
      return step(context, session);
    },
  };
  return { connector, sessions };
}

const fast = { reconnect: { initialMs: 1, maxMs: 2 } };
const opened = async (_: OpenContext, s: Scripted): Promise<Session> => s;
const statusOf = (source: QueueObservable<unknown>, status: SourceStatus): Promise<unknown> =>
  firstValueFrom(source.status$.pipe(filter((e) => e.status === status)));
/** A turn of the event loop: lets a connector's callbacks (a close event) come in between. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('fromQueue: one loss per session, through one channel', () => {
  it('a loss reported while open is pending gives way to the open rejecting: a non-retryable one ends the stream', async () => {
    const missing = new RxqError('NOT_FOUND', 'no such queue', { retryable: false });
    const { connector, sessions } = scripted(async (context) => {
      // A missing queue: the broker closes the channel (reported as a loss), then the open fails.
      await turn();
      context.lost(new ConnectionLostError('channel closed'));
      await turn();
      throw missing;
    });
    const source = fromQueue(connector, fast);
    const error: unknown = await collectAll(source).catch((e: unknown) => e);
    expect(error).toBe(missing);
    expect(sessions).toHaveLength(1);
  });

  it('a loss reported while open is pending, whose open then resolves, closes that session and opens another', async () => {
    const { connector, sessions } = scripted(
      async (context, s) => {
        await turn();
        context.lost(new ConnectionLostError('closed while opening'));
        return s;
      },
      async (_, s) => {
        s.push(1);
        return s;
      },
    );
    const source = fromQueue(connector, fast);
    const seen: SourceStatus[] = [];
    source.status$.subscribe((e) => seen.push(e.status));
    const [m] = await collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 1);
    expect(m?.id).toBe('s2-0');
    expect(sessions[0]?.closed).toBe(true);
    expect(sessions).toHaveLength(2);
    expect(seen.slice(0, 4)).toEqual(['idle', 'connecting', 'reconnecting', 'connected']);
  });

  it('a loss after open wins over the receive that rejects after it, non-retryable or not', async () => {
    const { connector, sessions } = scripted(opened, async (_, s) => {
      s.push(1);
      return s;
    });
    const source = fromQueue(connector, fast);
    const all = collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 1);
    await statusOf(source, 'connected');
    const first = sessions[0] as Scripted;
    await first.waitingReceive();
    first.context.lost(new ConnectionLostError('connection closed'));
    first.fail(new RxqError('NOT_FOUND', 'the receive failed after the loss', { retryable: false }));
    const [m] = await all;
    expect(m?.id).toBe('s2-0');
    expect(first.closed).toBe(true);
  });

  it('a loss reported by a session that was replaced does not end the one that replaced it', async () => {
    const { connector, sessions } = scripted(opened, opened);
    const source = fromQueue(connector, fast);
    const all = collectUntil(source.pipe(tap((m) => void m.ack())), (ms) => ms.length === 1);
    await statusOf(source, 'connected');
    const [first] = sessions as [Scripted];
    first.context.lost(new ConnectionLostError('connection closed'));
    const second = await new Promise<Scripted>((resolve) => {
      source.status$.pipe(filter((e) => e.status === 'connected')).subscribe(() => {
        if (sessions[1]) resolve(sessions[1]);
      });
    });
    // Twice more, from the old session: neither reaches the new one.
    first.context.lost(new ConnectionLostError('closed again'));
    first.context.lost(new ConnectionLostError('and again'));
    second.push(1);
    const [m] = await all;
    expect(m?.id).toBe('s2-0');
    expect(second.closed).toBe(false);
    expect(sessions).toHaveLength(2);
  });
});

describe('fromQueue: each session sees its own in-flight count', () => {
  it('counts what it emitted until settled, keeps a lost session its own count, and empties it on release', async () => {
    const { connector, sessions } = scripted(
      async (_, s) => {
        s.push(3);
        return s;
      },
      async (_, s) => {
        s.push(2);
        return s;
      },
    );
    const source = fromQueue(connector, { ...fast, maxInFlight: 10 });
    const emitted: Message<string>[] = [];
    const waiting = new Map<number, () => void>();
    const emittedCount = (n: number): Promise<void> =>
      emitted.length >= n ? Promise.resolve() : new Promise((resolve) => waiting.set(n, resolve));
    const subscription = source.subscribe((m) => {
      emitted.push(m);
      waiting.get(emitted.length)?.();
    });
    await emittedCount(3);
    const first = sessions[0] as Scripted;
    expect(first.context.inFlight).toBe(3);
    await emitted[0]?.ack();
    expect(first.inFlightAtAck).toEqual([2]);
    expect(first.context.inFlight).toBe(2);

    // Lost with two unsettled: they stay counted on the first session, not on the second.
    let firstSettled = false;
    void first.context.settled().then(() => (firstSettled = true));
    first.context.lost(new ConnectionLostError('connection closed'));
    await emittedCount(5);
    const second = sessions[1] as Scripted;
    expect(second.context.inFlight).toBe(2);
    expect(first.context.inFlight).toBe(2);
    expect(firstSettled).toBe(false);
    await emitted[1]?.ack();
    await emitted[2]?.ack();
    await first.context.settled();
    expect(first.context.inFlight).toBe(0);
    expect(first.acked).toEqual(['s1-0', 's1-1', 's1-2']);

    // An unsubscribe releases what did not settle; the second session's count falls to zero with it.
    const closed = statusOf(source, 'closed');
    subscription.unsubscribe();
    await closed;
    await second.context.settled();
    expect(second.context.inFlight).toBe(0);
    expect([...second.released].sort()).toEqual(['s2-0', 's2-1']);
  });
});
