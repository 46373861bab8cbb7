import { attemptOf, type Delivery } from '@rxq/core';
import type { JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';

/** What JetStream delivered beside the body: a typed, lossless view. */
export interface NatsTransport {
  /** The subject the message was published on. */
  readonly subject: string;
  /** The headers exactly as delivered (repeated keys keep every value), or `undefined`. */
  readonly headers: MsgHdrs | undefined;
  readonly stream: string;
  readonly consumer: string;
  /** The message's sequence in its stream: what a replay `{ sequence }` starts from. */
  readonly streamSequence: number;
  /** The consumer's delivery sequence (one more on every delivery, redeliveries included). */
  readonly deliverySequence: number;
  /** How many times the server delivered this message to the consumer (1 on first delivery). */
  readonly deliveryCount: number;
  /** Messages left in the consumer after this one when it was delivered. */
  readonly pending: number;
  /** The stream's timestamp, nanoseconds since the epoch. */
  readonly timestampNanos: bigint;
}

/** A message as a NATS session hands it to `fromQueue`. */
export interface NatsDelivery extends Delivery {
  readonly payload: Uint8Array;
  readonly transport: NatsTransport;
  /** The client's message, which settles it. */
  readonly msg: JsMsg;
  /** The session that delivered it: only that one settles it. */
  readonly owner: object;
}

/**
 * Headers as strings: each key's values joined with `, ` (as HTTP folds repeated fields). The
 * status line a server writes on control messages is not a header and is left out.
 */
export function stringHeaders(raw: MsgHdrs | undefined): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  let out: Record<string, string> | undefined;
  for (const [key, values] of raw) (out ??= {})[key] = values.join(', ');
  return out;
}

/**
 * The attempt of a delivery: the `x-rxq-attempt` header (1 when absent, as from any producer)
 * plus the server's count of earlier deliveries of this message. A resend is a `nak` with a
 * delay, so the server's count is what grows.
 */
export function attemptOfMsg(deliveryCount: number, headers: Readonly<Record<string, string>> | undefined): number {
  return attemptOf(headers) + Math.max(0, deliveryCount - 1);
}

/** Builds the delivery for a fetched message. */
export function toDelivery(msg: JsMsg, owner: object): NatsDelivery {
  const headers = stringHeaders(msg.headers);
  const { info } = msg;
  const transport: NatsTransport = {
    subject: msg.subject,
    headers: msg.headers,
    stream: info.stream,
    consumer: info.consumer,
    streamSequence: info.streamSequence,
    deliverySequence: info.deliverySequence,
    deliveryCount: info.deliveryCount,
    pending: info.pending,
    timestampNanos: msg.timestampNanos,
  };
  const d: { -readonly [K in keyof NatsDelivery]: NatsDelivery[K] } = {
    id: `${info.streamSequence}.${info.deliverySequence}`,
    payload: msg.data,
    attempt: attemptOfMsg(info.deliveryCount, headers),
    source: info.stream,
    key: msg.subject,
    offset: String(info.streamSequence),
    timestamp: Number(msg.timestampNanos / 1_000_000n),
    transport,
    msg,
    owner,
  };
  if (headers !== undefined) d.headers = headers;
  return d;
}
