import type { Channel } from 'amqplib';
import { amqpError } from './errors.js';
import type { AmqpSettings } from './options.js';

/** A delay queue lives this much longer than its messages, so that it never expires with one inside. */
const EXPIRES_MARGIN_MS = 60_000;
/** Redeclaring refreshes a delay queue's expiry: do it at least this often while it is used. */
const REDECLARE_MS = EXPIRES_MARGIN_MS / 2;

/**
 * Rounds a delay up to two significant digits (1234 → 1300 ms), so that jittered backoffs share a
 * few TTL queues instead of making one each. A copy waits at most 10% longer than asked.
 *
 * @example
 * delayBucket(1234); // 1300: a resend with delayMs 1234 goes through `<queue>.delay.1300`
 */
export function delayBucket(delayMs: number): number {
  const ms = Math.max(1, Math.ceil(delayMs));
  if (ms < 100) return ms;
  const step = 10 ** (Math.floor(Math.log10(ms)) - 1);
  return Math.ceil(ms / step) * step;
}

/** The queue's declaration arguments. */
function queueArguments(s: AmqpSettings): Record<string, unknown> {
  return { ...s.queueArguments, 'x-queue-type': s.queueType };
}

/** Declares the queue, and the exchange and binding when configured. */
export async function assertMain(channel: Channel, s: AmqpSettings): Promise<void> {
  const hint = ': check the queueType, durable and queueArguments options, or pass assert: false';
  try {
    await channel.assertQueue(s.queue, { durable: s.durable, arguments: queueArguments(s) });
    if (s.exchange) {
      const { name, type, durable, bindingKey } = s.exchange;
      await channel.assertExchange(name, type, { durable });
      await channel.bindQueue(s.queue, name, bindingKey);
    }
  } catch (error) {
    throw amqpError(`declaring queue "${s.queue}"`, error, hint);
  }
}

/**
 * Declares the queues resends and dead letters go to, on demand: the dead-letter queue (same type
 * as the queue) once per connection, and per-delay TTL queues `<prefix><ms>` whose messages
 * dead-letter back to the queue through the default exchange when their TTL runs out. A delay
 * queue expires (`x-expires`) a minute after its last use.
 */
export class Topology {
  private deadDeclared = false;
  /** Delay in ms → when its queue was last declared. */
  private readonly delayDeclared = new Map<number, number>();

  /** `declared` collects the names of the delay queues declared, for the connector's `delayQueues`. */
  constructor(
    private readonly s: AmqpSettings,
    private readonly declared: Set<string>,
  ) {}

  async deadLetterQueue(channel: Channel): Promise<string> {
    const { s } = this;
    if (!this.deadDeclared && s.assert) {
      await channel.assertQueue(s.deadLetterQueue, { durable: s.durable, arguments: { 'x-queue-type': s.queueType } });
      this.deadDeclared = true;
    }
    return s.deadLetterQueue;
  }

  async delayQueue(channel: Channel, delayMs: number): Promise<string> {
    const ms = delayBucket(delayMs);
    const name = this.s.delayQueuePrefix + ms;
    const now = Date.now();
    const last = this.delayDeclared.get(ms);
    if (last === undefined || now - last > REDECLARE_MS) {
      await channel.assertQueue(name, {
        durable: this.s.durable,
        arguments: {
          'x-message-ttl': ms,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': this.s.queue,
          'x-expires': ms + EXPIRES_MARGIN_MS,
        },
      });
      this.delayDeclared.set(ms, now);
      this.declared.add(name);
    }
    return name;
  }
}
