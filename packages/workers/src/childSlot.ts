import { errorInfo, type Logger } from '@rxq/core';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { SupervisorEvent } from './superviseOptions.js';

/** What a slot needs from its supervisor. @internal */
export interface SlotHost {
  readonly module: string;
  readonly name: string;
  readonly processes: number;
  readonly args: readonly string[];
  readonly execArgv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly drainTimeoutMs: number;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly logger: Logger;
  readonly stopping: boolean;
  emit(event: SupervisorEvent): void;
  exited(slot: ChildSlot, code: number | null, signal: NodeJS.Signals | null, uptimeMs: number): void;
}

/** One supervised position: the child running in it now, and its count of quick restarts. @internal */
export class ChildSlot {
  restarts = 0;
  /** SIGKILLed after the drain timeout. */
  killed = false;
  private child: ChildProcess | undefined;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: SlotHost,
    readonly index: number,
  ) {}

  get alive(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const { host, index } = this;
    const child = spawn(process.execPath, [...host.execArgv, host.module, ...host.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own: a terminal's Ctrl-C (SIGINT to the foreground group) reaches
      // the runner alone, which then asks each child once; a second signal would end a child's
      // drain (shutdownSignal listens once).
      detached: true,
      env: {
        ...process.env,
        ...host.env,
        RXQ_PROCESS_INDEX: String(index),
        RXQ_PROCESSES: String(host.processes),
        RXQ_DRAIN_TIMEOUT_MS: String(host.drainTimeoutMs),
      },
    });
    this.child = child;
    const startedAt = performance.now();
    const pid = child.pid ?? -1;
    const prefix = `[${host.name}#${index} ${pid}] `;
    pipeLines(child.stdout, host.stdout, prefix);
    pipeLines(child.stderr, host.stderr, prefix);
    child.on('error', (error) =>
      host.logger.error({ index, error: errorInfo(error) }, `${host.name}#${index}: ${error.message}`),
    );
    // 'close', not 'exit': every line the child wrote has been passed on by then.
    child.once('close', (code, signal) => {
      this.child = undefined;
      const uptimeMs = Math.round(performance.now() - startedAt);
      host.logger.info({ index, pid, code, signal, uptimeMs }, `${host.name}#${index} exited`);
      host.emit({ type: 'exited', index, pid, code, signal, uptimeMs });
      host.exited(this, code, signal, uptimeMs);
    });
    host.logger.info({ index, pid }, `${host.name}#${index} started`);
    host.emit({ type: 'started', index, pid });
  }

  restartIn(delayMs: number): void {
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.host.stopping) this.start();
    }, delayMs);
  }

  /** Asks the child to drain and exit; a pending restart is cancelled. */
  terminate(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.child?.kill('SIGTERM');
  }

  kill(): void {
    if (!this.child) return;
    this.killed = true;
    this.host.logger.warn(
      { index: this.index, pid: this.child.pid },
      `${this.host.name}#${this.index} did not exit in time: SIGKILL`,
    );
    this.child.kill('SIGKILL');
  }
}

function pipeLines(from: Readable | null, to: Writable, prefix: string): void {
  if (!from) return;
  createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => to.write(`${prefix}${line}\n`));
}
