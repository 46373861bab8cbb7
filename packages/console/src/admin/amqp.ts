import { publishMany } from '@rxq/amqp';
import { bytes, NotFoundError } from '@rxq/core';
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type GetMessage, type Options } from 'amqplib';
import { BaseAdmin, count } from './base.js';
import { deadLetterOf, hashId, matcher, Pacer, redriveHeaders, selective, unsupported } from './common.js';
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
  RedriveOptions,
  RedriveResult,
} from './types.js';

const MAX_BATCH = 500;
/** Broker headers a redriven copy does not carry (the broker's own dead-lettering records). */
const BROKER_HEADERS = new Set([
  'x-death',
  'x-delivery-count',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
]);

/** A header value as text (amqplib's decoded form). */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value && typeof value === 'object' && 'value' in value) return textOf(value.value);
  return JSON.stringify(value) ?? '';
}

function headersOf(msg: GetMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(msg.properties.headers ?? {})) if (v !== undefined) out[k] = textOf(v);
  return out;
}

function letterOf(msg: GetMessage, withBody: boolean): DeadLetter {
  const headers = headersOf(msg);
  const id =
    typeof msg.properties.messageId === 'string' && msg.properties.messageId !== ''
      ? msg.properties.messageId
      : hashId(Buffer.concat([Buffer.from(headers['x-rxq-dead-at'] ?? ''), msg.content]));
  const ts = typeof msg.properties.timestamp === 'number' ? msg.properties.timestamp * 1000 : null;
  return deadLetterOf(id, headers, msg.content.length, withBody ? msg.content : undefined, ts);
}

/**
 * RabbitMQ / AMQP 0-9-1: the queue `<queue>`, its dead letters in `<queue>.dead` (the connector's
 * `deadLetterQueue`), delayed resends in TTL queues `<queue>.delay.<ms>`.
 */
export class AmqpAdmin extends BaseAdmin {
  readonly broker = 'amqp';
  readonly capabilities: AdminCapabilities = { peek: false, publish: true, redrive: true, purge: true };
  readonly deadLetters: DeadLetters;
  private readonly dlq: string;

  private constructor(
    private readonly connection: ChannelModel,
    queue: string,
    shown: string,
    secrets: readonly string[],
    deadLetter: string | undefined,
  ) {
    super(queue, shown, secrets);
    this.dlq = deadLetter ?? `${queue}.dead`;
    this.deadLetters = this.deadLettersAt(this.dlq);
  }

