import {
  errorInfo,
  exponential,
  InvalidOptionError,
  nonNegative,
  opt,
  positiveInt,
  rejectUnknownOptions,
  silentLogger,
  type Backoff,
  type Logger,
} from '@rxq/core';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { ChildSlot, type SlotHost } from './childSlot.js';

/** How dead children are restarted. */
export interface RestartOptions {
  /** Delay before the first restart of a child. @default 200 */
  readonly initialMs?: number;
  /** Upper bound on the delay, which doubles per consecutive restart. @default 10_000 */
  readonly maxMs?: number;
  /**
   * Consecutive restarts of one child (each after it ran less than `stableMs`) before the runner
   * gives up: it logs an error, stops every other child and ends with exit code 1. @default 5
   */
  readonly maxRestarts?: number;
  /** A child that ran this long before dying starts its count of restarts afresh. @default 30_000 */
  readonly stableMs?: number;
}

/** Options of {@link supervise}. */
export interface SuperviseOptions {
  /** The consumer module each child runs (a path, resolved against the working directory). */
  readonly module: string;
  /** Child processes to keep running. @default os.availableParallelism() */
  readonly processes?: number;
  /** Arguments after the module on each child's command line. @default [] */
  readonly args?: readonly string[];
  /** Node options of each child (`--max-old-space-size=…`). @default [] */
  readonly execArgv?: readonly string[];
  /**
   * Variables added to each child's environment (the runner's own are inherited). Each child also
   * gets `RXQ_PROCESS_INDEX` (0…processes-1), `RXQ_PROCESSES` and `RXQ_DRAIN_TIMEOUT_MS`.
   * @default {}
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * After a stop, how long children have to drain and exit after their SIGTERM; one still
   * running then is SIGKILLed (its unsettled messages go back through the broker). @default 30_000
   */
  readonly drainTimeoutMs?: number;
  /** Restart policy. */
  readonly restart?: RestartOptions;
  /**
   * Signals on which the runner stops gracefully (a second one kills every child at once), or
   * `false` to leave signals to the caller. @default ['SIGTERM', 'SIGINT']
   */
  readonly signals?: readonly NodeJS.Signals[] | false;
  /** The runner's own records: starts, exits, restarts, giving up, the stop. @default silentLogger */
  readonly logger?: Logger;
  /** Where the children's stdout lines go, each with its prefix. @default process.stdout */
  readonly stdout?: Writable;
  /** Where the children's stderr lines go, each with its prefix. @default process.stderr */
  readonly stderr?: Writable;
  /** Told of every start, exit, restart, give-up and the stop. @default none */
  readonly onEvent?: (event: SupervisorEvent) => void;
}

/** What happened to the children. */
export type SupervisorEvent =
  | { readonly type: 'started'; readonly index: number; readonly pid: number }
  | {
      readonly type: 'exited';
      readonly index: number;
      readonly pid: number;
      readonly code: number | null;
      readonly signal: NodeJS.Signals | null;
      readonly uptimeMs: number;
    }
  | { readonly type: 'restarting'; readonly index: number; readonly delayMs: number; readonly restarts: number }
  | { readonly type: 'gave-up'; readonly index: number; readonly restarts: number }
  | { readonly type: 'stopping'; readonly reason: string }
  | { readonly type: 'stopped'; readonly exitCode: number };

/**
 * The runner's exit codes: 0 every child exited 0 after the stop; 1 a child kept dying and the
 * runner gave up; 3 a child was still running after `drainTimeoutMs` and was killed; 4 a child
 * exited with another code (or another signal than the SIGTERM it was sent) during the stop.
 */
export const EXIT_CODES = { ok: 0, gaveUp: 1, drainTimedOut: 3, childFailed: 4 } as const;

/** A running set of supervised processes. */
export interface Supervisor {
  /** Resolves with the exit code once every child has exited after a stop or a give-up. */
  readonly done: Promise<number>;
  /** Graceful stop: SIGTERM to every child, SIGKILL to those still running after `drainTimeoutMs`. */
  stop(reason?: string): Promise<number>;
  /** Each child's current pid, by index (`undefined` while it waits for a restart). */
  pids(): (number | undefined)[];
}

const KNOWN = [
  'module',
  'processes',
  'args',
  'execArgv',
  'env',
  'drainTimeoutMs',
  'restart',
  'signals',
  'logger',
  'stdout',
  'stderr',
  'onEvent',
] as const;
const KNOWN_RESTART = ['initialMs', 'maxMs', 'maxRestarts', 'stableMs'] as const;

/**
 * Starts `processes` child processes of a consumer module and keeps them running: a child that
 * dies is restarted with exponential backoff, and after `restart.maxRestarts` quick deaths in a
 * row the runner gives up loudly (an `error` log, a `gave-up` event, exit code 1). Each line a
 * child writes is prefixed with `[module#index pid]`. On SIGTERM/SIGINT (or `stop()`) every child
 * gets SIGTERM and `drainTimeoutMs` to drain and exit (a consumer passes `shutdownSignal()` as its
 * source's `stop`); the promise `done` then resolves with a meaningful exit code ({@link EXIT_CODES}).
 *
 * A child killed mid-stream loses nothing: its unsettled messages come back through the broker
 * (redelivery, a reliable list's recovery), as with any consumer that dies.
 *
 * @example
 * const supervisor = supervise({ module: './consumer.js', processes: 4, drainTimeoutMs: 20_000, logger });
 * process.exitCode = await supervisor.done;
 */
