import { bytes } from '@rxq/core';
import { ENVELOPE_MAGIC, publishMany, publishToStream, readListEntry } from '@rxq/redis';
import * as ioredis from 'ioredis';
import type { Redis, RedisOptions } from 'ioredis';
import { BaseAdmin, count } from './base.js';
import { deadLetterOf, hashId, matcher, Pacer, redriveHeaders, selective } from './common.js';
import type {
  AdminCapabilities,
  DeadLetter,
  DeadLetterFilter,
  DeadLetters,
  ListOptions,
  PeekedMessage,
  PublishOptions,
  PurgeResult,
  QueueStats,
  ReadOptions,
  RedriveOptions,
  RedriveResult,
} from './types.js';

type RedisConstructor = new (url: string, options: RedisOptions) => Redis;
const ns = ioredis as unknown as {
  Redis?: RedisConstructor;
  default?: RedisConstructor | { Redis?: RedisConstructor };
};
const RedisClient: RedisConstructor =
  ns.Redis ?? (typeof ns.default === 'function' ? ns.default : (ns.default?.Redis as RedisConstructor));

const PAGE = 1000;

/** One page of dead letters; its reader counts in `removed` what it took out of the list. */
interface DeadPage {
  readonly page: { ref: Buffer | string; letter: DeadLetter }[];
  removed: number;
}
const MAX_BATCH = 500;

/**
 * KEYS: dead, queue. ARGV: old1, new1, old2, new2, … Each old element still in the dead list is
 * removed and its new copy pushed to the tail of the queue, in one atomic step: exactly once.
 */
const MOVE_LIST = `local moved = 0
for i = 1, #ARGV, 2 do
  if redis.call('LREM', KEYS[1], 1, ARGV[i]) > 0 then
    redis.call('RPUSH', KEYS[2], ARGV[i + 1])
    moved = moved + 1
  end
end
return moved`;

/** KEYS: dead. ARGV: elements. Removes each (one copy) from the dead list. */
const REMOVE_LIST = `local n = 0
for i = 1, #ARGV do n = n + redis.call('LREM', KEYS[1], 1, ARGV[i]) end
return n`;

/**
 * KEYS: dead stream, stream. ARGV: now, then entry ids. Each entry still in the dead stream is added
 * to the stream with its fields but rxq's dead-letter ones (and the attempt), plus
 * x-rxq-redriven-at, and deleted from the dead stream, atomically.
 */
const MOVE_STREAM = `local drop = {['x-rxq-attempt']=1, ['x-rxq-dead-reason']=1, ['x-rxq-dead-at']=1, ['x-rxq-origin']=1, ['x-rxq-error-name']=1, ['x-rxq-error-message']=1, ['x-rxq-redriven-at']=1}
local moved = 0
for i = 2, #ARGV do
  local e = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
  if #e > 0 then
    local f = e[1][2]
    local out = {}
    for k = 1, #f, 2 do
      if not drop[f[k]] then out[#out + 1] = f[k]; out[#out + 1] = f[k + 1] end
    end
    out[#out + 1] = 'x-rxq-redriven-at'; out[#out + 1] = ARGV[1]
    redis.call('XADD', KEYS[2], '*', unpack(out))
    redis.call('XDEL', KEYS[1], ARGV[i])
    moved = moved + 1
  end
end
return moved`;

/** The id of a list element: rxq's envelope id (`u`), or a hash of a plain payload's bytes. */
function listId(element: Buffer): string {
  if (element.length > ENVELOPE_MAGIC.length && element.subarray(0, ENVELOPE_MAGIC.length).equals(ENVELOPE_MAGIC)) {
    const end = element.indexOf(0x0a, ENVELOPE_MAGIC.length);
    if (end > 0) {
      try {
        const head = JSON.parse(element.toString('utf8', ENVELOPE_MAGIC.length, end)) as { u?: unknown };
        if (typeof head.u === 'string') return head.u;
      } catch {
        // a damaged envelope: a plain payload
      }
    }
  }
  return hashId(element);
}

function listMessage(
  element: Buffer,
  withBody: boolean,
): { id: string; headers: Record<string, string>; size: number; body?: Buffer } {
  const { payload, headers } = readListEntry(element);
  return {
    id: listId(element),
    headers: { ...headers },
    size: payload.length,
    ...(withBody ? { body: Buffer.from(payload) } : {}),
  };
}

