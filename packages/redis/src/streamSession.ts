import {
  attemptOf,
  deadLetterHeaders,
  HEADERS,
  resendHeaders,
  type DeadLetterRequest,
  type OpenContext,
  type ResendRequest,
} from '@rxq/core';
import type { Redis } from 'ioredis';
import type { Connections } from './connection.js';
import { uniqueId } from './envelope.js';
import { RedisSession } from './session.js';
import { OpBatch } from './opBatch.js';
import { StreamDelivery } from './streamDelivery.js';
import { RECLAIM, XMOVE, XPROMOTE } from './streamScript.js';

type RawEntry = [Buffer, Buffer[]];
interface Fetched {
  readonly entries: readonly RawEntry[];
  /** Delivery counts, for reclaimed entries. */
  readonly counts?: readonly number[];
}

const noop = (): void => undefined;
const NONE: Fetched = { entries: [] };

/** Settings a stream session runs with. */
export interface StreamSettings {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly bodyField: string;
  readonly minIdleMs: number;
  readonly blockMs: number;
  readonly deadLetterKey: string;
  /** The sorted set delayed resends wait in: `<stem>:delayed` (see `keyStem` in keys.ts). */
  readonly delayedKey: string;
}

/** A consumer-group session on one stream. */
export class StreamSession extends RedisSession<StreamDelivery, Fetched> {
  /** Entry ids to XACK, as strings: ioredis writes an all-string command in one piece. */
  private readonly acks: OpBatch<string>;
  private nextReclaim = 0;
  private cursor = '0-0';
  private readonly bodyField: Buffer;
  private readonly timer: NodeJS.Timeout;

  constructor(
    cmd: Redis,
    blk: Redis,
    context: OpenContext,
    connections: Connections,
    private readonly settings: StreamSettings,
  ) {
    super(cmd, blk, context, connections);
    this.bodyField = Buffer.from(settings.bodyField);
    // Native XACK, many ids per call: cheaper for Redis (one thread for every client) than a script.
    this.acks = new OpBatch<string>((ops) => this.xack(ops.parts));
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
    // Acks waiting to be written go out just before a read that does not block, on the same
    // connection: one round trip. Their outcome goes to their settlements, the read's to the receive.
    const pending = this.acks.writer.take();
    if (pending) this.xack(pending.batch.parts).then(() => pending.done(), pending.done);
    // Settlements made while the read is out wait for the next read rather than a call of their own.
    this.acks.writer.hold();
    let ready: readonly RawEntry[] | undefined;
    try {
      ready = await this.read(this.cmd, max);
    } finally {
      this.acks.writer.unhold();
    }
    if (ready !== undefined && ready.length > 0) return { entries: ready };
    if (this.stopped) return NONE;
    const entries = await this.read(this.blk, max, blockMs);
    return entries === undefined ? NONE : { entries };
  }

  /** `XREADGROUP` of new entries, up to `max`; with `blockMs`, waits that long for some. */
  private async read(connection: Redis, max: number, blockMs?: number): Promise<readonly RawEntry[] | undefined> {
    const { stream, group, consumer } = this.settings;
    const block = blockMs === undefined ? [] : ['BLOCK', blockMs];
    const args = ['GROUP', group, consumer, 'COUNT', max, ...block, 'STREAMS', stream, '>'];
    const reply = (await connection.callBuffer('xreadgroup', ...args)) as [Buffer, RawEntry[]][] | null;
    return reply?.[0]?.[1];
  }

