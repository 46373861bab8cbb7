/**
 * The statuses of the lean queue server's protocol. `success`, `error:timeout` and `error:request`
 * keep the connection; `error:action`, `error:unknown` and `error:auth` end it.
 */
export type Status = 'success' | 'error:timeout' | 'error:request' | 'error:action' | 'error:unknown' | 'error:auth';

/** What an action answers: `[status, result]` on the wire, and whether the connection ends after. */
export interface Reply {
  readonly status: Status;
  readonly result: unknown;
  /** Close the connection after writing the reply (or without one, for `quit`). */
  readonly close?: boolean;
  /** Write no reply (`quit`, `exit`, `shutdown`). */
  readonly silent?: boolean;
}

/** Whether a status ends a TCP connection. */
export const endsConnection = (status: Status): boolean =>
  status === 'error:action' || status === 'error:unknown' || status === 'error:auth';

export const reply = (status: Status, result: unknown): Reply => ({ status, result, close: endsConnection(status) });

export const SUCCESS_NULL: Reply = { status: 'success', result: null };
export const TIMEOUT: Reply = { status: 'error:timeout', result: null };
export const MALFORMED: Reply = reply('error:request', 'malformed request');
export const NOT_FOUND: Reply = reply('error:request', 'action not found');

/** An action's arguments were wrong: answered `error:action` with the message (never a value). */
export class ActionError extends Error {
  override readonly name = 'ActionError';
}
