import { publishMany } from '@rxq/nats';
import { attemptOf, bytes, HEADERS, NotFoundError } from '@rxq/core';
import {
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type StoredMsg,
} from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { BaseAdmin, count } from './base.js';
import { deadLetterOf, matcher, Pacer, REDRIVEN_AT, selective } from './common.js';
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
/** rxq's headers on a dead letter (with the NATS connector's origin subject and sequence). */
const ORIGIN_SUBJECT = 'x-rxq-origin-subject';
const ORIGIN_SEQUENCE = 'x-rxq-origin-sequence';
const DEAD_HEADERS = new Set(
  [
    HEADERS.attempt,
    HEADERS.deadReason,
    HEADERS.deadAt,
    HEADERS.origin,
    HEADERS.errorName,
    HEADERS.errorMessage,
    ORIGIN_SUBJECT,
    ORIGIN_SEQUENCE,
  ].map((h) => h.toLowerCase()),
);

/** The string view of a stored message's headers (the last value of a repeated key). */
function headersOf(hdrs: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (hdrs) for (const [k, values] of hdrs) if (values.length > 0) out[k] = values[values.length - 1]!;
  return out;
}

function timeOf(m: StoredMsg): number | null {
  const t = m.time.getTime();
  return Number.isFinite(t) ? t : null;
}

function letterOf(m: StoredMsg, withBody: boolean): DeadLetter {
  return deadLetterOf(
    String(m.seq),
    headersOf(m.header),
    m.data.length,
    withBody ? Buffer.from(m.data) : undefined,
    timeOf(m),
  );
}

/**
 * The headers of a redriven copy, from the raw headers (repeated keys kept): without rxq's
 * dead-letter headers and without the server's `Nats-*` ones (a `Nats-Msg-Id` would make the
 * source stream drop the copy as a duplicate of the original), `x-rxq-redriven-at` added.
 */
function copyHeaders(original: MsgHdrs | undefined, now: number): MsgHdrs {
  const out = natsHeaders();
  if (original)
    for (const [key, values] of original) {
      const k = key.toLowerCase();
      if (DEAD_HEADERS.has(k) || k.startsWith('nats-') || k === REDRIVEN_AT) continue;
      for (const v of values) out.append(key, v);
    }
  out.set(REDRIVEN_AT, String(now));
  return out;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; code?: number; message?: string; api_error?: { err_code?: number } };
  return (
    e?.name === 'StreamNotFoundError' ||
    e?.name === 'ConsumerNotFoundError' ||
    e?.api_error?.err_code === 10059 ||
    e?.api_error?.err_code === 10014 ||
    /not found/i.test(String(e?.message))
  );
}

/**
 * NATS JetStream: the queue is the stream (read by the durable consumer `rxq-<stream>`, or
 * `group`), its dead letters on the subject `rxq.dead.<stream>` (or `deadLetter`), stored in the
 * stream that captures it (`<stream>_dead` by default). Ids are stream sequences.
 */
