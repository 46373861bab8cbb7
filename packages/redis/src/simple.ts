import {
  deadLetterHeaders,
  HEADERS,
  InvalidOptionError,
  resendHeaders,
  type Codec,
  type Connector,
  type DeadLetterRequest,
  type OpenContext,
  type ResendRequest,
} from '@rxq/core';
import type { Redis } from 'ioredis';
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import { Connections, connectionName, DEFAULT_URL, translate, type RedisConnection } from './connection.js';
import { uniqueId, wrap } from './envelope.js';
import { listMessage, type ListDelivery } from './listMessage.js';
import { DELAY, MULTI_POP, PROMOTE } from './script.js';
import { RedisSession } from './session.js';
import { checkOptions, KNOWN } from './options.js';
import { codecOption, duration, nonEmpty } from '@rxq/core/kit';
import { keySlot, keyStem } from './keys.js';

const noop = (): void => undefined;

/** Options of {@link redisSimpleList}. `T` is the body type of the codec. */
export interface RedisSimpleListOptions<T = unknown> {
  /**
   * A Redis URL (`redis://[[user]:password@]host:port[/db]`, `rediss://` for TLS) or an ioredis
   * client (5.x or 6.x), used as it is and never closed by rxq.
   * @default 'redis://127.0.0.1:6379'
   */
  readonly connection?: RedisConnection;
  /**
   * Node's TLS options for a connection rxq makes from the URL (as `redis()`'s `tls`); an
   * error beside a client passed as `connection`.
   * @default none
   */
  readonly tls?: ConnectionOptions;
  /** How payloads are decoded; its body type is the messages' body type. @default json */
  readonly codec?: Codec<T>;
  /**
   * The list dead letters go to.
   * @default `${queue}:dead` for the queue the message came from (`{queue}:dead` on a cluster)
   */
  readonly deadLetterKey?: string;
  /** How long a receive blocks (`BLPOP`) on empty queues before it reports nothing. @default 1_000 */
  readonly blockMs?: number;
}

/**
 * The options of {@link redisSimpleList}.
 * @deprecated Renamed {@link RedisSimpleListOptions}.
 */
export type RedisSimpleOptions<T = unknown> = RedisSimpleListOptions<T>;

interface SimpleSettings {
  readonly queues: readonly string[];
  /** Each queue's key stem (`<stem>:delayed`, `<stem>:dead`), by queue name: see {@link keyStem}. */
  readonly stems: ReadonlyMap<string, string>;
  readonly deadLetterKey: string | undefined;
  readonly blockMs: number;
}

/**
 * One or more Redis lists consumed the way older Redis subscribers did: `LPOP key count` as far as
 * the credit goes, `BLPOP` (on all the keys) when they are empty.
 *
 * **At-most-once.** A message is removed from Redis the moment it is read: if the process dies, or
 * the connection drops while a reply is on its way, the messages it held are gone. `ack` does
 * nothing; `nack`/release push the message back (best effort: a crash in between loses it); resend
 * pushes an enveloped copy with attempt + 1 (after a delay, through `<queue>:delayed`); dead letters
 * go to `<queue>:dead`. Use the default reliable mode of {@link redis} when a message must not be
 * lost.
 *
 * @example
 * fromQueue(redisSimpleList(['emails', 'sms']), { maxInFlight: 100 })
 *   .pipe(handle(send, { concurrency: 10 }), ack())
 *   .subscribe();
 */
export function redisSimpleList<T = unknown>(
  queues: string | readonly string[],
  options: RedisSimpleListOptions<T> = {},
): Connector<ListDelivery, T> {
  checkOptions(options, KNOWN.redisSimpleList);
  codecOption(options.codec, { encode: true });
  const list: readonly unknown[] = typeof queues === 'string' ? [queues] : Array.isArray(queues) ? queues : [];
  if (list.length === 0) throw new InvalidOptionError('queues', 'a key name or a non-empty array of them', queues);
  const names = list.map((q, i) => nonEmpty(`queues[${i}]`, q));
  const label = names.join(',');
  const connections = new Connections(options.connection ?? DEFAULT_URL, label, options.tls);
  // One BLPOP (and one script) reads every list: on a cluster they must share a slot.
  if (connections.cluster && names.some((q) => keySlot(q) !== keySlot(names[0] as string)))
    throw new InvalidOptionError(
      'queues',
      'on a Redis Cluster, lists of one slot (one hash tag: `{app}emails`, `{app}sms`), or one source per list merged',
      names,
    );
  const settings: SimpleSettings = {
    queues: names,
    stems: new Map(names.map((q, i) => [q, keyStem(q, connections.cluster, `queues[${i}]`)])),
    deadLetterKey:
      options.deadLetterKey === undefined ? undefined : nonEmpty('deadLetterKey', options.deadLetterKey, ''),
    blockMs: duration('blockMs', options.blockMs, 1_000, 10),
  };
  const connector: Connector<ListDelivery, T> = {
    name: label,
    system: 'redis',
    async open(context) {
      const cmd = await connections.acquire(context.logger);
      let blk: Redis | undefined;
      try {
        const id = `${hostname()}-${process.pid}-${uniqueId()}`;
        blk = await connections.blocking(cmd, connectionName('rxq', label, id), settings.queues[0] as string);
        await Promise.all(settings.queues.map((q) => PROMOTE.run(cmd, [delayedKey(settings, q), q])));
        return new SimpleSession(cmd, blk, context, connections, settings, id);
      } catch (error) {
        blk?.disconnect();
        await connections.release();
        throw translate(error, 'opening the queue');
      }
    },
  };
  return options.codec === undefined ? connector : { ...connector, defaultCodec: options.codec };
}