/** Fields of a stream entry as [name, value] Buffers → headers (text) and the body. */
function streamMessage(
  id: string,
  fields: Buffer[],
  withBody: boolean,
  bodyField = 'body',
): { id: string; headers: Record<string, string>; size: number; body?: Buffer } {
  const headers: Record<string, string> = {};
  let body: Buffer | undefined;
  for (let k = 0; k + 1 < fields.length; k += 2) {
    const name = (fields[k] as Buffer).toString('utf8');
    const value = fields[k + 1] as Buffer;
    if (name === bodyField && body === undefined) body = value;
    else headers[name] = value.toString('utf8');
  }
  return { id, headers, size: body?.length ?? 0, ...(withBody && body ? { body } : {}) };
}

/**
 * Redis: a reliable or simple list (`<queue>`, `<queue>:processing:<id>`, `<queue>:consumers`,
 * `<queue>:delayed`, `<queue>:dead`) or a stream (`<stream>`, its groups, `<stream>:delayed`,
 * `<stream>:dead`), told apart by the key's type.
 */
export class RedisAdmin extends BaseAdmin {
  readonly broker = 'redis';
  readonly capabilities: AdminCapabilities = { peek: true, publish: true, redrive: true, purge: true };
  readonly deadLetters: DeadLetters;
  private kind: Promise<'list' | 'stream'> | undefined;
  private readonly deadKey: string;

  private constructor(
    private readonly client: Redis,
    queue: string,
    shown: string,
    secrets: readonly string[],
    deadKey: string | undefined,
    private readonly group: string | undefined,
  ) {
    super(queue, shown, secrets);
    this.deadKey = deadKey ?? `${queue}:dead`;
    this.deadLetters = this.deadLettersAt(this.deadKey);
  }

  static async open(
    url: URL,
    shown: string,
    secrets: readonly string[],
    queue: string,
    deadKey: string | undefined,
    group: string | undefined,
  ): Promise<RedisAdmin> {
    let failure: unknown;
    const client = new RedisClient(url.href, {
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      connectionName: 'rxq:console',
      connectTimeout: 5_000,
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    });
    client.on('error', (error: unknown) => (failure ??= error));
    const admin = new RedisAdmin(client, queue, shown, secrets, deadKey, group);
    await admin.guard(async () => {
      try {
        await client.connect();
        await client.ping();
      } catch (error) {
        client.disconnect();
        const cause = failure ?? error;
        throw new Error(`cannot reach Redis at ${shown}: ${cause instanceof Error ? cause.message : String(cause)}`);
      }
    });
    return admin;
  }

