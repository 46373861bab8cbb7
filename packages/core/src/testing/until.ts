/** Options of {@link until}. */
export interface UntilOptions {
  /**
   * What is awaited, named in the error when the deadline passes: a text, or a function called
   * then (to say what was seen). @default the source text of `check`
   */
  readonly what?: string | (() => string);
  /** The deadline: how long `check` may take to hold. @default 10_000 */
  readonly timeoutMs?: number;
  /** How long to wait between two calls of `check`. @default 20 */
  readonly intervalMs?: number;
}

/**
 * Resolves once `check()` holds, calling it every `intervalMs`; rejects once `timeoutMs` passed
 * without it, with an error naming what was awaited. For a condition outside the test's reach (a
 * broker's count, a log line, a process), never in place of an event the test can await. Under any
 * test runner: it imports nothing. An error `check` throws rejects at once.
 *
 * @example
 * await until(async () => (await redis.llen(queue)) === 0, { what: `${queue} empty`, timeoutMs: 20_000 });
 */
export async function until(check: () => boolean | Promise<boolean>, options: UntilOptions = {}): Promise<void> {
  const { timeoutMs = 10_000, intervalMs = 20 } = options;
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`until: ${describe(options.what, check)} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function describe(what: UntilOptions['what'], check: () => unknown): string {
  if (typeof what === 'function') return what();
  if (what !== undefined) return what;
  const text = check.toString().replace(/\s+/g, ' ');
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}
