import { RxqError } from '@rxq/core';
import type { WireError } from './wire.js';

/**
 * The worker thread that was running a handler died (it exited, or an error escaped its event
 * loop). Retryable: the message did nothing wrong as far as rxq knows, and the thread is replaced.
 */
export class WorkerCrashedError extends RxqError {
  constructor(cause: unknown) {
    super('WORKERS_THREAD_CRASHED', 'The worker thread running the handler died; it has been replaced.', {
      retryable: true,
      cause,
    });
    this.name = 'WorkerCrashedError';
  }
}

/**
 * `maxConsecutiveCrashes` threads died in a row with no item finished in between:
 * `handleInWorkers` errors its stream with it rather than fail every message as crashed. Not
 * retryable; `cause` is the last crash.
 */
export class WorkersGaveUpError extends RxqError {
  constructor(crashes: number, cause: unknown) {
    super(
      'WORKERS_GAVE_UP',
      `${crashes} worker threads died in a row without finishing a message; raise maxConsecutiveCrashes if a burst of such messages is expected.`,
      { cause },
    );
    this.name = 'WorkersGaveUpError';
  }
}

/**
 * The worker module could not be loaded, or its `init` export failed, in a new thread. Not
 * retryable: `handleInWorkers` errors its stream with it (the source then releases its messages),
 * since no message can be handled until the module or its configuration is mended.
 */
export class WorkerInitError extends RxqError {
  /** `load`: importing the module or finding its handler failed; `init`: its `init` threw. */
  readonly stage: 'load' | 'init';
  constructor(module: string, stage: 'load' | 'init', cause: WireError) {
    super(
      stage === 'load' ? 'WORKERS_LOAD_FAILED' : 'WORKERS_INIT_FAILED',
      stage === 'load'
        ? `The worker module ${module} could not be loaded: ${cause.name}: ${cause.message}`
        : `The init of worker module ${module} failed: ${cause.name}: ${cause.message}`,
      { cause: remoteError(cause) },
    );
    this.name = 'WorkerInitError';
    this.stage = stage;
  }
}

/**
 * An error a handler threw in a worker thread, rebuilt on the main thread: its `name`, `message`
 * and `stack` are the original's, and so are `code` and `retryable` where the original had them
 * (so `retryWithResend` treats it as it would the original).
 */
export class WorkerHandlerError extends Error {
  declare readonly code?: string;
  declare readonly retryable?: boolean;
  constructor(wire: WireError) {
    super(wire.message);
    this.name = wire.name;
    if (wire.stack !== undefined) this.stack = wire.stack;
    if (wire.code !== undefined) Object.defineProperty(this, 'code', { value: wire.code, enumerable: true });
    if (wire.retryable !== undefined)
      Object.defineProperty(this, 'retryable', { value: wire.retryable, enumerable: true });
  }
}

/** The main-thread form of an error that crossed from a thread. */
export function remoteError(wire: WireError): WorkerHandlerError {
  return new WorkerHandlerError(wire);
}
