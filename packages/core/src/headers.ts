import type { DeadLetterRequest, ResendRequest } from './connector.js';

/** Header names rxq writes; connectors use them so that every broker records the same facts. */
export const HEADERS = {
  /** The attempt a resent copy carries. Absent means 1. */
  attempt: 'x-rxq-attempt',
  /** Why a message was dead-lettered. */
  deadReason: 'x-rxq-dead-reason',
  /** Name and message of the error behind a resend or dead letter. */
  errorName: 'x-rxq-error-name',
  errorMessage: 'x-rxq-error-message',
  /** When it was dead-lettered, ms since the epoch. */
  deadAt: 'x-rxq-dead-at',
  /** The source a dead letter came from. */
  origin: 'x-rxq-origin',
} as const;

/** The attempt recorded in `headers`, or 1 for a message no rxq consumer has resent. */
export function attemptOf(headers: Readonly<Record<string, string | undefined>> | undefined): number {
  const value = headers?.[HEADERS.attempt];
  if (value === undefined) return 1;
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** Headers for a resent copy: the old ones, the new attempt, and the error that caused it. */
export function resendHeaders(
  headers: Readonly<Record<string, string>> | undefined,
  request: ResendRequest,
): Record<string, string> {
  const out: Record<string, string> = { ...headers, [HEADERS.attempt]: String(request.attempt) };
  if (request.error) {
    out[HEADERS.errorName] = request.error.name;
    out[HEADERS.errorMessage] = truncate(request.error.message);
  }
  return out;
}

/** Headers for a dead letter: the old ones plus reason, error, time and origin. */
export function deadLetterHeaders(
  headers: Readonly<Record<string, string>> | undefined,
  request: DeadLetterRequest,
  origin: string,
): Record<string, string> {
  const out: Record<string, string> = {
    ...headers,
    [HEADERS.deadReason]: request.reason,
    [HEADERS.deadAt]: String(request.at),
    [HEADERS.origin]: origin,
  };
  if (request.error) {
    out[HEADERS.errorName] = request.error.name;
    out[HEADERS.errorMessage] = truncate(request.error.message);
  }
  return out;
}

function truncate(text: string): string {
  return text.length > 1_000 ? text.slice(0, 1_000) + '…' : text;
}
