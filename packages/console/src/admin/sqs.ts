import { publishMany } from '@rxq/sqs';
import { text } from '@rxq/core';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type Message,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { BaseAdmin, count } from './base.js';
import { deadLetterOf, matcher, Pacer, redriveHeaders, selective, unsupported } from './common.js';
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

/** How long dead letters read by the console stay hidden from other readers (then they reappear). */
export const HOLD_SECONDS = 30;
/** Empty receives in a row after which the dead-letter queue counts as read through. */
const EMPTY_RECEIVES = 2;

function headersOf(m: Message): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.MessageAttributes ?? {})) {
    if (k === 'x-rxq-dead' && v.StringValue) {
      try {
        Object.assign(out, JSON.parse(v.StringValue) as Record<string, string>);
        continue;
      } catch {
        // not rxq's: kept as it is
      }
    }
    out[k] = v.StringValue ?? (v.BinaryValue ? Buffer.from(v.BinaryValue).toString('base64') : '');
  }
  return out;
}

function letterOf(m: Message, withBody: boolean): DeadLetter {
  const body = Buffer.from(m.Body ?? '', 'utf8');
  const sent = Number(m.Attributes?.SentTimestamp);
  return deadLetterOf(
    m.MessageId ?? '',
    headersOf(m),
    body.length,
    withBody ? body : undefined,
    Number.isFinite(sent) ? sent : null,
  );
}

/**
 * Amazon SQS or ElasticMQ (`@rxq/sqs`): the queue and its dead-letter queue `<queue>-dead`
 * (`<queue>-dead.fifo`). `sqs://host:port` is the endpoint (http for localhost, else https;
 * `?protocol=`, `?region=`); credentials from the URL (access key id and secret) or the AWS SDK's
 * usual sources.
 */
export class SqsAdmin extends BaseAdmin {
  readonly broker = 'sqs';
  readonly capabilities: AdminCapabilities = { peek: false, publish: true, redrive: true, purge: true };
  readonly deadLetters: DeadLetters;
  private readonly urls = new Map<string, Promise<string>>();
  private readonly dlq: string;

  private constructor(
    private readonly client: SQSClient,
    queue: string,
    shown: string,
    secrets: readonly string[],
    deadLetter: string | undefined,
  ) {
    super(queue, shown, secrets);
    const fifo = queue.endsWith('.fifo');
    this.dlq = deadLetter ?? `${queue.replace(/\.fifo$/, '')}-dead${fifo ? '.fifo' : ''}`;
    this.deadLetters = this.deadLettersAt(this.dlq);
  }