  /** XACK of many ids, at most 1,000 per call. */
  private xack(ids: readonly string[]): Promise<void> {
    const { stream, group } = this.settings;
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < ids.length; i += 1000) calls.push(this.cmd.xack(stream, group, ...ids.slice(i, i + 1000)));
    return (calls.length === 1 ? (calls[0] as Promise<unknown>) : Promise.all(calls)).then(noop);
  }

  protected deliver({ entries, counts }: Fetched): StreamDelivery[] {
    const { stream } = this.settings;
    const body = this.bodyField;
    return entries.map(([rawId, fields], i) => {
      const id = rawId.toString();
      let payload: Buffer | undefined;
      let headers: Record<string, string> | undefined;
      for (let f = 0; f + 1 < fields.length; f += 2) {
        const field = fields[f] as Buffer;
        // Compared as bytes: no string per entry for the usual lone body field.
        if (field.equals(body)) payload = fields[f + 1];
        else (headers ??= {})[field.toString()] = (fields[f + 1] as Buffer).toString();
      }
      const count = counts?.[i] ?? 1;
      const kept = headers === undefined && payload !== undefined ? body : fields;
      return new StreamDelivery(id, payload, attemptOf(headers) + count - 1, stream, headers, kept);
    });
  }

  ack(d: StreamDelivery): Promise<void> {
    return this.settled(this.acks.add('a', d.id));
  }

  requeue(d: StreamDelivery): Promise<void> {
    const { stream, group, consumer, minIdleMs } = this.settings;
    // Leave it pending but idle enough to be claimed again at once (by the next reclaim pass).
    this.nextReclaim = 0;
    this.cursor = '0-0';
    return this.settled(this.cmd.xclaim(stream, group, consumer, 0, d.id, 'IDLE', minIdleMs, 'JUSTID').then(noop));
  }

  resend(d: StreamDelivery, request: ResendRequest): Promise<void> {
    return this.settled(
      this.move(d, this.settings.stream, resendHeaders(undefined, request), request.delayMs).then(noop),
    );
  }

  deadLetter(d: StreamDelivery, request: DeadLetterRequest): Promise<void> {
    const own = deadLetterHeaders(undefined, request, this.settings.stream);
    return this.settled(this.move(d, this.settings.deadLetterKey, own, 0).then(noop));
  }

  release(ds: readonly StreamDelivery[]): Promise<void> {
    const moves = ds.map((d) => this.move(d, this.settings.stream, { [HEADERS.attempt]: String(d.attempt) }, 0));
    return this.settled(Promise.all(moves).then(noop));
  }

  /**
   * XACK, then XADD to `target` (or to the delayed set) — atomically, only if still pending. The
   * copy is the body field, then every other field of the original exactly as it was (bytes, order,
   * repeated names), then rxq's own fields (`own`), which replace the original's of the same name.
   */
  private move(
    d: StreamDelivery,
    target: string,
    own: Readonly<Record<string, string>>,
    delayMs: number,
  ): Promise<unknown> {
    const { stream, group, bodyField } = this.settings;
    const payload = d.payload ?? Buffer.alloc(0);
    const args: (string | Buffer | number)[] = [group, d.id, Math.max(0, delayMs), delayMs > 0 ? uniqueId() : ''];
    args.push(bodyField, payload);
    const body = this.bodyField;
    for (let i = 0; i + 1 < d.raw.length; i += 2) {
      const field = d.raw[i] as Buffer;
      if (field.equals(body) || Object.hasOwn(own, field.toString('latin1'))) continue;
      args.push(field, d.raw[i + 1] as Buffer);
    }
    for (const [k, v] of Object.entries(own)) args.push(k, v);
    if (delayMs > 0) setTimeout(() => void this.promote(), delayMs + 1).unref();
    return XMOVE.run(this.cmd, [stream, target, this.settings.delayedKey], args);
  }

  private async promote(): Promise<void> {
    if (this.state === 'closed') return;
    const { stream, bodyField, delayedKey } = this.settings;
    await XPROMOTE.run(this.cmd, [delayedKey, stream], [bodyField]).catch(() => undefined);
  }

  protected async giveBack(fetched: Fetched): Promise<void> {
    await this.release(this.deliver(fetched));
  }

  protected flushWrites(): Promise<void> {
    return this.acks.writer.flush();
  }

  protected retire(): Promise<void> {
    clearInterval(this.timer);
    return Promise.resolve();
  }
}
