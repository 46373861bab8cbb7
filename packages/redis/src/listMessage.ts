import { attemptOf, type Delivery } from '@rxq/core';
import { ENVELOPE_MAGIC, readListEntry } from './envelope.js';

/** A message from a Redis list: the element as it sits in the list, kept to settle it exactly. */
export interface ListDelivery extends Delivery {
  readonly payload: Buffer;
  /** The list element (envelope included), removed by `LREM` on settlement. */
  readonly element: Buffer;
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
