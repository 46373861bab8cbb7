import type { Socket } from 'node:net';
import type { Logger } from '@rxq/core';
import { handleRequest } from './actions.js';
import { Caller } from './caller.js';
import type { Dispatcher } from './dispatcher.js';
import { MALFORMED, reply, type Reply } from './protocol.js';

/** What a TCP connection needs from its server. */
export interface ConnectionContext {
  readonly dispatcher: Dispatcher;
  readonly token: string | undefined;
  readonly maxLineBytes: number;
  readonly lineTimeoutMs: number;
  readonly logger: Logger;
}

const NEWLINE = 0x0a;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One client connection: reads `\r\n`-terminated lines, answers them one at a time and in order,
 * and never reads ahead more than one line while a request is in flight (the socket is paused).
 * Leases of old-protocol pulls are acked when the next request arrives; whatever the connection
 * holds when it goes returns to its queue.
 */
export class Connection {
  readonly caller: Caller;
  private chunks: Buffer[] = [];
  private partialBytes = 0;
  private lines: Buffer[] = [];
  private busy = false;
  private lineTimer: NodeJS.Timeout | undefined;
  /** The client has finished sending: answer what it sent, then close. */
  private ended = false;
  /** Resolves when the connection is closed and its leases are back. */
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ConnectionContext,
  ) {
    this.caller = new Caller(ctx.token === undefined);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.ended = true;
      if (!this.busy && this.lines.length === 0) socket.end();
    });
    socket.on('error', (error) => ctx.logger.debug({ err: error.message }, 'connection error'));
    this.closed = new Promise<void>((resolve) => {
      socket.once('close', () => {
        this.clearLineTimer();
        void ctx.dispatcher.drop(this.caller).then(resolve, resolve);
      });
    });
  }

  /** Ends the connection at once (shutdown): a pending request is abandoned, its items returned. */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl !== -1) {
      const piece = chunk.subarray(start, nl);
      const line = this.chunks.length === 0 ? piece : Buffer.concat([...this.chunks, piece]);
      this.chunks = [];
      this.partialBytes = 0;
      this.clearLineTimer();
      // The limit counts a line's bytes without its `\r\n`.
      const length = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
      if (length > this.ctx.maxLineBytes) return this.tooLong();
      this.lines.push(line);
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.partialBytes += rest.length;
      if (this.partialBytes > this.ctx.maxLineBytes + 1) return this.tooLong();
      // Copy: a subarray would keep the whole socket chunk alive.
      this.chunks.push(start === 0 ? rest : Buffer.from(rest));
      if (this.lineTimer === undefined && this.ctx.lineTimeoutMs !== Infinity)
        this.lineTimer = setTimeout(() => this.lineTimedOut(), this.ctx.lineTimeoutMs);
    }
    if (this.lines.length > 0) {
      if (this.busy) this.socket.pause();
      else void this.drain();
    }
  }

  /** Answers queued lines one after another. */
  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.lines.length > 0 && !this.caller.gone) {
        const line = this.lines.shift() as Buffer;
        const answer = this.answer(line);
        const r = answer instanceof Promise ? await answer : answer;
        if (r === undefined) continue;
        if (this.caller.gone) return;
        if (!r.silent) {
          const ok = this.socket.write(JSON.stringify([r.status, r.result]) + '\r\n');
          if (!ok && !r.close) await this.writable();
        }
        if (r.close) {
          this.lines = [];
          this.socket.end();
          return;
        }
      }
    } catch (error) {
      this.ctx.logger.error({ err: error }, 'a request failed unexpectedly');
      this.socket.destroy();
    } finally {
      this.busy = false;
    }
    if (this.caller.gone) return;
    if (this.ended) this.socket.end();
    else this.socket.resume();
  }

  /** One line's reply; undefined for an empty line. */
  private answer(line: Buffer): Reply | Promise<Reply> | undefined {
    let end = line.length;
    if (end > 0 && line[end - 1] === 0x0d) end--;
    let text: string;
    try {
      text = utf8.decode(end === line.length ? line : line.subarray(0, end));
    } catch {
      return this.confirmed(MALFORMED);
    }
    if (text.trim().length === 0) return undefined;
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch {
      return this.confirmed(MALFORMED);
    }
    // The next request has arrived: the client read its last answer, so what it pulled is acked.
    const confirm = this.ctx.dispatcher.confirm(this.caller);
    if (confirm instanceof Promise)
      return confirm.then(() => handleRequest(this.ctx.dispatcher, this.caller, request, this.ctx.token));
    return handleRequest(this.ctx.dispatcher, this.caller, request, this.ctx.token);
  }

  private confirmed(r: Reply): Reply | Promise<Reply> {
    const confirm = this.ctx.dispatcher.confirm(this.caller);
    return confirm instanceof Promise ? confirm.then(() => r) : r;
  }

  private writable(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private tooLong(): void {
    this.chunks = [];
    this.lines = [];
    this.ctx.logger.warn({ maxLineBytes: this.ctx.maxLineBytes }, 'line too long: connection closed');
    this.finalWord(reply('error:unknown', 'line too long'));
  }

  private lineTimedOut(): void {
    this.lineTimer = undefined;
    if (this.busy) {
      // The socket is paused while a request is in flight: the line's bytes may simply not be read yet.
      this.lineTimer = setTimeout(() => this.lineTimedOut(), this.ctx.lineTimeoutMs);
      return;
    }
    this.ctx.logger.warn({ lineTimeoutMs: this.ctx.lineTimeoutMs }, 'line not finished in time: connection closed');
    this.finalWord(reply('error:unknown', 'line not finished in time'));
  }

  /** Answers with an error and closes, abandoning any request in flight (its items go back). */
  private finalWord(r: Reply): void {
    this.clearLineTimer();
    this.caller.leave();
    this.socket.pause();
    this.socket.end(JSON.stringify([r.status, r.result]) + '\r\n');
    this.socket.destroySoon();
  }

  private clearLineTimer(): void {
    if (this.lineTimer !== undefined) clearTimeout(this.lineTimer);
    this.lineTimer = undefined;
  }
}
