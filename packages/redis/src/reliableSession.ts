export type { ListDelivery } from './listMessage.js';
import {
  deadLetterHeaders,
  HEADERS,
  resendHeaders,
  type DeadLetterRequest,
  type OpenContext,
  type ResendRequest,
} from '@rxq/core';
import type { Redis } from 'ioredis';
import { connectionName, translate, type Connections } from './connection.js';
import { wrap } from './envelope.js';
import { listMessage, type ListDelivery } from './listMessage.js';
import { OpBatch, packed } from './opBatch.js';
import { HEARTBEAT, PROMOTE, PULL, RECOVER, RETIRE, SETTLE, SETTLE_PULL } from './script.js';
import { RedisSession } from './session.js';

/** Settings a reliable session runs with. */
export interface ReliableSettings {
  readonly queue: string;
  /** What the queue's own keys start with (`<stem>:processing:<id>`, …): see `keyStem` in keys.ts. */
  readonly stem: string;
  readonly deadLetterKey: string;
  readonly blockMs: number;
  readonly consumerTtlMs: number;
  readonly consumerName: string;
}

/** A reliable-list session: one consumer id, its processing list and heartbeat. */
export class ReliableSession extends RedisSession<ListDelivery, Buffer[]> {
  private readonly writes: OpBatch;
  private readonly keys: readonly string[];
  private seq = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly delays = new Set<NodeJS.Timeout>();
  private busy = false;
  private nextRecover = 0;
  private nextBeat = 0;

  static async open(
    connections: Connections,
    context: OpenContext,
    settings: ReliableSettings,
    id: string,
  ): Promise<ReliableSession> {
    const cmd = await connections.acquire(context.logger);
    let blk: Redis | undefined;
    try {
      blk = await connections.blocking(cmd, connectionName('rxq', settings.queue, id), settings.queue);
      const { queue, stem, consumerTtlMs } = settings;
      await HEARTBEAT.run(cmd, [`${stem}:consumers:${id}`, `${stem}:consumers`], [consumerTtlMs, id]);
      const recovered = await RECOVER.run(cmd, [`${stem}:consumers`, queue], [stem, `${id}:`]);
      logRecovered(context, recovered);
      await PROMOTE.run(cmd, [`${stem}:delayed`, queue]);
    } catch (error) {
      blk?.disconnect();
      await connections.release();
      throw translate(error, 'opening the queue');
    }
    return new ReliableSession(cmd, blk, context, connections, settings, id);
  }

  private constructor(
    cmd: Redis,
    blk: Redis,
    private readonly context: OpenContext,
    connections: Connections,
    private readonly settings: ReliableSettings,
    private readonly id: string,
  ) {
    super(cmd, blk, context, connections);
    const { queue, stem } = settings;
    this.keys = [`${stem}:processing:${id}`, queue, `${stem}:delayed`, settings.deadLetterKey];
    this.writes = new OpBatch((ops) => SETTLE.run(this.cmd, this.keys, packed(ops)));
    const now = Date.now();
    this.nextBeat = now + settings.consumerTtlMs / 3;
    this.nextRecover = now + settings.consumerTtlMs / 2;
    this.timer = setInterval(() => void this.tick(), Math.min(1_000, settings.consumerTtlMs / 3));
    this.timer.unref();
  }

  private get queue(): string {
    return this.settings.queue;
  }

  /** Pulls up to `max`, with the settlements waiting to be written riding along. */
  private async pull(max: number): Promise<Buffer[]> {
    const pending = this.writes.writer.take();
    // Settlements made while this read is out wait for the next read rather than a call of their own.
    this.writes.writer.hold();
    try {
      return await this.pullWith(pending, max);
    } finally {
      this.writes.writer.unhold();
    }
  }

  private async pullWith(pending: ReturnType<OpBatch['writer']['take']>, max: number): Promise<Buffer[]> {
    if (pending === undefined)
      return (await PULL.run(this.cmd, [this.keys[1] as string, this.keys[0] as string], [max])) as Buffer[];
    try {
      const items = (await SETTLE_PULL.run(this.cmd, this.keys, [...packed(pending.batch), max])) as Buffer[];
      pending.done();
      return items;
    } catch (error) {
      pending.done(error);
      throw error;
    }
  }

