import type { Logger } from '@rxq/core';
import type { Writable } from 'node:stream';

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

export const KNOWN_OPTIONS = [
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
export const KNOWN_RESTART_OPTIONS = ['initialMs', 'maxMs', 'maxRestarts', 'stableMs'] as const;
