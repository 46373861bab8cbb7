import { BatchWriter, type BatchBuffer } from '@rxq/core/kit';

/** A batch of settlements: one op letter each, and their arguments in order. */
export interface Ops<P = Buffer> {
  readonly codes: string;
  readonly parts: readonly P[];
}

/**
 * The batch as three script arguments, however many settlements: the ops, one blob of every
 * argument, and their lengths (the script splits the blob).
 */
export function packed(ops: Ops<Buffer>): [codes: string, blob: Buffer, lengths: string] {
  return [ops.codes, Buffer.concat(ops.parts), ops.parts.map((p) => p.length).join(',')];
}

/**
 * Settlements of one session written together: op letters and their arguments are appended as
 * they come (no object per settlement) and written by core's {@link BatchWriter}: once per
 * event-loop turn or at `maxOps`, one write after another, in order.
 */
export class OpBatch<P extends Buffer | string = Buffer> implements BatchBuffer<Ops<P>> {
  private codes = '';
  private parts: P[] = [];
  /** `hold`, `unhold`, `take` and `flush` are the writer's. */
  readonly writer: BatchWriter<Ops<P>>;

  constructor(write: (ops: Ops<P>) => Promise<unknown>, maxOps = 1000) {
    this.writer = new BatchWriter({ buffer: this, write, maxSize: maxOps });
  }

  get size(): number {
    return this.codes.length;
  }

  cut(): Ops<P> {
    const ops: Ops<P> = { codes: this.codes, parts: this.parts };
    this.codes = '';
    this.parts = [];
    return ops;
  }

  /** Adds an op with one, two or three arguments. */
  add(code: string, a: P, b?: P, c?: P): Promise<void> {
    this.codes += code;
    this.parts.push(a);
    if (b !== undefined) this.parts.push(b);
    if (c !== undefined) this.parts.push(c);
    return this.writer.added();
  }
}