  protected async fetch(max: number): Promise<Buffer[]> {
    const [proc, queue] = this.keys as [string, string];
    const items = await this.pull(max);
    if (items.length > 0 || this.stopped) return items;
    const first = (await this.blk.callBuffer(
      'blmove',
      queue,
      proc,
      'LEFT',
      'RIGHT',
      this.settings.blockMs / 1000,
    )) as Buffer | null;
    if (first === null) return [];
    if (max === 1) return [first];
    const rest = await this.pull(max - 1);
    rest.unshift(first);
    return rest;
  }

  protected deliver(items: Buffer[]): ListDelivery[] {
    const out = new Array<ListDelivery>(items.length);
    for (let i = 0; i < items.length; i++) out[i] = listMessage(items[i] as Buffer, this.queue, this.id, ++this.seq);
    return out;
  }

  ack(d: ListDelivery): Promise<void> {
    return this.settled(this.writes.add('a', d.element));
  }

  requeue(d: ListDelivery): Promise<void> {
    const headers = { ...d.headers, [HEADERS.attempt]: String(d.attempt + 1) };
    return this.settled(this.writes.add('t', d.element, wrap(d.payload, headers)));
  }

  resend(d: ListDelivery, request: ResendRequest): Promise<void> {
    const copy = wrap(d.payload, resendHeaders(d.headers, request));
    if (request.delayMs <= 0) return this.settled(this.writes.add('t', d.element, copy));
    // Promote it when due, should this consumer be the one still around.
    const timer = setTimeout(() => {
      this.delays.delete(timer);
      void PROMOTE.run(this.cmd, [this.keys[2] as string, this.queue]).catch(() => undefined);
    }, request.delayMs + 1);
    timer.unref();
    this.delays.add(timer);
    return this.settled(this.writes.add('d', d.element, copy, Buffer.from(String(request.delayMs))));
  }

  deadLetter(d: ListDelivery, request: DeadLetterRequest): Promise<void> {
    const letter = wrap(d.payload, deadLetterHeaders(d.headers, request, this.queue));
    return this.settled(this.writes.add('x', d.element, letter));
  }

  release(ds: readonly ListDelivery[]): Promise<void> {
    if (ds.length === 0) return Promise.resolve();
    // Back to the head in their order: the last one first. A long list may span several batches.
    const batches = new Set<Promise<void>>();
    for (let i = ds.length - 1; i >= 0; i--) batches.add(this.writes.add('h', (ds[i] as ListDelivery).element));
    return this.settled(Promise.all(batches).then(() => undefined));
  }

  /** Heartbeat, promotion of due delayed messages, recovery of dead consumers' lists. */
  private async tick(): Promise<void> {
    if (this.busy || this.state === 'closed') return;
    this.busy = true;
    const { queue, stem, consumerTtlMs } = this.settings;
    const now = Date.now();
    try {
      if (now >= this.nextBeat) {
        this.nextBeat = now + consumerTtlMs / 3;
        await HEARTBEAT.run(this.cmd, [`${stem}:consumers:${this.id}`, `${stem}:consumers`], [consumerTtlMs, this.id]);
      }
      await PROMOTE.run(this.cmd, [`${stem}:delayed`, queue]);
      if (now >= this.nextRecover && this.state === 'open') {
        this.nextRecover = now + consumerTtlMs / 2;
        const recovered = await RECOVER.run(this.cmd, [`${stem}:consumers`, queue], [stem, `${this.id}:`]);
        logRecovered(this.context, recovered);
      }
    } catch (error) {
      // A lost connection is reported by the close event; the next tick tries again.
      this.context.logger.debug({ cause: translate(error, 'the heartbeat').message }, 'heartbeat failed');
    } finally {
      this.busy = false;
    }
  }

  protected giveBack(): Promise<void> {
    // The elements stay in the processing list; retire puts them back at the head, as they were.
    return Promise.resolve();
  }

  protected flushWrites(): Promise<void> {
    return this.writes.writer.flush();
  }

  protected async retire(): Promise<void> {
    clearInterval(this.timer);
    for (const t of this.delays) clearTimeout(t);
    this.delays.clear();
    const { queue, stem } = this.settings;
    await RETIRE.run(
      this.cmd,
      [this.keys[0] as string, queue, `${stem}:consumers:${this.id}`, `${stem}:consumers`],
      [this.id],
    );
  }
}

/** Logs how many messages a recovery pass moved back from dead consumers' processing lists. */
function logRecovered(context: OpenContext, moved: unknown): void {
  if (typeof moved === 'number' && moved > 0)
    context.logger.warn(
      { recovered: moved },
      "moved a dead consumer's unsettled messages back to the queue (attempt + 1)",
    );
}
