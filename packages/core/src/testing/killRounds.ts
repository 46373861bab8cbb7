import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** Options of {@link killRounds}. */
export interface KillRoundsOptions {
  /**
   * A consumer program run with `node`: it prints the `n` of each message it handled (after the
   * ack is written) on a line of its own, and exits 0 on SIGTERM after a graceful stop.
   */
  readonly fixture: string;
  /** Its arguments (the queue, the broker, the bound on in-flight messages). */
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** How many distinct `n` were published (0 to total - 1). */
  readonly total: number;
  /** How many consumers are SIGKILLed mid-stream, one after another. @default 3 */
  readonly kills?: number;
  /** Lines a consumer prints before it is killed. @default 400 */
  readonly killAfter?: number;
}

/** What {@link killRounds} saw. */
export interface KillRoundsResult {
  /** Each killed consumer: how it exited, and how many distinct `n` were seen when it died. */
  readonly killed: readonly {
    readonly code: number | null;
    readonly signal: string | null;
    readonly seenAtKill: number;
  }[];
  /** The exit code of the last consumer, stopped with SIGTERM once every `n` was seen. */
  readonly lastExitCode: number | null;
  /** How many times each `n` was handled, over every consumer. */
  readonly seen: ReadonlyMap<number, number>;
  /** Per killed consumer, how many of the `n` it handled a later consumer handled again. */
  readonly handledAgain: readonly number[];
  /** Handlings beyond the first, summed over every `n`. */
  readonly duplicates: number;
}

interface Child {
  readonly child: ChildProcess;
  readonly exited: Promise<unknown[]>;
  until(lines: number): Promise<void>;
}

/**
 * The kill test every reliable connector runs: consumers started one after another on the same
 * queue, each SIGKILLed after `killAfter` lines, then a last one that runs until every `n` was
 * handled and stops on SIGTERM. Runner-neutral: the caller asserts on the result (nothing lost:
 * `seen.size === total`; what came again bounded by the prefetch or `maxInFlight`).
 *
 * @example
 * const r = await killRounds({ fixture, args: [queue, url, '50'], total: 3_000 });
 * expect(r.seen.size).toBe(3_000);
 * for (const again of r.handledAgain) expect(again).toBeLessThanOrEqual(50);
 */
export async function killRounds(options: KillRoundsOptions): Promise<KillRoundsResult> {
  const { total, kills = 3, killAfter = 400 } = options;
  const seen = new Map<number, number>();
  const byChild: Set<number>[] = [];
  const start = (mine: Set<number>): Child => {
    const child = spawn(process.execPath, [options.fixture, ...options.args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    let lines = 0;
    const waiters: { k: number; resolve: () => void }[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      const n = Number(line);
      seen.set(n, (seen.get(n) ?? 0) + 1);
      mine.add(n);
      lines++;
      for (const w of waiters.filter((w) => lines >= w.k || seen.size === total)) w.resolve();
    });
    return {
      child,
      exited: once(child, 'exit'),
      until: (k) => new Promise<void>((resolve) => waiters.push({ k, resolve })),
    };
  };
  const killed: { code: number | null; signal: string | null; seenAtKill: number }[] = [];
  for (let k = 0; k < kills; k++) {
    const mine = new Set<number>();
    byChild.push(mine);
    const c = start(mine);
    await c.until(killAfter);
    c.child.kill('SIGKILL');
    const [code, signal] = (await c.exited) as [number | null, string | null];
    killed.push({ code, signal, seenAtKill: seen.size });
  }
  const mine = new Set<number>();
  byChild.push(mine);
  const last = start(mine);
  await last.until(total * 10); // resolves once every n was seen
  last.child.kill('SIGTERM');
  const [lastExitCode] = (await last.exited) as [number | null];
  const handledAgain = byChild
    .slice(0, kills)
    .map((own, k) => [...own].filter((n) => byChild.slice(k + 1).some((s) => s.has(n))).length);
  const duplicates = [...seen.values()].reduce((sum, count) => sum + count - 1, 0);
  return { killed, lastExitCode, seen, handledAgain, duplicates };
}
