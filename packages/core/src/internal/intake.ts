import type { Subscriber } from 'rxjs';
import type { Codec } from '../codec.js';
import type { Delivery, Session } from '../connector.js';
import type { InFlightCount } from '../kit/inFlightCount.js';
import type { Message } from '../message.js';
import type { Ledger } from './ledger.js';
import { MessageImpl, Origin } from './messageImpl.js';
import type { Settler } from './settlement.js';
import { INTERRUPTED, type Interruptible, type Interrupted } from './wait.js';

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
/** What `receiveAndEmit` returns when the pump goes on. */
const CONTINUE = Symbol('continue');

/** What the intake needs from the run that owns it: its lifecycle state. */
export interface IntakeHost {
  readonly stopping: 'drain' | 'now' | undefined;
  /** The loss reported by the session being pumped, if any. */
  readonly lostError: unknown;
  /** The run's one wait in progress, which a stop or a loss interrupts. */
  readonly waits: Interruptible;
  /** Keeps a give-back of a late receive until the run closes. */
  late(work: Promise<void>): void;
  /** A receive worked: the connection is good again. */
  received(): void;
}

/**
 * The intake of one run: pulls from a session by credit (`maxInFlight` less what the
 * {@link Ledger} holds), decodes, emits, and hands undecodable deliveries to settlement as poison.
 */
export class Intake<T> {
  constructor(
    private readonly host: IntakeHost,
    private readonly codec: Codec<T>,
    private readonly maxInFlight: number,
    private readonly ledger: Ledger,
    private readonly settler: Settler,
    private readonly subscriber: Subscriber<Message<T>>,
  ) {}

  /**
   * Pulls and emits until stopped (returns undefined) or the session is lost (returns the error).
   * `count` is the session's own in-flight count.
   */
  async pump(session: Session, count: InFlightCount): Promise<unknown> {
    const { host, ledger } = this;
    while (!host.stopping) {
      if (host.lostError !== undefined) return host.lostError;
      const credit = this.maxInFlight - ledger.inFlight;
      if (credit <= 0) {
        await ledger.changed();
        continue;
      }
      const end = await this.receiveAndEmit(session, count, credit);
      if (end !== CONTINUE) return end;
    }
    return undefined;
  }

  /**
   * One receive: emits what it brings and returns CONTINUE, or returns what ends the pump. A
   * method of its own so that the pump, waiting for the next receive, keeps nothing of this batch
   * alive (its messages hold their deliveries for as long as they are unsettled).
   */
  private async receiveAndEmit(session: Session, count: InFlightCount, credit: number): Promise<unknown> {
    const { host } = this;
    let batch: readonly Delivery[] | Interrupted;
    const receiving = session.receive(credit);
    try {
      batch = await host.waits.wait(receiving);
    } catch (error) {
      // A loss the session reported first wins over the rejection that followed it.
      return host.lostError ?? error;
    }
    if (batch === INTERRUPTED || host.stopping) {
      // The receive may still deliver: give back whatever it brings. Not a settlement: close()
      // must not wait for it, since closing is what ends the receive.
      const late = batch === INTERRUPTED ? receiving : Promise.resolve(batch);
      host.late(late.then((ds) => (ds.length > 0 ? this.settler.giveBack(session, ds) : undefined)));
      if (host.stopping) return undefined;
      return host.lostError;
    }
    host.received();
    const { codec } = this;
    const origin = new Origin(this.settler, session, count, performance.now());
    for (let i = 0; i < batch.length; i++) {
      const delivery = batch[i] as Delivery;
      let body: T | Promise<T>;
      try {
        body = codec.decode(delivery.payload, delivery.headers ?? NO_HEADERS, delivery);
      } catch (error) {
        this.settler.poison(session, delivery, error);
        continue;
      }
      // An async codec (a schema with async checks): the rest of the batch waits, in order.
      if (body instanceof Promise) return this.emitAsync(origin, batch, i, body);
      this.emit(origin, delivery, body);
    }
    return CONTINUE;
  }

  private emit(origin: Origin, delivery: Delivery, body: T): void {
    const message = new MessageImpl<T>(origin, delivery, body);
    this.ledger.link(message);
    this.subscriber.next(message);
  }

  /** The slow path of `receiveAndEmit`, from the first delivery whose decode returned a Promise. */
  private async emitAsync(
    origin: Origin,
    batch: readonly Delivery[],
    from: number,
    first: Promise<T>,
  ): Promise<typeof CONTINUE> {
    const { codec } = this;
    for (let i = from; i < batch.length; i++) {
      const delivery = batch[i] as Delivery;
      let body: T;
      try {
        body = await (i === from ? first : codec.decode(delivery.payload, delivery.headers ?? NO_HEADERS, delivery));
      } catch (error) {
        this.settler.poison(origin.session, delivery, error);
        continue;
      }
      this.emit(origin, delivery, body);
    }
    return CONTINUE;
  }
}
