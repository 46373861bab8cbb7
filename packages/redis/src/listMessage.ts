import { attemptOf, type Delivery } from '@rxq/core';
import { ENVELOPE_MAGIC, readListEntry } from './envelope.js';

/** What a Redis list delivered beside the body: `msg.transport` of a list source. */
export interface RedisListTransport {
  readonly kind: 'list';
  /** The list element exactly as it was read (rxq's envelope included, when it has one). */
  readonly element: Buffer;
  /**
   * The headers recorded in rxq's envelope, exactly (resent and dead-lettered copies carry them);
   * `undefined` for a producer's plain payload (a `RPUSH` of the body, attempt 1).
   */
  readonly envelopeHeaders: Readonly<Record<string, string>> | undefined;
}

/** A message from a Redis list: the element as it sits in the list, kept to settle it exactly. */
export interface ListDelivery extends Delivery {
  readonly payload: Buffer;
  /** The list element (envelope included), removed by `LREM` on settlement. */
  readonly element: Buffer;
  readonly transport: RedisListTransport;
}

/** A list element as a delivery; the id is built only when asked for. */
export class ListMessage implements ListDelivery {
  headers: Readonly<Record<string, string>> | undefined = undefined;
  attempt = 1;
  constructor(
    readonly element: Buffer,
    public payload: Buffer,
    readonly source: string,
    private readonly stem: string,
    private readonly seq: number,
  ) {}
  get id(): string {
    return `${this.stem}-${this.seq}`;
  }
  get transport(): RedisListTransport {
    return { kind: 'list', element: this.element, envelopeHeaders: this.headers };
  }
}

/** A delivery for `element`: a plain payload as it is, an rxq envelope taken apart. */
export function listMessage(element: Buffer, source: string, stem: string, seq: number): ListMessage {
  const d = new ListMessage(element, element, source, stem, seq);
  if (element[0] === 0 && element[1] === ENVELOPE_MAGIC[1]) {
    const { payload, headers } = readListEntry(element);
    d.payload = payload;
    d.headers = headers;
    d.attempt = attemptOf(headers);
  }
  return d;
}
