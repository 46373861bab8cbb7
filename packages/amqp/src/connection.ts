import { connect, type ChannelModel } from 'amqplib';
import { amqpError, redactUrl } from './errors.js';
import { isConnection, type AmqpConnection, type AmqpConnectionOption } from './options.js';

/** A connection a session uses: opened by rxq (and closed with the session) or borrowed. */
export interface ConnectionLease {
  readonly connection: AmqpConnection;
  /** Closes an owned connection and removes the listeners; never rejects. */
  release(): Promise<void>;
}

/** Where a connection option points, for error messages: a URL without its password. */
export function describeConnection(option: AmqpConnectionOption): string {
  if (typeof option === 'string') return redactUrl(option);
  if (isConnection(option)) return 'the given connection';
  return `${option.protocol ?? 'amqp'}://${option.hostname ?? 'localhost'}:${option.port ?? 5672}`;
}

/**
 * Opens a connection named `connectionName` for a URL or connect options, or borrows the user's
 * open one. `onClose` hears of an owned connection's loss (a borrowed one's loss shows as its
 * channels closing). Rejects with a retryable error when the broker cannot be reached.
 */
export async function lease(
  option: AmqpConnectionOption,
  connectionName: string,
  onClose: (error: unknown) => void,
): Promise<ConnectionLease> {
  if (isConnection(option)) return { connection: option, release: () => Promise.resolve() };
  let model: ChannelModel;
  try {
    model = await connect(option, { clientProperties: { connection_name: connectionName } });
  } catch (error) {
    throw amqpError(`connecting to ${describeConnection(option)}`, error);
  }
  // An 'error' is always followed by 'close'; without a listener it would crash the process.
  const onError = (): void => undefined;
  const closed = (error?: unknown): void => onClose(error);
  model.on('error', onError);
  model.on('close', closed);
  return {
    connection: model as unknown as AmqpConnection,
    async release() {
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