  static async open(
    url: URL,
    shown: string,
    secrets: readonly string[],
    queue: string,
    deadLetter: string | undefined,
    env: Readonly<Record<string, string | undefined>>,
  ): Promise<SqsAdmin> {
    const local = /^(localhost|127\.[\d.]+|\[::1\])$/.test(url.hostname);
    const protocol = url.searchParams.get('protocol') ?? (local ? 'http' : 'https');
    const endpoint = `${protocol}://${url.host}`;
    const region = url.searchParams.get('region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
    const credentials = url.username
      ? { accessKeyId: decodeURIComponent(url.username), secretAccessKey: decodeURIComponent(url.password) }
      : undefined;
    const client = new SQSClient({ endpoint, region, maxAttempts: 2, ...(credentials ? { credentials } : {}) });
    const admin = new SqsAdmin(client, queue, shown, secrets, deadLetter);
    await admin.guard(() => admin.queueUrl(queue));
    return admin;
  }

  protected shutdown(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }

  private queueUrl(name: string): Promise<string> {
    let url = this.urls.get(name);
    if (!url) {
      url = this.client.send(new GetQueueUrlCommand({ QueueName: name })).then((r) => r.QueueUrl ?? '');
      url.catch(() => this.urls.delete(name));
      this.urls.set(name, url);
    }
    return url.catch((error: unknown) => {
      const n = (error as { name?: string }).name ?? '';
      if (/NonExistentQueue|QueueDoesNotExist/.test(n)) throw new Error(`sqs: queue ${name} does not exist`);
      throw error;
    });
  }

  peek(n: number): Promise<PeekedMessage[]> {
    count(n, 'n');
    return Promise.reject(
      unsupported(
        'sqs',
        'peek',
        'SQS shows a message only by receiving it, which hides it and counts a receive, that rxq counts as an attempt (use `dlq list` for dead letters)',
      ),
    );
  }

  publish(bodies: readonly (string | Buffer)[], options: PublishOptions = {}): Promise<number> {
    return this.guard(async () => {
      const url = await this.queueUrl(this.queue);
      await publishMany(
        this.client,
        url,
        bodies.map((b) => (typeof b === 'string' ? b : b.toString('utf8'))),
        {
          codec: text,
          ...(options.headers ? { attributes: options.headers } : {}),
        },
      );
      return bodies.length;
    });
  }

  private async counts(url: string): Promise<Record<string, string>> {
    const r = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return r.Attributes ?? {};
  }

  stats(): Promise<QueueStats> {
    return this.guard(async () => {
      const q = await this.counts(await this.queueUrl(this.queue));
      let dead = 0;
      try {
        dead = Number((await this.counts(await this.queueUrl(this.dlq))).ApproximateNumberOfMessages ?? 0);
      } catch (error) {
        if (!/does not exist/.test(String((error as Error).message))) throw error;
      }
      return {
        depth: Number(q.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(q.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(q.ApproximateNumberOfMessagesDelayed ?? 0),
        deadLetters: dead,
        // SQS does not know its consumers.
        consumers: null,
        lag: null,
      };
    });
  }

  /**
   * Receives the dead letters ten at a time, each hidden for {@link HOLD_SECONDS}, until receives
   * come back empty; `visit` gets each batch. What was received and not deleted is made visible
   * again at the end.
   */
  private async scan(visit: (batch: Message[], url: string) => Promise<boolean>): Promise<number | null> {
    let url: string;
    try {
      url = await this.queueUrl(this.dlq);
    } catch {
      return null;
    }
    const start = Number((await this.counts(url)).ApproximateNumberOfMessages ?? 0);
    const held: Message[] = [];
    try {
      for (let empty = 0, seen = 0; empty < EMPTY_RECEIVES && seen < start; ) {
        const r = await this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: HOLD_SECONDS,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
          }),
        );
        const batch = r.Messages ?? [];
        if (batch.length === 0) {
          empty++;
          continue;
        }
        empty = 0;
        seen += batch.length;
        held.push(...batch);
        if (!(await visit(batch, url))) break;
      }
    } finally {
      const left = held.filter((m) => !(m as { deleted?: boolean }).deleted);
      for (let i = 0; i < left.length; i += 10)
        await this.client
          .send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: url,
              Entries: left
                .slice(i, i + 10)
                .map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle ?? '', VisibilityTimeout: 0 })),
            }),
          )
          .catch(() => undefined);
    }
    return start;
  }

  protected async listDead(options: ListOptions): Promise<DeadLetter[]> {
    const match = matcher(options);
    const limit = options.limit ?? Infinity;
    const out: DeadLetter[] = [];
    if (limit === 0) return out;
    await this.scan(async (batch) => {
      for (const m of batch) {
        const l = letterOf(m, options.body === true);
        if (match(l) && out.length < limit) out.push(l);
      }
      return out.length < limit;
    });
    return out.sort((a, b) => (a.deadAt ?? 0) - (b.deadAt ?? 0));
  }

  private async remove(url: string, batch: Message[]): Promise<number> {
    if (batch.length === 0) return 0;
    const r = await this.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: batch.map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
    for (const s of r.Successful ?? []) (batch[Number(s.Id)] as { deleted?: boolean }).deleted = true;
    return r.Successful?.length ?? 0;
  }

  protected async redriveDead(filter: DeadLetterFilter, options: RedriveOptions): Promise<RedriveResult> {
    const target = await this.queueUrl(this.queue);
    const fifo = this.queue.endsWith('.fifo');
    let dlqUrl: string | undefined;
    try {
      dlqUrl = await this.queueUrl(this.dlq);
    } catch {
      dlqUrl = undefined;
    }
    const pacer = new Pacer(options, dlqUrl ? Number((await this.counts(dlqUrl)).ApproximateNumberOfMessages ?? 0) : 0);
    const match = matcher(filter);
    let left = filter.limit ?? Infinity;
    pacer.progress();
    await this.scan(async (batch, url) => {
      if (pacer.stopped) return false;
      const chosen = batch.filter((m) => match(letterOf(m, false))).slice(0, left);
      if (chosen.length === 0) return left > 0;
      left -= chosen.length;
      await pacer.take(chosen.length);
      pacer.noteMatched(chosen.map((m) => ({ id: m.MessageId ?? '' })));
      if (!options.dryRun) {
        const now = Date.now();
        const r = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: target,
            Entries: chosen.map((m, k) => ({
              Id: String(k),
              MessageBody: m.Body ?? '',
              MessageAttributes: copyAttributes(m, now),
              ...(fifo
                ? {
                    MessageGroupId: m.Attributes?.MessageGroupId ?? 'rxq',
                    MessageDeduplicationId: `${m.MessageId}-redrive`,
                  }
                : {}),
            })),
          }),
        );
        // Only the dead letters whose copy SQS accepted are deleted.
        const sent = (r.Successful ?? []).map((s) => chosen[Number(s.Id)] as Message);
        pacer.moved += await this.remove(url, sent);
      }
      pacer.progress();
      return left > 0;
    });
    return pacer.result();
  }

  protected async purgeDead(filter: DeadLetterFilter): Promise<PurgeResult> {
    if (!selective(filter) && filter.limit === undefined) {
      let url: string;
      try {
        url = await this.queueUrl(this.dlq);
      } catch {
        return { purged: 0 };
      }
      const n = Number((await this.counts(url)).ApproximateNumberOfMessages ?? 0);
      await this.client.send(new PurgeQueueCommand({ QueueUrl: url }));
      return { purged: n };
    }
    const match = matcher(filter);
    let left = filter.limit ?? Infinity;
    let purged = 0;
    await this.scan(async (batch, url) => {
      const chosen = batch.filter((m) => match(letterOf(m, false))).slice(0, left);
      left -= chosen.length;
      purged += await this.remove(url, chosen);
      return left > 0;
    });
    return { purged };
  }
}

/** A redriven copy's attributes: the original's, without rxq's dead-letter ones. */
function copyAttributes(m: Message, now: number): Record<string, MessageAttributeValue> {
  const kept = redriveHeaders(headersOf(m), now);
  const out: Record<string, MessageAttributeValue> = {};
  for (const [k, v] of Object.entries(m.MessageAttributes ?? {})) if (k in kept) out[k] = v;
  out['x-rxq-redriven-at'] = { DataType: 'String', StringValue: String(now) };
  return out;
}