export function supervise(options: SuperviseOptions): Supervisor {
  rejectUnknownOptions(options, KNOWN);
  rejectUnknownOptions(options.restart, KNOWN_RESTART, 'restart');
  if (typeof options.module !== 'string' || options.module === '')
    throw new InvalidOptionError('module', 'the path of a module', options.module);
  const module = resolve(options.module);
  if (!existsSync(module)) throw new InvalidOptionError('module', 'the path of an existing file', options.module);
  const processes = opt(options.processes, availableParallelism(), (v) => positiveInt('processes', v));
  const drainTimeoutMs = opt(options.drainTimeoutMs, 30_000, (v) => nonNegative('drainTimeoutMs', v));
  const restart = options.restart ?? {};
  const maxRestarts = opt(restart.maxRestarts, 5, (v) => nonNegative('restart.maxRestarts', v));
  const stableMs = opt(restart.stableMs, 30_000, (v) => nonNegative('restart.stableMs', v));
  const backoff: Backoff = exponential({
    initialMs: opt(restart.initialMs, 200, (v) => nonNegative('restart.initialMs', v)),
    maxMs: opt(restart.maxMs, 10_000, (v) => nonNegative('restart.maxMs', v)),
  });
  const signals = options.signals === false ? [] : (options.signals ?? ['SIGTERM', 'SIGINT']);
  const logger = options.logger ?? silentLogger;
  const onEvent = options.onEvent;
  const name = basename(module);

  let stopping = false;
  let exitCode: number = EXIT_CODES.ok;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  let killTimer: NodeJS.Timeout | undefined;

  const emit = (event: SupervisorEvent): void => {
    try {
      onEvent?.(event);
    } catch (error) {
      logger.error({ error: errorInfo(error) }, 'supervise: onEvent threw');
    }
  };
  const worse = (code: number): void => {
    const rank = (c: number): number =>
      [EXIT_CODES.ok, EXIT_CODES.childFailed, EXIT_CODES.drainTimedOut, EXIT_CODES.gaveUp].indexOf(c as 0);
    if (rank(code) > rank(exitCode)) exitCode = code;
  };

  const host: SlotHost = {
    module,
    name,
    processes,
    args: options.args ?? [],
    execArgv: options.execArgv ?? [],
    env: options.env ?? {},
    drainTimeoutMs,
    stdout: options.stdout ?? process.stdout,
    stderr: options.stderr ?? process.stderr,
    logger,
    get stopping() {
      return stopping;
    },
    emit,
    exited(slot, code, signal, uptimeMs) {
      if (stopping) {
        // A child that died of the SIGTERM it was sent obeyed the stop (it had not yet set up a
        // drain, or does not have one): the broker redelivers what it held.
        if (slot.killed) worse(EXIT_CODES.drainTimedOut);
        else if (code !== 0 && signal !== 'SIGTERM') worse(EXIT_CODES.childFailed);
        if (slots.every((s) => !s.alive)) finish();
        return;
      }
      if (uptimeMs >= stableMs) slot.restarts = 0;
      if (slot.restarts >= maxRestarts) {
        logger.error(
          { index: slot.index, restarts: slot.restarts, code, signal },
          `${name}#${slot.index} kept dying (${slot.restarts} restarts in a row): giving up and stopping every child`,
        );
        emit({ type: 'gave-up', index: slot.index, restarts: slot.restarts });
        worse(EXIT_CODES.gaveUp);
        void stop(`${name}#${slot.index} gave up`);
        return;
      }
      slot.restarts++;
      const delayMs = backoff(slot.restarts);
      logger.warn(
        { index: slot.index, code, signal, uptimeMs, delayMs, restarts: slot.restarts, maxRestarts },
        `${name}#${slot.index} died; restarting in ${delayMs} ms`,
      );
      emit({ type: 'restarting', index: slot.index, delayMs, restarts: slot.restarts });
      slot.restartIn(delayMs);
    },
  };
  const slots = Array.from({ length: processes }, (_, index) => new ChildSlot(host, index));

  const finish = (): void => {
    if (killTimer) clearTimeout(killTimer);
    for (const [signal, on] of listeners) process.off(signal, on);
    process.off('exit', killAll);
    logger.info({ exitCode }, `all children of ${name} have exited`);
    emit({ type: 'stopped', exitCode });
    resolveDone(exitCode);
  };

  const stop = (reason = 'stop()'): Promise<number> => {
    if (stopping) return done;
    stopping = true;
    logger.info({ reason, drainTimeoutMs }, `stopping ${processes} children of ${name}: draining`);
    emit({ type: 'stopping', reason });
    for (const slot of slots) slot.terminate();
    if (slots.every((s) => !s.alive)) finish();
    else {
      killTimer = setTimeout(() => {
        for (const slot of slots) if (slot.alive) slot.kill();
      }, drainTimeoutMs);
      killTimer.unref();
    }
    return done;
  };

  const listeners = signals.map((signal) => {
    const on = (): void => {
      if (!stopping) void stop(signal);
      else {
        logger.warn({ signal }, `second ${signal}: killing every child of ${name} now`);
        for (const slot of slots) if (slot.alive) slot.kill();
      }
    };
    process.on(signal, on);
    return [signal, on] as const;
  });

  // Children live in process groups of their own: if this process exits without a stop, they go too.
  const killAll = (): void => {
    for (const slot of slots) if (slot.alive) slot.kill();
  };
  process.once('exit', killAll);
  for (const slot of slots) slot.start();
  return { done, stop, pids: () => slots.map((s) => s.pid) };
}
