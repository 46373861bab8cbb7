import type { Logger } from '@rxq/core';
import { connect, type ChannelModel } from 'amqplib';
import { amqpError, redactUrl } from './errors.js';
import {
  addressesOf,
  isConnection,
  type AmqpBrokerAddress,
  type AmqpConnection,
  type AmqpConnectionOption,
} from './connectionOption.js';

/** A connection a session uses: opened by rxq (and closed with the session) or borrowed. */
export interface ConnectionLease {
  readonly connection: AmqpConnection;
  /** Closes an owned connection and removes the listeners; never rejects. */
  release(): Promise<void>;
}

/** Where a connection option points, for errors and logs: a URL without its password. */
export function describeConnection(option: AmqpConnectionOption): string {
  if (isConnection(option)) return 'the given connection';
  return addressesOf(option).map(describeAddress).join(', ');
}

function describeAddress(address: AmqpBrokerAddress): string {
  if (typeof address === 'string') return redactUrl(address);
  return `${address.protocol ?? 'amqp'}://${address.hostname ?? 'localhost'}:${address.port ?? 5672}`;
}

/**
 * Which of several brokers (the nodes of a cluster) to try first: the one that last worked, or
 * the next one once its connection was lost. One per connector (its sessions share it).
 */
export class BrokerCursor {
  private current = 0;

  /** Indexes of `count` brokers in the order to try them. */
  order(count: number): number[] {
    const start = this.current % count;
    return Array.from({ length: count }, (_, i) => (start + i) % count);
  }

  connected(index: number): void {
    this.current = index;
  }

  /** The connection to broker `index` was lost: start with the next one. */
  lost(index: number, count: number): void {
    if (this.current === index) this.current = (index + 1) % count;
  }
}

/**
 * Opens a connection to the first broker of `option` that accepts one, in the cursor's order. A
 * broker that cannot be reached (a retryable error) passes to the next; one that refuses (wrong
 * credentials, a missing vhost: not retryable) ends the attempt at once, since the next nodes of
 * the same cluster would refuse too. When none can be reached, the last broker's error is thrown.
 */
export async function connectAny(
  option: AmqpBrokerAddress | readonly AmqpBrokerAddress[],
  cursor: BrokerCursor,
  socketOptions: Readonly<Record<string, unknown>>,
  connectionName: string,
): Promise<{ model: ChannelModel; index: number; where: string }> {
  const addresses = addressesOf(option);
  let last: unknown;
  for (const index of cursor.order(addresses.length)) {
    const address = addresses[index]!;
    const where = describeAddress(address);
    try {
      const model = await connect(address, { ...socketOptions, clientProperties: { connection_name: connectionName } });
      cursor.connected(index);
      return { model, index, where };
    } catch (error) {
      last = amqpError(`connecting to ${where}`, error);
      if (!(last as { retryable?: boolean }).retryable) throw last;
    }
  }
  throw last;
}

/** What {@link lease} needs to open a connection. */
export interface LeaseOptions {
  readonly connection: AmqpConnectionOption;
  /** amqplib socket options (TLS material). */
  readonly socketOptions: Readonly<Record<string, unknown>>;
  readonly connectionName: string;
  readonly logger: Logger;
  /** Hears of an owned connection's loss (a borrowed one's loss shows as its channels closing). */
  readonly onClose?: (error: unknown) => void;
  /** Where to start among several brokers. @default a new cursor (the first broker) */
  readonly cursor?: BrokerCursor;
}

/**
 * Opens a connection for a URL or connect options (with the socket options and the
 * `connection_name` client property), or borrows the user's open one. Rejects with a classified
 * error (see `amqpError`): retryable when the broker cannot be reached, not when it refused.
 */
export async function lease(o: LeaseOptions): Promise<ConnectionLease> {
  const { connection: option, logger } = o;
  if (isConnection(option)) return { connection: option, release: () => Promise.resolve() };
  const cursor = o.cursor ?? new BrokerCursor();
  const count = addressesOf(option).length;
  const { model, index, where } = await connectAny(option, cursor, o.socketOptions, o.connectionName);
  logger.info({ broker: where, connectionName: o.connectionName }, 'amqp: connected');
  let releasing = false;
  const onError = (error: unknown): void => {
    // An 'error' is always followed by 'close' (logged there with the same cause); without a
    // listener it would crash the process.
    logger.debug({ broker: where, err: errorFields(error) }, 'amqp: connection error');
  };
  const closed = (error?: unknown): void => {
    if (releasing) return;
    logger.warn({ broker: where, err: errorFields(error) }, 'amqp: connection lost');
    cursor.lost(index, count);
    o.onClose?.(error);
  };
  model.on('error', onError);
  model.on('close', closed);
  return {
    connection: model,
    async release() {
      releasing = true;
      model.removeListener('close', closed);
      try {
        await model.close();
      } catch {
        // Already closed: nothing to release.
      } finally {
        model.removeListener('error', onError);
      }
    },
  };
}

/** `{ name, message, code }` of an error for a log record (amqplib's messages carry no secrets). */
export function errorFields(error: unknown): Record<string, unknown> | undefined {
  if (error === undefined || error === null) return undefined;
  if (!(error instanceof Error)) return { message: typeof error === 'string' ? error : 'a non-error value' };
  const code = (error as { code?: unknown }).code;
  return code === undefined
    ? { name: error.name, message: error.message }
    : { name: error.name, message: error.message, code };
}
