import { attemptOf, type Delivery } from '@rxq/core';
import type { Message as SqsMessage, MessageAttributeValue } from '@aws-sdk/client-sqs';

/** What SQS delivered beside the body: a typed, lossless view. */
export interface SqsTransport {
  readonly queueUrl: string;
  readonly messageId: string;
  readonly receiptHandle: string;
  /** System attributes: `ApproximateReceiveCount`, `SentTimestamp`, `MessageGroupId`, … */
  readonly attributes: Readonly<Record<string, string>>;
  /** Message attributes exactly as delivered (typed: String, Number, Binary). */
  readonly messageAttributes: Readonly<Record<string, MessageAttributeValue>>;
  readonly md5OfBody: string | undefined;
}

/** A message as an SQS session hands it to `fromQueue`. */
export interface SqsDelivery extends Delivery {
  readonly payload: string;
  readonly transport: SqsTransport;
  /** The session that received it: only that one settles it. */
  readonly owner: object;
}

/** Message attributes as strings: String and Number as they are, Binary as base64. */
export function stringHeaders(
  attributes: Readonly<Record<string, MessageAttributeValue>> | undefined,
): Record<string, string> | undefined {
  if (attributes === undefined) return undefined;
  let out: Record<string, string> | undefined;
  for (const key in attributes) {
    const a = attributes[key]!;
    const value =
      a.StringValue ?? (a.BinaryValue === undefined ? undefined : Buffer.from(a.BinaryValue).toString('base64'));
    if (value !== undefined) (out ??= {})[key] = value;
  }
  return out;
}

/**
 * The attempt: the `x-rxq-attempt` attribute (1 when absent, as from any producer) plus the
 * server's count of earlier receives (`ApproximateReceiveCount` - 1). A resend makes the same
 * message visible again after the delay, so the receive count is what grows.
 */
export function attemptOfMessage(
  receiveCount: string | undefined,
  headers: Readonly<Record<string, string>> | undefined,
): number {
  const count = Number(receiveCount ?? '1');
  return attemptOf(headers) + (Number.isInteger(count) && count > 1 ? count - 1 : 0);
}

/** Builds the delivery for a received message. */
export function toDelivery(m: SqsMessage, queueUrl: string, source: string, owner: object): SqsDelivery {
  const headers = stringHeaders(m.MessageAttributes);
  const attributes = (m.Attributes ?? {}) as Record<string, string>;
  const transport: SqsTransport = {
    queueUrl,
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    attributes,
    messageAttributes: m.MessageAttributes ?? {},
    md5OfBody: m.MD5OfBody,
  };
  const receiveCount = attributes.ApproximateReceiveCount;
  const d: { -readonly [K in keyof SqsDelivery]: SqsDelivery[K] } = {
    id: `${transport.messageId}:${receiveCount ?? '1'}`,
    payload: m.Body ?? '',
    attempt: attemptOfMessage(receiveCount, headers),
    source,
    transport,
    owner,
  };
  if (headers !== undefined) d.headers = headers;
  if (attributes.MessageGroupId !== undefined) d.key = attributes.MessageGroupId;
  if (attributes.SequenceNumber !== undefined) d.offset = attributes.SequenceNumber;
  const sent = Number(attributes.SentTimestamp);
  if (Number.isFinite(sent)) d.timestamp = sent;
  return d;
}