  protected async shutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }

  /** 'stream' when the queue (or else its dead-letter key) is a stream, else 'list'. */
  private kindOf(): Promise<'list' | 'stream'> {
    this.kind ??= (async () => {
      const type = await this.client.type(this.queue);
      if (type === 'stream') return 'stream';
      if (type === 'none' && (await this.client.type(this.deadKey)) === 'stream') return 'stream';
      return 'list';
    })();
    return this.kind;
  }

  peek(n: number, options: ReadOptions = {}): Promise<PeekedMessage[]> {
    count(n, 'n');
    return this.guard(async () => {
      if (n === 0) return [];
      if ((await this.kindOf()) === 'list') {
        const elements = await this.client.lrangeBuffer(this.queue, 0, n - 1);
        return elements.map((e) => peeked(listMessage(e, options.body === true)));
      }
      const group = await this.streamGroup();
      const start = group ? `(${group.lastDelivered}` : '-';
      const entries = (await this.client.xrangeBuffer(this.queue, start, '+', 'COUNT', n)) as unknown as [
        Buffer,
        Buffer[],
      ][];
      return entries.map(([id, fields]) => peeked(streamMessage(id.toString(), fields, options.body === true)));
    });
  }

  publish(bodies: readonly (string | Buffer)[], options: PublishOptions = {}): Promise<number> {
    return this.guard(async () => {
      const payloads = bodies.map((b) => (typeof b === 'string' ? Buffer.from(b, 'utf8') : b));
      const headers = options.headers === undefined ? {} : { headers: options.headers };
      if ((await this.kindOf()) === 'list') {
        if (payloads.length > 0) await publishMany(this.client, this.queue, payloads, { codec: bytes, ...headers });
      } else {
        for (const p of payloads) await publishToStream(this.client, this.queue, p, { codec: bytes, ...headers });
      }
      return payloads.length;
    });
  }

  stats(): Promise<QueueStats> {
    return this.guard(async () => {
      const delayedKey = `${this.queue}:delayed`;
      if ((await this.kindOf()) === 'list') {
        const [depth, delayed, dead, ids] = await Promise.all([
          this.client.llen(this.queue),
          this.client.zcard(delayedKey),
          this.client.llen(this.deadKey),
          this.client.smembers(`${this.queue}:consumers`),
        ]);
        let inFlight = 0;
        let consumers = 0;
        for (const id of ids) {
          const [alive, held] = await Promise.all([
            this.client.exists(`${this.queue}:consumers:${id}`),
            this.client.llen(`${this.queue}:processing:${id}`),
          ]);
          inFlight += held;
          if (alive) consumers++;
        }
        return { depth, inFlight, delayed, deadLetters: dead, consumers, lag: null };
      }
      const [length, delayed, dead] = await Promise.all([
        this.client.xlen(this.queue),
        this.client.zcard(delayedKey),
        this.client.exists(this.deadKey).then((e) => (e ? this.client.xlen(this.deadKey) : 0)),
      ]);
      const group = await this.streamGroup();
      if (!group) return { depth: length, inFlight: 0, delayed, deadLetters: dead, consumers: 0, lag: null };
      return {
        depth: group.lag ?? null,
        inFlight: group.pending,
        delayed,
        deadLetters: dead,
        consumers: group.consumers,
        lag: null,
      };
    });
  }

  /** The stream's group (the `group` option, or the only one), with its figures. */
  private async streamGroup(): Promise<
    { name: string; lastDelivered: string; pending: number; consumers: number; lag: number | undefined } | undefined
  > {
    if ((await this.client.exists(this.queue)) === 0) return undefined;
    const raw = (await this.client.xinfo('GROUPS', this.queue)) as unknown[][];
    const groups = raw.map((flat) => {
      const g: Record<string, unknown> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) g[String(flat[i])] = flat[i + 1];
      return {
        name: String(g.name),
        lastDelivered: String(g['last-delivered-id']),
        pending: Number(g.pending),
        consumers: Number(g.consumers),
        lag: g.lag === null || g.lag === undefined ? undefined : Number(g.lag),
      };
    });
    if (this.group !== undefined) return groups.find((g) => g.name === this.group);
    return groups.length === 1 ? groups[0] : undefined;
  }

  /** Pages through the dead letters, oldest first: `[raw key for removal, letter]`. */
  private async *dead(withBody: boolean): AsyncGenerator<DeadPage> {
    if ((await this.kindOf()) === 'list') {
      for (let offset = 0; ; ) {
        const elements = await this.client.lrangeBuffer(this.deadKey, offset, offset + PAGE - 1);
        if (elements.length === 0) return;
        const page = elements.map((e) => {
          const m = listMessage(e, withBody);
          return { ref: e, letter: deadLetterOf(m.id, m.headers, m.size, m.body) };
        });
        const step: DeadPage = { page, removed: 0 };
        yield step;
        // What the reader of this page removed shifts the rest of the list down.
        offset += elements.length - step.removed;
      }
    }
    if ((await this.client.exists(this.deadKey)) === 0) return;
    for (let start = '-'; ; ) {
      const entries = (await this.client.xrangeBuffer(this.deadKey, start, '+', 'COUNT', PAGE)) as unknown as [
        Buffer,
        Buffer[],
      ][];
      if (entries.length === 0) return;
      const page = entries.map(([rawId, fields]) => {
        const id = rawId.toString();
        const m = streamMessage(id, fields, withBody);
        return { ref: id, letter: deadLetterOf(id, m.headers, m.size, m.body, Number(id.split('-')[0])) };
      });
      yield { page, removed: 0 };
      start = `(${(entries[entries.length - 1] as [Buffer, Buffer[]])[0].toString()}`;
    }
  }

  protected async listDead(options: ListOptions): Promise<DeadLetter[]> {
    const match = matcher(options);
    const limit = options.limit ?? Infinity;
    const out: DeadLetter[] = [];
    if (limit === 0) return out;
    for await (const { page } of this.dead(options.body === true)) {
      for (const { letter } of page) {
        if (!match(letter)) continue;
        out.push(letter);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  private async deadCount(): Promise<number> {
    if ((await this.kindOf()) === 'list') return this.client.llen(this.deadKey);
    return (await this.client.exists(this.deadKey)) ? this.client.xlen(this.deadKey) : 0;
  }

  protected async redriveDead(filter: DeadLetterFilter, options: RedriveOptions): Promise<RedriveResult> {
    const pacer = new Pacer(options, await this.deadCount());
    const match = matcher(filter);
    let left = filter.limit ?? Infinity;
    const list = (await this.kindOf()) === 'list';
    pacer.progress();
    // Only what was there at the start: letters that a consumer dead-letters again meanwhile wait.
    let scan = pacer.total ?? Infinity;
    for await (const step of this.dead(false)) {
      const seen = step.page.slice(0, scan);
      scan -= seen.length;
      const chosen = seen.filter((p) => match(p.letter)).slice(0, left);
      for (let i = 0; i < chosen.length && !pacer.stopped; ) {
        const batch = chosen.slice(i, i + pacer.batch(MAX_BATCH));
        i += batch.length;
        await pacer.take(batch.length);
        pacer.noteMatched(batch.map((b) => b.letter));
        left -= batch.length;
        if (!options.dryRun) {
          const now = String(Date.now());
          if (list) {
            const args: Buffer[] = [];
            for (const { ref, letter } of batch) {
              const { payload } = readListEntry(ref as Buffer);
              args.push(ref as Buffer, wrapCopy(letter.id, payload, redriveHeaders(letter.headers, Number(now))));
            }
            const moved = Number(await this.client.eval(MOVE_LIST, 2, this.deadKey, this.queue, ...args));
            pacer.moved += moved;
            step.removed += moved;
          } else {
            pacer.moved += Number(
              await this.client.eval(
                MOVE_STREAM,
                2,
                this.deadKey,
                this.queue,
                now,
                ...batch.map((b) => b.ref as string),
              ),
            );
          }
        }
        pacer.progress();
      }
      if (left <= 0 || pacer.stopped || scan <= 0) break;
    }
    return pacer.result();
  }

  protected async purgeDead(filter: DeadLetterFilter): Promise<PurgeResult> {
    const list = (await this.kindOf()) === 'list';
    if (!selective(filter) && filter.limit === undefined) {
      const n = await this.client.eval(
        `local n = redis.call('${list ? 'LLEN' : 'XLEN'}', KEYS[1]) redis.call('DEL', KEYS[1]) return n`,
        1,
        this.deadKey,
      );
      return { purged: Number(n) };
    }
    const match = matcher(filter);
    let left = filter.limit ?? Infinity;
    let purged = 0;
    for await (const step of this.dead(false)) {
      const chosen = step.page.filter((p) => match(p.letter)).slice(0, left);
      left -= chosen.length;
      for (let i = 0; i < chosen.length; i += MAX_BATCH) {
        const refs = chosen.slice(i, i + MAX_BATCH).map((c) => c.ref);
        const n = list
          ? Number(await this.client.eval(REMOVE_LIST, 1, this.deadKey, ...(refs as Buffer[])))
          : await this.client.xdel(this.deadKey, ...(refs as string[]));
        purged += n;
        step.removed += n;
      }
      if (left <= 0) break;
    }
    return { purged };
  }
}

/** An rxq envelope around `payload` that keeps the dead letter's id (binary-safe). */
function wrapCopy(id: string, payload: Buffer, headers: Record<string, string>): Buffer {
  const head = Buffer.from(JSON.stringify({ u: `${id}.r`, h: headers }), 'utf8');
  return Buffer.concat([ENVELOPE_MAGIC, head, Buffer.of(0x0a), payload]);
}

function peeked(m: { id: string; headers: Record<string, string>; size: number; body?: Buffer }): PeekedMessage {
  const attempt = Number(m.headers['x-rxq-attempt'] ?? 1);
  return {
    id: m.id,
    attempt: Number.isInteger(attempt) && attempt >= 1 ? attempt : 1,
    headers: m.headers,
    size: m.size,
    ...(m.body ? { body: m.body } : {}),
  };
}
