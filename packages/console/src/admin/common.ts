import { attemptOf, HEADERS, RxqError, UnsupportedError } from '@rxq/core';
import type { DeadLetter, DeadLetterFilter, RedriveOptions, RedriveProgress } from './types.js';

/** A header rxq adds to a redriven copy: when it was redriven, ms since the epoch. */
export const REDRIVEN_AT = 'x-rxq-redriven-at';

/** Headers rxq writes when it dead-letters a message; a redriven copy carries none of them. */
const DEAD_HEADERS = new Set<string>([
  HEADERS.attempt,
  HEADERS.deadReason,
  HEADERS.deadAt,
  HEADERS.origin,
  HEADERS.errorName,
  HEADERS.errorMessage,
]);

/** The headers of a redriven copy: the original's, without rxq's dead-letter ones, attempt 1. */
export function redriveHeaders(
  headers: Readonly<Record<string, string>> | undefined,
  now: number,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (!DEAD_HEADERS.has(k)) out[k] = v;
  out[REDRIVEN_AT] = String(now);
  return out;
}

/** A dead letter from its headers; `fallbackAt` is the broker's timestamp where rxq wrote none. */
export function deadLetterOf(
  id: string,
  headers: Readonly<Record<string, string>>,
  size: number,
  body: Buffer | undefined,
  fallbackAt: number | null = null,
): DeadLetter {
  const at = Number(headers[HEADERS.deadAt]);
  const name = headers[HEADERS.errorName];
  const message = headers[HEADERS.errorMessage];
  return {
    id,
    attempt: attemptOf(headers),
    headers,
    size,
    ...(body === undefined ? {} : { body }),
    reason: headers[HEADERS.deadReason] ?? null,
    error: name === undefined && message === undefined ? null : { name: name ?? 'Error', message: message ?? '' },
    deadAt: Number.isFinite(at) && headers[HEADERS.deadAt] !== undefined ? at : fallbackAt,
    origin: headers[HEADERS.origin] ?? null,
  };
}

/** A filter checked once, with its instant fixed: `matches(letter)` says whether it is selected. */
export function matcher(filter: DeadLetterFilter, now = Date.now()): (letter: DeadLetter) => boolean {
  const reasons =
    filter.reason === undefined
      ? undefined
      : new Set(typeof filter.reason === 'string' ? [filter.reason] : filter.reason);
  const ids = filter.ids === undefined ? undefined : new Set(filter.ids);
  let before = Infinity;
  if (filter.olderThanMs !== undefined) before = Math.min(before, now - filter.olderThanMs);
  if (filter.olderThan !== undefined) before = Math.min(before, filter.olderThan.getTime());
  return (letter) => {
    if (reasons && (letter.reason === null || !reasons.has(letter.reason))) return false;
    if (ids && !ids.has(letter.id)) return false;
    if (before !== Infinity && (letter.deadAt === null || letter.deadAt > before)) return false;
    return true;
  };
}

/** Whether a filter selects by content (anything but `limit`). */
export function selective(filter: DeadLetterFilter): boolean {
  return (
    filter.reason !== undefined ||
    filter.ids !== undefined ||
    filter.olderThanMs !== undefined ||
    filter.olderThan !== undefined
  );
}

/**
 * Paces a redrive at `rate` messages per second: `take(n)` resolves when n more may go. Also
 * reports progress and stops on the signal between batches.
 */
export class Pacer {
  private readonly started = Date.now();
  private sent = 0;
  moved = 0;
  matched = 0;
  readonly ids: string[] = [];

  constructor(
    private readonly options: RedriveOptions,
    readonly total: number | null,
  ) {}

  /** The batch size to use: at most `max`, and about a tenth of a second's worth at the rate. */
  batch(max: number): number {
    const rate = this.options.rate;
    return rate === undefined ? max : Math.max(1, Math.min(max, Math.ceil(rate / 10)));
  }

  get stopped(): boolean {
    return this.options.signal?.aborted === true;
  }

  /** Waits until `n` more messages fit the rate. */
  async take(n: number): Promise<void> {
    const rate = this.options.rate;
    this.sent += n;
    if (rate === undefined) return;
    const due = this.started + ((this.sent - n) / rate) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  noteMatched(letters: readonly { id: string }[]): void {
    this.matched += letters.length;
    for (const l of letters) if (this.ids.length < 100) this.ids.push(l.id);
  }

  progress(): void {
    const p: RedriveProgress = { moved: this.moved, matched: this.matched, total: this.total };
    this.options.onProgress?.(p);
  }

  result(): { moved: number; matched: number; dryRun: boolean; ids: string[] } {
    return { moved: this.moved, matched: this.matched, dryRun: this.options.dryRun === true, ids: this.ids };
  }
}

/** An operation the broker cannot do. */
export function unsupported(broker: string, what: string, why: string): UnsupportedError {
  return new UnsupportedError(`${broker}: ${what} is not supported: ${why}`);
}

/**
 * The URL of a target with credentials missing from it taken from `RXQ_USERNAME`/`RXQ_PASSWORD`,
 * and the same URL for display, without any credentials.
 */
export function target(
  url: string,
  env: Readonly<Record<string, string | undefined>>,
): { url: URL; shown: string; secrets: string[] } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RxqError(
      'INVALID_OPTION',
      `Invalid URL: expected <scheme>://[user:password@]host[:port][/path], got "${redactText(url)}"`,
    );
  }
  if (parsed.username === '' && env.RXQ_USERNAME) parsed.username = encodeURIComponent(env.RXQ_USERNAME);
  if (parsed.password === '' && env.RXQ_PASSWORD) parsed.password = encodeURIComponent(env.RXQ_PASSWORD);
  const secrets = [
    parsed.password,
    decodeURIComponent(parsed.password),
    parsed.username,
    decodeURIComponent(parsed.username),
  ].filter((s) => s.length >= 3);
  const shown = new URL(parsed.href);
  shown.username = '';
  shown.password = '';
  return { url: parsed, shown: shown.href.replace(/\/$/, ''), secrets };
}

/** Text with any `scheme://user:password@` credentials cut out. */
export function redactText(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@');
}

/** An error whose message (and its causes' messages) no longer holds a URL's credentials or any of `secrets`. */
export function redactError(error: unknown, secrets: readonly string[]): Error {
  const scrub = (text: string): string => {
    let out = redactText(text);
    for (const s of secrets) if (s) out = out.split(s).join('***');
    return out;
  };
  if (error instanceof RxqError) {
    const copy = new RxqError(error.code, scrub(error.message), { retryable: error.retryable });
    copy.name = error.name;
    return copy;
  }
  const e = error instanceof Error ? error : new Error(String(error));
  const copy = new Error(scrub(e.message));
  copy.name = e.name;
  return copy;
}

/** A short stable id of some bytes. */
export function hashId(bytes: Buffer): string {
  // FNV-1a 64 in two 32-bit halves: fast, stable, no crypto needed for a display id.
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    h1 = Math.imul(h1 ^ b, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ b, 0x0100019d) >>> 0;
  }
  return 'h' + h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}
