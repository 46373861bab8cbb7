import {
  attemptOf,
  deadLetterHeaders,
  HEADERS,
  resendHeaders,
  type DeadLetterRequest,
  type Delivery,
  type OpenContext,
  type ResendRequest,
} from '@rxq/core';
import type { Redis } from 'ioredis';
import type { Connections } from './connection.js';
import { wrap } from './envelope.js';
import { RedisSession } from './session.js';
import type { StreamSettings } from './stream.js';
import { OpBatch } from './opBatch.js';
import { RECLAIM, XACK_READ, XACKS, XMOVE, XPROMOTE } from './streamScript.js';

/** A stream entry as a delivery: `id` is the entry id. */
export interface StreamDelivery extends Delivery {
  /** The body field's value; `undefined` when the entry has none (then it is dead-lettered). */
  readonly payload: Buffer | undefined;
  /** The entry id as Redis sent it. */
  readonly rawId: Buffer;
}

type RawEntry = [Buffer, Buffer[]];
interface Fetched {
  readonly entries?: readonly RawEntry[];
  /** {id, body or field list, …} from XACK_READ. */
  readonly flat?: readonly (Buffer | Buffer[])[];
  /** Delivery counts, for reclaimed entries. */
  readonly counts?: readonly number[];
}

const noop = (): void => undefined;
const NONE: Fetched = { entries: [] };

/** A consumer-group session on one stream. */
export class StreamSession extends RedisSession<StreamDelivery, Fetched> {
  private readonly acks: OpBatch;
  private nextReclaim = 0;
  private cursor = '0-0';
  private readonly timer: NodeJS.Timeout;

  constructor(
    cmd: Redis,
    blk: Redis,
    context: OpenContext,
    connections: Connections,
    private readonly settings: StreamSettings,
  ) {
    super(cmd, blk, context, connections);
    const { stream, group } = settings;
    this.acks = new OpBatch((args) => XACKS.run(this.cmd, [stream], [group, ...args]));
    this.timer = setInterval(() => void this.promote(), 1_000);
    this.timer.unref();
  }

  protected async fetch(max: number): Promise<Fetched> {
    const { stream, group, consumer, minIdleMs, blockMs } = this.settings;
    if (Date.now() >= this.nextReclaim) {
      const [cursor, entries, counts] = (await RECLAIM.run(
        this.cmd,
        [stream],
        [group, consumer, minIdleMs, this.cursor, max],
      )) as [Buffer, RawEntry[], number[]];
      this.cursor = cursor.toString();
      // Look again soon while there is more to claim, else after half the idle time.
      this.nextReclaim = this.cursor === '0-0' ? Date.now() + Math.max(50, minIdleMs / 2) : 0;
      if (entries.length > 0) return { entries, counts };
    }
    // Acks waiting to be written ride along with a read that does not block.
    const pending = this.acks.take();
    this.acks.hold();
    let ready: (Buffer | Buffer[])[];
    try {
      const args = pending?.args ?? ['', Buffer.alloc(0), ''];
      ready = (await XACK_READ.run(
        this.cmd,
        [stream],
        [group, ...args, consumer, max, this.settings.bodyField],
      )) as typeof ready;
      pending?.done();
    } catch (error) {
      pending?.done(error);
      throw error;
    } finally {
      this.acks.unhold();
    }
    if (ready.length > 0) return { flat: ready };
    if (this.stopped) return NONE;
    const reply = (await this.blk.callBuffer(
      'XREADGROUP',
      'GROUP',
      group,
      consumer,
      'COUNT',
      max,
      'BLOCK',
      blockMs,
      'STREAMS',
      stream,
      '>',
    )) as [Buffer, RawEntry[]][] | null;
    const entries = reply?.[0]?.[1];
    return entries === undefined ? NONE : { entries };
  }

  protected deliver(fetched: Fetched): StreamDelivery[] {
    const { flat } = fetched;
    if (flat === undefined) return this.deliverEntries(fetched.entries ?? [], fetched.counts);
    const out: StreamDelivery[] = [];
    const { stream } = this.settings;
    for (let i = 0; i < flat.length; i += 2) {
      const rawId = flat[i] as Buffer;
      const value = flat[i + 1] as Buffer | Buffer[];
      if (Array.isArray(value)) {
        out.push(...this.deliverEntries([[rawId, value]], undefined));
        continue;
      }
      const id = rawId.toString();
      out.push({ id, rawId, payload: value, attempt: 1, source: stream, offset: id, timestamp: parseInt(id, 10) });
    }
    return out;
  }

