/**
 * A one-slot wake-up with a timeout: a loop waits (`await wakeup.wait(pollMs)`) until something
 * calls `wake()` (data arrived, credit came back, a stop began) or the time is up. A `wake()`
 * while nobody waits is not kept: check your condition before you wait.
 *
 * @example
 * const more = new Wakeup();
 * client.on('data', () => more.wake());
 * while (!stopped && buffer.size === 0) await more.wait(pollMs);
 */
export class Wakeup {
  private waiter: ((woken: boolean) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** Whether a wait is in progress. */
  get waiting(): boolean {
    return this.waiter !== undefined;
  }

  /**
   * Resolves true when woken, false after `timeoutMs` (setTimeout's largest delay and above,
   * Infinity included: never times out). A new wait ends the one in progress as woken.
   */
  wait(timeoutMs = Infinity): Promise<boolean> {
    this.wake();
    return new Promise<boolean>((resolve) => {
      this.waiter = resolve;
      if (timeoutMs <= 0x7fffffff) this.timer = setTimeout(() => this.end(false), timeoutMs);
    });
  }

  /** Ends the wait in progress, if any; returns whether there was one. */
  wake(): boolean {
    return this.end(true);
  }

  private end(woken: boolean): boolean {
    const waiter = this.waiter;
    if (waiter === undefined) return false;
    this.waiter = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    waiter(woken);
    return true;
  }
}

/**
 * Resolves true as soon as the function handed to `register` is called, or false after
 * `timeoutMs` (setTimeout's largest delay and above: never). Calling the function later does
 * nothing. For a waiter kept in a list of your own, which `onTimeout` (called at the time out,
 * before the promise resolves) can take it out of at once; a single slot is {@link Wakeup}.
 *
 * @example
 * await wakeOrTimeout(pollMs, (wake) => waiters.add(wake), () => waiters.delete(wake));
 */
export function wakeOrTimeout(
  timeoutMs: number,
  register: (wake: () => void) => void,
  onTimeout?: () => void,
): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs <= 0x7fffffff)
      timer = setTimeout(() => {
        onTimeout?.();
        resolve(false);
      }, timeoutMs);
    register(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Waits for `work`, but no longer than `timeoutMs` (setTimeout's largest delay and above: no
 * limit). Resolves true when it ended in time, false when the time ran out first; a rejection of
 * `work` in time rejects. For bounded closes: a client that never says it ended must not hang a
 * stop.
 *
 * @example
 * if (!(await within(once(client, 'end'), 1_000))) logger.warn({}, 'the client did not end in time');
 */
export async function within(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
    if (timeoutMs <= 0x7fffffff) timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
  });
  try {
    return (await Promise.race([work, timedOut])) !== TIMED_OUT;
  } finally {
    clearTimeout(timer);
  }
}

const TIMED_OUT = Symbol('timed out');
