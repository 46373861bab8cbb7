import { connect, type Socket } from 'node:net';
import { AuthenticationError, ConnectionLostError, NotFoundError, RxqError } from '@rxq/core';
import type { Status } from './protocol.js';

interface Pending {
  resolve(reply: [Status, unknown]): void;
  reject(error: unknown): void;
}

/**
 * A client of the gateway's line protocol: requests are written as they come and answered in
 * order (the gateway handles one at a time per connection). Used by {@link gateway}; any
 * language's client does the same with a socket and a JSON library.
 */
export class LineClient {
  private readonly pending: Pending[] = [];
  private buffer = '';
  private lostError: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly onLost: (error: Error) => void,
  ) {
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => this.onData(text));
    socket.on('error', (error) =>
      this.lose(new ConnectionLostError(`gateway connection failed: ${error.message}`, error)),
    );
    socket.on('close', () => this.lose(new ConnectionLostError('gateway connection closed')));
  }

  /** Connects to `host:port`; rejects with a retryable {@link ConnectionLostError} if it cannot. */
  static open(host: string, port: number, onLost: (error: Error) => void, timeoutMs: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionLostError(`could not connect to the gateway at ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new LineClient(socket, onLost));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new ConnectionLostError(`could not connect to the gateway at ${host}:${port}: ${error.message}`, error));
      });
    });
  }

  /** Sends `[action, args, kwargs]`; resolves with `[status, result]`. */
  request(action: string, args: readonly unknown[] = [], kwargs?: Record<string, unknown>): Promise<[Status, unknown]> {
    if (this.lostError) return Promise.reject(this.lostError);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(JSON.stringify(kwargs === undefined ? [action, args] : [action, args, kwargs]) + '\r\n');
    });
  }

  /** `request`, resolving with the result of a `success` and rejecting with the matching error otherwise. */
  async call(action: string, args: readonly unknown[] = [], kwargs?: Record<string, unknown>): Promise<unknown> {
    const [status, result] = await this.request(action, args, kwargs);
    if (status === 'success') return result;
    throw errorOf(status, result);
  }

  /** Sends `quit` and closes. */
  async close(): Promise<void> {
    if (this.lostError) return;
    this.lostError = new ConnectionLostError('gateway connection closed');
    this.socket.end(JSON.stringify(['quit']) + '\r\n');
    await new Promise<void>((resolve) => {
      if (this.socket.closed) resolve();
      else this.socket.once('close', () => resolve());
    });
  }

  private onData(text: string): void {
    this.buffer += text;
    let nl = this.buffer.indexOf('\n');
    while (nl !== -1) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      nl = this.buffer.indexOf('\n');
      const waiter = this.pending.shift();
      try {
        waiter?.resolve(JSON.parse(line) as [Status, unknown]);
      } catch (error) {
        waiter?.reject(new RxqError('GATEWAY_PROTOCOL', 'the gateway sent a line that is not JSON', { cause: error }));
      }
    }
  }

  private lose(error: Error): void {
    const expected = this.lostError !== undefined;
    this.lostError ??= error;
    for (const p of this.pending.splice(0)) p.reject(this.lostError);
    if (!expected) this.onLost(error);
  }
}

/** The rxq error for a gateway status other than `success`. */
export function errorOf(status: Status, result: unknown): RxqError {
  const text = typeof result === 'string' ? result : status;
  switch (status) {
    case 'error:auth':
      return new AuthenticationError(`the gateway refused the token: ${text}`);
    case 'error:timeout':
      return new RxqError('TIMEOUT', 'nothing to pull in time', { retryable: true });
    case 'error:request':
      return text === 'queue not found'
        ? new NotFoundError('the gateway serves no such queue')
        : new RxqError('GATEWAY_REQUEST', `the gateway rejected the request: ${text}`);
    default:
      return new RxqError('GATEWAY_ACTION', `the gateway could not do it: ${text}`, { retryable: true });
  }
}