export class NatsAdmin extends BaseAdmin {
  readonly broker = 'nats';
  readonly capabilities: AdminCapabilities = { peek: true, publish: true, redrive: true, purge: true };
  readonly deadLetters: DeadLetters;
  private readonly js: JetStreamClient;
  private readonly dlSubject: string;
  private readonly consumer: string;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    queue: string,
    shown: string,
    secrets: readonly string[],
    deadLetter: string | undefined,
    group: string | undefined,
  ) {
    super(queue, shown, secrets);
    this.js = jetstream(nc);
    this.dlSubject = deadLetter ?? `rxq.dead.${queue}`;
    this.consumer = group ?? `rxq-${queue}`;
    this.deadLetters = this.deadLettersAt(this.dlSubject);
  }

  static async open(
    url: URL,
    shown: string,
    secrets: readonly string[],
    queue: string,
    deadLetter: string | undefined,
    group: string | undefined,
  ): Promise<NatsAdmin> {
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: `${url.hostname}:${url.port || '4222'}`,
        name: 'rxq:console',
        reconnect: false,
        timeout: 5_000,
        ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
        ...(url.password ? { pass: decodeURIComponent(url.password) } : {}),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`cannot reach NATS at ${shown}: ${reason}`);
    }
    try {
      const jsm = await jetstreamManager(nc);
      return new NatsAdmin(nc, jsm, queue, shown, secrets, deadLetter, group);
    } catch (error) {
      await nc.close().catch(() => undefined);
      throw error;
    }
  }

  protected async shutdown(): Promise<void> {
    await this.nc.close();
  }

  private async streamInfo() {
    try {
      return await this.jsm.streams.info(this.queue);
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError(`nats: stream ${this.queue} does not exist`);
      throw error;
    }
  }

  private async consumerInfo() {
    try {
      return await this.jsm.consumers.info(this.queue, this.consumer);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** The stream that stores the dead-letter subject, or null when none captures it. */
  private async deadStream(): Promise<string | null> {
    try {
      return await this.jsm.streams.find(this.dlSubject);
    } catch (error) {
      if (isNotFound(error) || /no stream matches/i.test(String((error as Error).message))) return null;
      throw error;
    }
  }

  /** The first message on `subject` at or after `seq` in `stream`, read without a delivery. */
  private next(stream: string, seq: number, subject: string | undefined): Promise<StoredMsg | null> {
    // The server's STREAM.MSG.GET takes `next_by_subj` with `seq` (the client's type lists only `seq`).
    const query = (subject === undefined ? { seq } : { seq, next_by_subj: subject }) as { seq: number };
    return this.jsm.streams.getMessage(stream, query);
  }

  /** Visits the stored messages of `subject` in `stream` from `from` to `last`, in order. */
  private async scan(
    stream: string,
    subject: string | undefined,
    from: number,
    last: number,
    visit: (m: StoredMsg) => Promise<boolean | void>,
  ): Promise<void> {
    let seq = from;
    while (seq <= last) {
      let m: StoredMsg | null;
      try {
        m = await this.next(stream, seq, subject);
      } catch (error) {
        // A deleted sequence without next_by_subj: the next one.
        if (subject === undefined && /no message found/i.test(String((error as Error).message))) {
          seq++;
          continue;
        }
        throw error;
      }
      if (m === null) {
        if (subject !== undefined) return;
        seq++;
        continue;
      }
      if (m.seq > last) return;
      if ((await visit(m)) === false) return;
      seq = m.seq + 1;
    }
  }

  peek(n: number, options: { body?: boolean } = {}): Promise<PeekedMessage[]> {
    count(n, 'n');
    return this.guard(async () => {
      const info = await this.streamInfo();
      const out: PeekedMessage[] = [];
      if (n === 0 || info.state.messages === 0) return out;
      const consumer = await this.consumerInfo();
      // Waiting = past what the durable consumer has delivered (the whole stream without one).
      const from = Math.max(info.state.first_seq, (consumer?.delivered.stream_seq ?? 0) + 1);
      await this.scan(this.queue, undefined, from, info.state.last_seq, async (m) => {
        const headers = headersOf(m.header);
        out.push({
          id: String(m.seq),
          attempt: attemptOf(headers),
          headers,
          size: m.data.length,
          ...(options.body ? { body: Buffer.from(m.data) } : {}),
        });
        return out.length < n;
      });
      return out;
    });
  }

  /** The subject a message for the stream is published to: its only subject without wildcards. */
  private async subjectOf(): Promise<string> {
    const info = await this.streamInfo();
    const subjects = info.config.subjects ?? [];
    const plain = subjects.filter((s) => !/[*>]/.test(s));
    if (plain.length === 0)
      throw new NotFoundError(`nats: stream ${this.queue} has no subject without wildcards to publish to`);
    return plain[0]!;
  }

  publish(bodies: readonly (string | Buffer)[], options: PublishOptions = {}): Promise<number> {
    return this.guard(async () => {
      if (bodies.length === 0) return 0;
      const subject = await this.subjectOf();
      const payloads = bodies.map((b) => (typeof b === 'string' ? Buffer.from(b, 'utf8') : b));
      await publishMany(this.js, subject, payloads, {
        codec: bytes,
        ...(options.headers ? { headers: options.headers } : {}),
      });
      return payloads.length;
    });
  }

  /** Dead letters stored for the subject (0 when no stream captures it). */
  private async deadCount(stream: string | null): Promise<number> {
    if (stream === null) return 0;
    const info = await this.jsm.streams.info(stream, { subjects_filter: this.dlSubject });
    return info.state.subjects?.[this.dlSubject] ?? 0;
  }

  stats(): Promise<QueueStats> {
    return this.guard(async () => {
      const [info, consumer, dead] = await Promise.all([this.streamInfo(), this.consumerInfo(), this.deadStream()]);
      return {
        depth: consumer ? consumer.num_pending : info.state.messages,
        inFlight: consumer ? consumer.num_ack_pending : null,
        // A `-NAK` with a delay stays in the ack-pending count; JetStream does not tell them apart.
        delayed: null,
        deadLetters: await this.deadCount(dead),
        consumers: info.state.consumer_count,
        lag: null,
      };
    });
  }

  private async deadRange(): Promise<{ stream: string; first: number; last: number; total: number } | null> {
    await this.streamInfo();
    const stream = await this.deadStream();
    if (stream === null) return null;
    const info = await this.jsm.streams.info(stream, { subjects_filter: this.dlSubject });
    return {
      stream,
      first: info.state.first_seq,
      last: info.state.last_seq,
      total: info.state.subjects?.[this.dlSubject] ?? 0,
    };
  }

  protected async listDead(options: ListOptions): Promise<DeadLetter[]> {
    const match = matcher(options);
    const limit = options.limit ?? Infinity;
    const out: DeadLetter[] = [];
    const range = await this.deadRange();
    if (limit === 0 || range === null || range.total === 0) return out;
    await this.scan(range.stream, this.dlSubject, range.first, range.last, async (m) => {
      const letter = letterOf(m, options.body === true);
      if (match(letter)) out.push(letter);
      return out.length < limit;
    });
    return out;
  }

  protected async redriveDead(filter: DeadLetterFilter, options: RedriveOptions): Promise<RedriveResult> {
    const range = await this.deadRange();
    const pacer = new Pacer(options, range?.total ?? 0);
    const match = matcher(filter);
    let left = filter.limit ?? Infinity;
    const fallback = await this.subjectOf();
    pacer.progress();
    if (range === null || left <= 0) return pacer.result();
    let batch: { m: StoredMsg; letter: DeadLetter }[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      await pacer.take(batch.length);
      pacer.noteMatched(batch.map((b) => b.letter));
      if (!options.dryRun) {
        const now = Date.now();
        // Every copy is stored in the source stream (publish ack) before a dead letter is deleted.
        await Promise.all(
          batch.map(({ m }) =>
            this.js.publish(m.header?.get(ORIGIN_SUBJECT) || fallback, m.data, {
              headers: copyHeaders(m.header, now),
              expect: { streamName: this.queue },
            }),
          ),
        );
        await Promise.all(batch.map(({ m }) => this.jsm.streams.deleteMessage(range.stream, m.seq, false)));
        pacer.moved += batch.length;
      }
      batch = [];
      pacer.progress();
    };
    await this.scan(range.stream, this.dlSubject, range.first, range.last, async (m) => {
      if (pacer.stopped || left <= 0) return false;
      const letter = letterOf(m, false);
      if (!match(letter)) return;
      batch.push({ m, letter });
      left--;
      if (batch.length >= pacer.batch(MAX_BATCH)) await flush();
      return left > 0 && !pacer.stopped;
    });
    await flush();
    return pacer.result();
  }

  protected async purgeDead(filter: DeadLetterFilter): Promise<PurgeResult> {
    const range = await this.deadRange();
    if (range === null) return { purged: 0 };
    if (!selective(filter) && filter.limit === undefined) {
      // Only the dead-letter subject: a stream of the user's may capture others too.
      const r = await this.jsm.streams.purge(range.stream, { filter: this.dlSubject });
      return { purged: r.purged };
    }
    const match = matcher(filter);
    let left = filter.limit ?? Infinity;
    let seqs: number[] = [];
    let purged = 0;
    const flush = async (): Promise<void> => {
      await Promise.all(seqs.map((seq) => this.jsm.streams.deleteMessage(range.stream, seq, false)));
      purged += seqs.length;
      seqs = [];
    };
    await this.scan(range.stream, this.dlSubject, range.first, range.last, async (m) => {
      if (left <= 0) return false;
      if (!match(letterOf(m, false))) return;
      seqs.push(m.seq);
      left--;
      if (seqs.length >= MAX_BATCH) await flush();
      return left > 0;
    });
    await flush();
    return { purged };
  }
}