  static async open(
    url: URL,
    shown: string,
    secrets: readonly string[],
    queue: string,
    deadLetter: string | undefined,
  ): Promise<AmqpAdmin> {
    let connection: ChannelModel;
    try {
      connection = await connect(url.href, { clientProperties: { connection_name: 'rxq:console' }, timeout: 5_000 });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`cannot reach RabbitMQ at ${shown}: ${reason}`);
    }
    connection.on('error', () => undefined);
    return new AmqpAdmin(connection, queue, shown, secrets, deadLetter);
  }

  protected async shutdown(): Promise<void> {
    await this.connection.close();
  }

  /** Message and consumer counts of a queue by a passive declare; null when it does not exist. */
  private async check(queue: string): Promise<{ messageCount: number; consumerCount: number } | null> {
    const ch = await this.connection.createChannel();
    ch.on('error', () => undefined);
    try {
      return await ch.checkQueue(queue);
    } catch (error) {
      if (/NOT_FOUND|404/.test(String((error as Error).message))) return null;
      throw error;
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  peek(n: number): Promise<PeekedMessage[]> {
    count(n, 'n');
    return Promise.reject(
      unsupported(
        'amqp',
        'peek',
        'RabbitMQ shows a message only by delivering it, and a delivery marks it redelivered, which rxq counts as an attempt (use `dlq list` for dead letters)',
      ),
    );
  }

  publish(bodies: readonly (string | Buffer)[], options: PublishOptions = {}): Promise<number> {
    return this.guard(async () => {
      if (bodies.length === 0) return 0;
      if (!(await this.check(this.queue))) throw new NotFoundError(`amqp: queue ${this.queue} does not exist`);
      const payloads = bodies.map((b) => (typeof b === 'string' ? Buffer.from(b, 'utf8') : b));
      await publishMany(this.connection, this.queue, payloads, {
        codec: bytes,
        ...(options.headers ? { headers: options.headers } : {}),
      });
      return payloads.length;
    });
  }

  stats(): Promise<QueueStats> {
    return this.guard(async () => {
      const [q, dead] = await Promise.all([this.check(this.queue), this.check(this.dlq)]);
      if (!q) throw new NotFoundError(`amqp: queue ${this.queue} does not exist`);
      // Unacked messages and the delay queues are known to the management API only, not to AMQP.
      return {
        depth: q.messageCount,
        inFlight: null,
        delayed: null,
        deadLetters: dead?.messageCount ?? 0,
        consumers: q.consumerCount,
        lag: null,
      };
    });
  }

  /**
   * Gets (unacked) up to the dead-letter queue's count at the start, handing each to `visit`;
   * everything not acked by then goes back to the queue, in order, when the channel closes.
   */
  private async scan(
    visit: (msg: GetMessage, ch: Channel) => Promise<boolean | void>,
    end?: (ch: Channel) => Promise<void>,
  ): Promise<number | null> {
    const start = await this.check(this.dlq);
    if (!start) return null;
    const ch = await this.connection.createChannel();
    ch.on('error', () => undefined);
    try {
      for (let i = 0; i < start.messageCount; i++) {
        const msg = await ch.get(this.dlq, { noAck: false });
        if (msg === false) break;
        if ((await visit(msg, ch)) === false) break;
      }
      await end?.(ch);
    } finally {
      await ch.close().catch(() => undefined);
    }
    return start.messageCount;
  }

  protected async listDead(options: ListOptions): Promise<DeadLetter[]> {
    const match = matcher(options);
    const limit = options.limit ?? Infinity;
    const out: DeadLetter[] = [];
    if (limit === 0) return out;
    await this.scan(async (msg) => {
      const letter = letterOf(msg, options.body === true);
      if (match(letter)) out.push(letter);
      return out.length < limit;
    });
    return out;
  }

  protected async redriveDead(filter: DeadLetterFilter, options: RedriveOptions): Promise<RedriveResult> {
    const start = await this.check(this.dlq);
    const pacer = new Pacer(options, start?.messageCount ?? 0);
    const match = matcher(filter);
    let left = filter.limit ?? Infinity;
    if (!(await this.check(this.queue))) throw new NotFoundError(`amqp: queue ${this.queue} does not exist`);
    pacer.progress();
    const confirm: ConfirmChannel = await this.connection.createConfirmChannel();
    confirm.on('error', () => undefined);
    let batch: { msg: GetMessage; letter: DeadLetter }[] = [];
    const flush = async (ch: Channel): Promise<void> => {
      if (batch.length === 0) return;
      await pacer.take(batch.length);
      pacer.noteMatched(batch.map((b) => b.letter));
      if (!options.dryRun) {
        const now = Date.now();
        for (const { msg, letter } of batch) {
          const headers: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(msg.properties.headers ?? {})) if (!BROKER_HEADERS.has(k)) headers[k] = v;
          const kept = redriveHeaders(letter.headers, now);
          for (const k of Object.keys(headers)) if (!(k in kept)) delete headers[k];
          headers['x-rxq-redriven-at'] = kept['x-rxq-redriven-at'];
          confirm.publish('', this.queue, msg.content, { ...properties(msg), headers, mandatory: true });
        }
        // The copies are confirmed by the broker before a single dead letter is acked.
        await confirm.waitForConfirms();
        for (const { msg } of batch) ch.ack(msg);
        pacer.moved += batch.length;
      }
      batch = [];
      pacer.progress();
    };
    try {
      await this.scan(async (msg, ch) => {
        if (pacer.stopped || left <= 0) return false;
        const letter = letterOf(msg, false);
        if (!match(letter)) return;
        batch.push({ msg, letter });
        left--;
        if (batch.length >= pacer.batch(MAX_BATCH)) await flush(ch);
        return left > 0;
      }, flush);
    } finally {
      await confirm.close().catch(() => undefined);
    }
    return pacer.result();
  }

  protected async purgeDead(filter: DeadLetterFilter): Promise<PurgeResult> {
    if (!selective(filter) && filter.limit === undefined) {
      const ch = await this.connection.createChannel();
      ch.on('error', () => undefined);
      try {
        if (!(await this.check(this.dlq))) return { purged: 0 };
        const { messageCount } = await ch.purgeQueue(this.dlq);
        return { purged: messageCount };
      } finally {
        await ch.close().catch(() => undefined);
      }
    }
    const match = matcher(filter);
    let left = filter.limit ?? Infinity;
    let purged = 0;
    await this.scan(async (msg, ch) => {
      if (left <= 0) return false;
      if (!match(letterOf(msg, false))) return;
      ch.ack(msg);
      purged++;
      left--;
      return;
    });
    return { purged };
  }
}

/** The original's AMQP properties for its copy. */
function properties(msg: GetMessage): Options.Publish {
  const p = msg.properties as unknown as Record<string, unknown>;
  const out: Options.Publish = {};
  if (typeof p.contentType === 'string' && p.contentType) out.contentType = p.contentType;
  if (typeof p.contentEncoding === 'string' && p.contentEncoding) out.contentEncoding = p.contentEncoding;
  if (typeof p.deliveryMode === 'number') out.deliveryMode = p.deliveryMode;
  if (typeof p.priority === 'number') out.priority = p.priority;
  if (typeof p.correlationId === 'string' && p.correlationId) out.correlationId = p.correlationId;
  if (typeof p.replyTo === 'string' && p.replyTo) out.replyTo = p.replyTo;
  if (typeof p.messageId === 'string' && p.messageId) out.messageId = p.messageId;
  if (typeof p.timestamp === 'number') out.timestamp = p.timestamp;
  if (typeof p.type === 'string' && p.type) out.type = p.type;
  if (typeof p.appId === 'string' && p.appId) out.appId = p.appId;
  return out;
}
