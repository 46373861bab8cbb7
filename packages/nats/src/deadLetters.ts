import { deadLetterHeaders, type DeadLetterRequest } from '@rxq/core';
import { StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { NatsDelivery } from './delivery.js';

/** Publish-time expectations and stream directives of the original: a copy must not repeat them. */
const NOT_COPIED = /^(nats-expected-|nats-rollup$|nats-ttl$)/i;

/** Header values cannot hold line breaks. */
const oneLine = (value: string): string => value.replace(/[\r\n]+/g, ' ');

/**
 * The headers of a copy: every header of the original, each value byte for byte and repeated keys
 * kept (from the raw `MsgHdrs`, never from the string view), then rxq's on top.
 */
export function copyHeaders(original: MsgHdrs | undefined, extra: Readonly<Record<string, string>>): MsgHdrs {
  const out = natsHeaders();
  if (original) {
    for (const [key, values] of original) {
      if (NOT_COPIED.test(key) || key in extra) continue;
      for (const value of values) out.append(key, value);
    }
  }
  for (const key in extra) out.set(key, oneLine(extra[key]!));
  return out;
}

/**
 * Publishes dead letters to the dead-letter subject, with a JetStream publish ack, creating the
 * dead-letter stream on the first one when no stream captures the subject.
 */
export class DeadLetters {
  private ensured: Promise<void> | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly subject: string,
    private readonly deadLetterStream: string | false,
  ) {}

  async publish(d: NatsDelivery, request: DeadLetterRequest): Promise<void> {
    const extra = {
      ...deadLetterHeaders(undefined, request, this.stream),
      'x-rxq-origin-subject': d.transport.subject,
      'x-rxq-origin-sequence': String(d.transport.streamSequence),
    };
    const hdrs = copyHeaders(d.transport.headers, extra);
    // The same message dead-lettered twice (a crash between publish and term) is stored once.
    const msgID = d.transport.headers?.has('Nats-Msg-Id') ? undefined : `${this.stream}:${d.transport.streamSequence}`;
    await this.ensure();
    await this.js.publish(this.subject, d.payload, msgID === undefined ? { headers: hdrs } : { headers: hdrs, msgID });
  }

  private ensure(): Promise<void> {
    this.ensured ??= this.create().catch((error: unknown) => {
      this.ensured = undefined;
      throw error;
    });
    return this.ensured;
  }

  /** Creates the dead-letter stream unless one already captures the subject. */
  private async create(): Promise<void> {
    if (this.deadLetterStream === false) return;
    const found = await this.jsm.streams.find(this.subject).catch(() => undefined);
    if (found) return;
    await this.jsm.streams.add({ name: this.deadLetterStream, subjects: [this.subject], storage: StorageType.File });
  }
}
