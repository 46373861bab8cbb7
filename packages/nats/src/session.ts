import {
  batcher,
  ConnectionLostError,
  type Batcher,
  type DeadLetterRequest,
  type OpenContext,
  type ResendRequest,
  type Session,
} from '@rxq/core';
import { jetstream, jetstreamManager, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureConsumer } from './consumer.js';
import { DeadLetters } from './deadLetters.js';
import { toDelivery, type NatsDelivery } from './delivery.js';
import { natsError } from './errors.js';
import { Leases } from './leases.js';
import type { NatsSettings } from './options.js';
import { openConnection, type ConnectionLease } from './connection.js';
import { Puller } from './puller.js';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * One connection's pull consumer: fetches by credit, settles on the message's own reply subject
 * (`+ACK`, `-NAK`, `+TERM`, `+WPI`), and resolves a settlement once a `PING` after it came back.
 */
export class NatsSession implements Session<NatsDelivery> {
  private lostError: Error | undefined;
  private closed = false;
  private readonly acks: Batcher<void>;
  private readonly leases: Leases | undefined;
  private readonly deadLetters: DeadLetters | undefined;

  private constructor(
    private readonly s: NatsSettings,
    private readonly context: OpenContext,
    private readonly link: ConnectionLease,
    private readonly jsm: JetStreamManager,
    private readonly consumerName: string,
    private readonly puller: Puller,
    ackWaitMs: number,
    private readonly termReason: boolean,
  ) {
    const nc = link.connection;
    this.acks = batcher<void>({ flush: () => flushed(nc) });
    this.leases = s.extendAckWait ? new Leases(ackWaitMs) : undefined;
    this.deadLetters =
      s.deadLetterSubject === false
        ? undefined
        : new DeadLetters(jetstream(nc), jsm, s.stream, s.deadLetterSubject, s.deadLetterStream);
  }

  /** Connects, checks the stream, finds or creates the consumer; rejects with a translated error. */
  static async open(s: NatsSettings, context: OpenContext): Promise<NatsSession> {
    let session: NatsSession | undefined;
    const link = await openConnection(s, (error) => session?.fail(error));
    try {
      const nc = link.connection;
      const jsm = await jetstreamManager(nc);
      await jsm.streams.info(s.stream);
      const ref = await ensureConsumer(jsm, s, context.maxInFlight);
      const consumer = await jetstream(nc).consumers.get(s.stream, ref.name);
      const owner = { failed: (error: unknown) => session?.fail(new ConnectionLostError(lostMessage(error), error)) };
      const puller = new Puller(consumer, s.expiresMs, context.maxInFlight, owner);
      session = new NatsSession(s, context, link, jsm, ref.name, puller, ref.ackWaitMs, supportsTermReason(nc));
      if (link.lost) throw link.lost;
      context.logger.debug({ stream: s.stream, consumer: ref.name, ackWaitMs: ref.ackWaitMs }, 'nats: consuming');
      return session;
    } catch (error) {
      await link.release();
      throw natsError(`consuming from stream "${s.stream}"`, error);
    }
  }

  async receive(max: number): Promise<readonly NatsDelivery[]> {
    this.throwIfLost();
    const msgs = await this.puller.receive(max);
    if (msgs.length === 0) this.throwIfLost();
    return msgs.map((m) => {
      const d = toDelivery(m, this);
      this.leases?.hold(d);
      return d;
    });
  }

  ack(d: NatsDelivery): Promise<void> {
    return this.settle(d, (m) => m.ack());
  }

  requeue(d: NatsDelivery): Promise<void> {
    return this.settle(d, (m) => m.nak());
  }

  /** Each back at once with `nak`; the server counts that as a delivery (see the README). */
  async release(ds: readonly NatsDelivery[]): Promise<void> {
    await Promise.all(ds.map((d) => this.requeue(d)));
  }

  /** `nak` with the delay: the server redelivers the same message, its delivery count one more. */
  async resend(d: NatsDelivery, request: ResendRequest): Promise<void> {
    await this.settle(d, (m) => (request.delayMs > 0 ? m.nak(request.delayMs) : m.nak()));
  }

  /** Publishes a copy to the dead-letter subject (publish ack awaited), then `term`s the original. */
  async deadLetter(d: NatsDelivery, request: DeadLetterRequest): Promise<void> {
    if (d.owner !== this) return;
    if (this.deadLetters) {
      try {
        await this.deadLetters.publish(d, request);
      } catch (error) {
        await this.settle(d, (m) => m.nak());
        throw natsError(`dead-lettering a message of "${this.s.stream}"`, error);
      }
    }
    await this.settle(d, (m) => (this.termReason ? m.term(request.reason) : m.term()));
  }

  stopIntake(): void {
    this.puller.stop();
  }

  /** Stops pulling, gives back what is buffered, flushes settlements, and closes what it opened. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.puller.close(() => flushed(this.link.connection));
    this.leases?.stop();
    await this.acks.flush().catch(() => undefined);
    if (this.s.ephemeral && !this.lostError)
      await this.jsm.consumers.delete(this.s.stream, this.consumerName).catch(() => undefined);
    await this.link.release();
  }

  private settle(d: NatsDelivery, op: (m: JsMsg) => void): Promise<void> {
    if (d.owner !== this) return RESOLVED;
    this.leases?.drop(d);
    if (this.lostError) return Promise.reject(this.lostError);
    try {
      op(d.msg);
    } catch (error) {
      return Promise.reject(natsError(`settling a message of "${this.s.stream}"`, error));
    }
    return this.acks.add(undefined);
  }

  private throwIfLost(): void {
    if (this.lostError) throw this.lostError;
  }

  /** The connection is gone or a pull failed: reject the waiting receive and tell `fromQueue`. */
  private fail(error: Error): void {
    if (this.lostError || this.closed) return;
    this.lostError = error;
    this.puller.stop();
    this.leases?.stop();
    this.context.lost(error);
  }
}

/**
 * Resolves once the server answered a `PING` sent after everything written so far; rejects if the
 * connection closes first (a flush on a closing connection would otherwise never settle).
 */
function flushed(nc: NatsConnection): Promise<void> {
  const gone = (): ConnectionLostError =>
    new ConnectionLostError('nats: the connection closed before the server had the settlement');
  if (nc.isClosed()) return Promise.reject(gone());
  return Promise.race([
    nc.flush(),
    nc.closed().then(() => {
      throw gone();
    }),
  ]);
}

function lostMessage(error: unknown): string {
  return `nats: pulling messages failed: ${error instanceof Error ? error.message : String(error)}`;
}

/** `+TERM <reason>` is understood from nats-server 2.11 on; older servers take it for an unknown ack. */
function supportsTermReason(nc: NatsConnection): boolean {
  const [major = 0, minor = 0] = (nc.info?.version ?? '0.0').split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 11);
}