/**
 * The at-most-once list source.
 * @deprecated Renamed {@link redisSimpleList}, which says what it promises.
 */
export const redisList: typeof redisSimpleList = redisSimpleList;

/** The delayed set of a queue: `<stem>:delayed`. */
function delayedKey(settings: SimpleSettings, queue: string): string {
  return `${settings.stems.get(queue) ?? queue}:delayed`;
}

/** What a pop brought: the elements and the queue each came from (one name for all, or one each). */
interface Popped {
  readonly elements: readonly Buffer[];
  readonly sources: string | readonly string[];
}
const NOTHING: Popped = { elements: [], sources: [] };

class SimpleSession extends RedisSession<ListDelivery, Popped> {
  private seq = 0;
  private start = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    cmd: Redis,
    blk: Redis,
    context: OpenContext,
    connections: Connections,
    private readonly settings: SimpleSettings,
    private readonly id: string,
  ) {
    super(cmd, blk, context, connections);
    this.timer = setInterval(() => void this.promote(), 1_000);
    this.timer.unref();
  }

  protected async fetch(max: number): Promise<Popped> {
    const { queues, blockMs } = this.settings;
    const popped = await this.pop(max);
    if (popped.elements.length > 0 || this.stopped) return popped;
    const got = (await this.blk.callBuffer('blpop', ...queues, blockMs / 1000)) as [Buffer, Buffer] | null;
    if (got === null) return NOTHING;
    const source = got[0].toString();
    const rest = max === 1 ? NOTHING : await this.pop(max - 1);
    const sources = typeof rest.sources === 'string' ? rest.elements.map(() => rest.sources as string) : rest.sources;
    return { elements: [got[1], ...rest.elements], sources: [source, ...sources] };
  }

  private async pop(max: number): Promise<Popped> {
    const { queues } = this.settings;
    if (queues.length === 1) {
      const q = queues[0] as string;
      const items = (await this.cmd.callBuffer('lpop', q, max)) as Buffer[] | null;
      return items === null ? NOTHING : { elements: items, sources: q };
    }
    // Rotate the starting key so that one busy queue does not starve the others.
    const order = queues.map((_, i) => queues[(i + this.start) % queues.length] as string);
    this.start = (this.start + 1) % queues.length;
    const flat = (await MULTI_POP.run(this.cmd, order, [max])) as (number | Buffer)[];
    const elements: Buffer[] = [];
    const sources: string[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      sources.push(order[(flat[i] as number) - 1] as string);
      elements.push(flat[i + 1] as Buffer);
    }
    return { elements, sources };
  }

  protected deliver({ elements, sources }: Popped): ListDelivery[] {
    const out = new Array<ListDelivery>(elements.length);
    for (let i = 0; i < elements.length; i++) {
      const source = typeof sources === 'string' ? sources : (sources[i] as string);
      out[i] = listMessage(elements[i] as Buffer, source, this.id, ++this.seq);
    }
    return out;
  }

  /** Nothing to do: the message left Redis when it was read. */
  ack(): void {}

  requeue(d: ListDelivery): Promise<void> {
    const headers = { ...d.headers, [HEADERS.attempt]: String(d.attempt + 1) };
    return this.settled(this.cmd.rpush(d.source, wrap(d.payload, headers)).then(noop));
  }

  resend(d: ListDelivery, request: ResendRequest): Promise<void> {
    const copy = wrap(d.payload, resendHeaders(d.headers, request));
    if (request.delayMs <= 0) return this.settled(this.cmd.rpush(d.source, copy).then(noop));
    setTimeout(() => void this.promote(), request.delayMs + 1).unref();
    return this.settled(
      DELAY.run(this.cmd, [delayedKey(this.settings, d.source), d.source], [request.delayMs, copy]).then(noop),
    );
  }

  deadLetter(d: ListDelivery, request: DeadLetterRequest): Promise<void> {
    const letter = wrap(d.payload, deadLetterHeaders(d.headers, request, d.source));
    return this.settled(
      this.cmd
        .rpush(this.settings.deadLetterKey ?? `${this.settings.stems.get(d.source) ?? d.source}:dead`, letter)
        .then(noop),
    );
  }

  release(ds: readonly ListDelivery[]): Promise<void> {
    if (ds.length === 0) return Promise.resolve();
    const pipeline = this.cmd.pipeline();
    for (let i = ds.length - 1; i >= 0; i--)
      pipeline.lpush((ds[i] as ListDelivery).source, (ds[i] as ListDelivery).element);
    return this.settled(pipeline.exec().then(noop));
  }

  private async promote(): Promise<void> {
    if (this.state === 'closed') return;
    await Promise.all(this.settings.queues.map((q) => PROMOTE.run(this.cmd, [delayedKey(this.settings, q), q]))).catch(
      () => undefined,
    );
  }

  protected async giveBack(popped: Popped): Promise<void> {
    if (popped.elements.length > 0) await this.release(this.deliver(popped));
  }

  protected flushWrites(): Promise<void> {
    return Promise.resolve();
  }

  protected retire(): Promise<void> {
    clearInterval(this.timer);
    return Promise.resolve();
  }
}
