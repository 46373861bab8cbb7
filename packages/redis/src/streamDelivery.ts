import type { Delivery } from '@rxq/core';

/** What a Redis stream delivered beside the body: `msg.transport` of a stream source. */
export interface RedisStreamTransport {
  readonly kind: 'stream';
  /** The entry id (`<milliseconds>-<sequence>`). */
  readonly id: string;
  /**
   * Every field of the entry in its order, as raw bytes (`[name, value]`), the body field and
   * repeated names included. Resent and dead-lettered copies carry these fields exactly; `headers`
   * is their text view (UTF-8, the last of a repeated name).
   */
  readonly fields: readonly (readonly [Buffer, Buffer])[];
}

/**
 * A stream entry as a delivery: `id` (and `offset`) is the entry id; `timestamp` is read from it
 * when asked. Small on purpose: up to `maxInFlight` of them are alive at once.
 */
export class StreamDelivery implements Delivery {
  constructor(
    readonly id: string,
    /** The body field's value; `undefined` when the entry has none (then it is dead-lettered). */
    readonly payload: Buffer | undefined,
    readonly attempt: number,
    readonly source: string,
    readonly headers: Readonly<Record<string, string>> | undefined,
    /**
     * The entry's fields as Redis sent them (name, value, …) when it has more than the body field;
     * for the usual lone body field, the body field's name (nothing more is kept alive per entry).
     */
    private readonly fieldsOrBodyName: readonly Buffer[] | Buffer,
  ) {}
  /** Every field of the entry as Redis sent it: name, value, name, value, … */
  get raw(): readonly Buffer[] {
    const f = this.fieldsOrBodyName;
    return Buffer.isBuffer(f) ? [f, this.payload ?? Buffer.alloc(0)] : f;
  }
  get offset(): string {
    return this.id;
  }
  get timestamp(): number {
    return parseInt(this.id, 10);
  }
  get transport(): RedisStreamTransport {
    const fields: (readonly [Buffer, Buffer])[] = [];
    for (let i = 0; i + 1 < this.raw.length; i += 2) fields.push([this.raw[i] as Buffer, this.raw[i + 1] as Buffer]);
    return { kind: 'stream', id: this.id, fields };
  }
}
