import { ConnectionLostError } from '@rxq/core';
import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { natsError } from './errors.js';
import { isConnection, type NatsSettings } from './options.js';

/** A connection for one session: its own (closed with it) or the user's (left open). */
export interface ConnectionLease {
  readonly connection: NatsConnection;
  /** Set when the connection closed before the session was ready. */
  readonly lost: Error | undefined;
  release(): Promise<void>;
}

/**
 * Opens the session's connection, without the client's own reconnect: a lost connection is
 * reported through `onLost` and `fromQueue` opens a new session with backoff. A connection the
 * user passed is used as it is (the client reconnects it) and never closed.
 */
export async function openConnection(s: NatsSettings, onLost: (error: Error) => void): Promise<ConnectionLease> {
  if (isConnection(s.connection)) {
    const nc = s.connection;
    return { connection: nc, lost: undefined, release: async () => undefined };
  }
  const options: NodeConnectionOptions =
    typeof s.connection === 'string' || Array.isArray(s.connection)
      ? { servers: s.connection as string | string[] }
      : { ...(s.connection as NodeConnectionOptions) };
  let nc: NatsConnection;
  try {
    nc = await connect({ name: s.connectionName, ...options, reconnect: false });
  } catch (error) {
    throw natsError('connecting', error);
  }
  let released = false;
  const lease = {
    connection: nc,
    lost: undefined as Error | undefined,
    async release() {
      released = true;
      if (nc.isClosed()) return;
      await nc.flush().catch(() => undefined);
      await nc.close().catch(() => undefined);
    },
  };
  void nc.closed().then((error) => {
    if (released) return;
    const reason = error instanceof Error ? `: ${error.message}` : '';
    lease.lost = new ConnectionLostError(`nats: the connection closed${reason}`, error);
    onLost(lease.lost);
  });
  return lease;
}
