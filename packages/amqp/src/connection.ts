import type { Logger } from '@rxq/core';
import { connect, type ChannelModel } from 'amqplib';
import { amqpError, redactUrl } from './errors.js';
import { isConnection, type AmqpConnection, type AmqpConnectionOption } from './connectionOption.js';

/** A connection a session uses: opened by rxq (and closed with the session) or borrowed. */
export interface ConnectionLease {
  readonly connection: AmqpConnection;
  /** Closes an owned connection and removes the listeners; never rejects. */
  release(): Promise<void>;
}

/** Where a connection option points, for errors and logs: a URL without its password. */
export function describeConnection(option: AmqpConnectionOption): string {
  if (typeof option === 'string') return redactUrl(option);
  if (isConnection(option)) return 'the given connection';
  return `${option.protocol ?? 'amqp'}://${option.hostname ?? 'localhost'}:${option.port ?? 5672}`;
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
}

/**
 * Opens a connection for a URL or connect options (with the socket options and the
 * `connection_name` client property), or borrows the user's open one. Rejects with a classified
 * error (see `amqpError`): retryable when the broker cannot be reached, not when it refused.
 */
export async function lease(o: LeaseOptions): Promise<ConnectionLease> {
  const { connection: option, logger } = o;
  if (isConnection(option)) return { connection: option, release: () => Promise.resolve() };
  const where = describeConnection(option);
  let model: ChannelModel;
  try {
    model = await connect(option, {
      ...o.socketOptions,
      clientProperties: { connection_name: o.connectionName },
    });
  } catch (error) {
    throw amqpError(`connecting to ${where}`, error);
  }
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
