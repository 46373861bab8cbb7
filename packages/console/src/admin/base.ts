import type {
  AdminCapabilities,
  DeadLetter,
  DeadLetterFilter,
  DeadLetters,
  ListOptions,
  PeekedMessage,
  PublishOptions,
  PurgeResult,
  QueueAdmin,
  QueueStats,
  ReadOptions,
  RedriveOptions,
  RedriveResult,
} from './types.js';
import { InvalidOptionError } from '@rxq/core';
import { redactError } from './common.js';

/**
 * What every adapter shares: `redrive`/`purge` as aliases of the dead letters' own, errors with
 * credentials scrubbed, and an idempotent `close`.
 */
export abstract class BaseAdmin implements QueueAdmin {
  abstract readonly broker: string;
  abstract readonly capabilities: AdminCapabilities;
  abstract readonly deadLetters: DeadLetters;
  private closing: Promise<void> | undefined;

  constructor(
    readonly queue: string,
    readonly target: string,
    protected readonly secrets: readonly string[],
  ) {}

  abstract peek(n: number, options?: ReadOptions): Promise<PeekedMessage[]>;
  abstract publish(bodies: readonly (string | Buffer)[], options?: PublishOptions): Promise<number>;
  abstract stats(): Promise<QueueStats>;
  protected abstract shutdown(): Promise<void>;
  protected abstract listDead(options: ListOptions): Promise<DeadLetter[]>;
  protected abstract redriveDead(filter: DeadLetterFilter, options: RedriveOptions): Promise<RedriveResult>;
  protected abstract purgeDead(filter: DeadLetterFilter): Promise<PurgeResult>;

  /** The dead letters at `destination`, through this adapter's guarded list, redrive and purge. */
  protected deadLettersAt(destination: string): DeadLetters {
    return {
      destination,
      list: (options) => this.guard(() => this.listDead(options ?? {})),
      redrive: (filter, options) => this.guard(() => this.redriveDead(filter ?? {}, options ?? {})),
      purge: (filter) => this.guard(() => this.purgeDead(filter ?? {})),
    };
  }

  redrive(filter?: DeadLetterFilter, options?: RedriveOptions): Promise<RedriveResult> {
    return this.deadLetters.redrive(filter, options);
  }

  purge(filter?: DeadLetterFilter): Promise<PurgeResult> {
    return this.deadLetters.purge(filter);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown().catch(() => undefined);
    return this.closing;
  }

  /** Runs `work`, turning whatever it throws into an error without credentials. */
  protected async guard<R>(work: () => Promise<R>): Promise<R> {
    try {
      return await work();
    } catch (error) {
      throw redactError(error, this.secrets);
    }
  }
}

/** Checks `n` of `peek`: an integer ≥ 0. */
export function count(n: unknown, name: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new InvalidOptionError(name, 'an integer ≥ 0', n);
  return n;
}
