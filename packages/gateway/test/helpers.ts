import { connect, type Socket } from 'node:net';

/** A raw socket client: writes bytes as given, reads reply lines, and sees the close. */
export class RawClient {
  private buffer = '';
  private readonly lines: string[] = [];
  private waiters: (() => void)[] = [];
  /** Resolves when the server closed the connection. */
  readonly closed: Promise<void>;
  isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      let nl = this.buffer.indexOf('\n');
      while (nl !== -1) {
        this.lines.push(this.buffer.slice(0, nl).replace(/\r$/, ''));
        this.buffer = this.buffer.slice(nl + 1);
        nl = this.buffer.indexOf('\n');
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes a request as one `\r\n` line (a string is sent as it is, a value as JSON). */
  send(request: unknown): void {
    this.socket.write(
      typeof request === 'string' || Buffer.isBuffer(request) ? request : JSON.stringify(request) + '\r\n',
    );
  }

  /** The next reply line, parsed; undefined if the connection closed first. */
  async next(timeoutMs = 10_000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.isClosed) return undefined;
      if (Date.now() > deadline) throw new Error('no reply in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return JSON.parse(this.lines.shift() as string) as unknown;
  }

  /** Sends a request and waits for its reply. */
  async call(request: unknown): Promise<unknown> {
    this.send(request);
    return this.next();
  }

  /** Whether a reply line is waiting. */
  get pending(): number {
    return this.lines.length;
  }

  end(): void {
    this.socket.end();
  }

  kill(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Everything in a memory queue, left in place. */
export function contents<T>(q: {
  size: number;
  take(n: number): { values: T[] };
  pushMany(v: Iterable<T>): void;
}): T[] {
  const all = q.size > 0 ? q.take(q.size).values : [];
  q.pushMany(all);
  return all;
}
