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
} from '@rxq/core';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import { ChildSlot, type SlotHost } from './childSlot.js';
import {
  EXIT_CODES,
  KNOWN_OPTIONS,
  KNOWN_RESTART_OPTIONS,
  type SuperviseOptions,
  type Supervisor,
  type SupervisorEvent,
} from './superviseOptions.js';

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
  rejectUnknownOptions(options, KNOWN_OPTIONS);
  rejectUnknownOptions(options.restart, KNOWN_RESTART_OPTIONS, 'restart');
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
  const strings = (name: string, v: readonly string[] | undefined): readonly string[] => {
    if (v === undefined) return [];
    if (Array.isArray(v) && v.every((a) => typeof a === 'string')) return v;
    throw new InvalidOptionError(name, 'an array of strings', v);
  };
  const args = strings('args', options.args);
  const execArgv = strings('execArgv', options.execArgv);
  const env = options.env ?? {};
  if (typeof env !== 'object' || env === null || Object.values(env).some((v) => typeof v !== 'string'))
    throw new InvalidOptionError('env', 'an object of string values', env);
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
    args,
    execArgv,
    env,
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