  private deliverEntries(entries: readonly RawEntry[], counts: readonly number[] | undefined): StreamDelivery[] {
    const { bodyField, stream } = this.settings;
    return entries.map(([rawId, fields], i) => {
      const id = rawId.toString();
      let payload: Buffer | undefined;
      let headers: Record<string, string> | undefined;
      for (let f = 0; f + 1 < fields.length; f += 2) {
        const field = (fields[f] as Buffer).toString();
        if (field === bodyField) payload = fields[f + 1];
        else (headers ??= {})[field] = (fields[f + 1] as Buffer).toString();
      }
      const count = counts?.[i] ?? 1;
      const d: { -readonly [K in keyof StreamDelivery]: StreamDelivery[K] } = {
        id,
        rawId,
        payload,
        attempt: attemptOf(headers) + count - 1,
        source: stream,
        offset: id,
        timestamp: parseInt(id, 10),
      };
      if (headers !== undefined) d.headers = headers;
      return d;
    });
  }

  ack(d: StreamDelivery): Promise<void> {
    return this.settled(1, this.acks.add('a', d.rawId));
  }

  requeue(d: StreamDelivery): Promise<void> {
    const { stream, group, consumer, minIdleMs } = this.settings;
    // Leave it pending but idle enough to be claimed again at once (by the next reclaim pass).
    this.nextReclaim = 0;
    this.cursor = '0-0';
    return this.settled(1, this.cmd.xclaim(stream, group, consumer, 0, d.id, 'IDLE', minIdleMs, 'JUSTID').then(noop));
  }

  resend(d: StreamDelivery, request: ResendRequest): Promise<void> {
    return this.settled(
      1,
      this.move(d, this.settings.stream, resendHeaders(d.headers, request), request.delayMs).then(noop),
    );
  }

  deadLetter(d: StreamDelivery, request: DeadLetterRequest): Promise<void> {
    const headers = deadLetterHeaders(d.headers, request, this.settings.stream);
    return this.settled(1, this.move(d, this.settings.deadLetterKey, headers, 0).then(noop));
  }

  release(ds: readonly StreamDelivery[]): Promise<void> {
    const moves = ds.map((d) =>
      this.move(d, this.settings.stream, { ...d.headers, [HEADERS.attempt]: String(d.attempt) }, 0),
    );
    return this.settled(ds.length, Promise.all(moves).then(noop));
  }

  /** XACK, then XADD to `target` (or to the delayed set) — atomically, only if still pending. */
  private move(
    d: StreamDelivery,
    target: string,
    headers: Readonly<Record<string, string>>,
    delayMs: number,
  ): Promise<unknown> {
    const { stream, group, bodyField } = this.settings;
    const payload = d.payload ?? Buffer.alloc(0);
    const args: (string | Buffer | number)[] = [group, d.id, Math.max(0, delayMs)];
    if (delayMs > 0) {
      args.push(wrap(payload, headers));
      setTimeout(() => void this.promote(), delayMs + 1).unref();
    } else {
      args.push('', bodyField, payload);
      for (const [k, v] of Object.entries(headers)) args.push(k, v);
    }
    return XMOVE.run(this.cmd, [stream, target, `${stream}:delayed`], args);
  }

  private async promote(): Promise<void> {
    if (this.state === 'closed') return;
    const { stream, bodyField } = this.settings;
    await XPROMOTE.run(this.cmd, [`${stream}:delayed`, stream], [bodyField]).catch(() => undefined);
  }

  protected async giveBack(fetched: Fetched): Promise<void> {
    await this.release(this.deliver(fetched).map((d) => (this.outstanding++, d)));
  }

  protected flushWrites(): Promise<void> {
    return this.acks.flush();
  }

  protected retire(): Promise<void> {
    clearInterval(this.timer);
    return Promise.resolve();
  }
}
