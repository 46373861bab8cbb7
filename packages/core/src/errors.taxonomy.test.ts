import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as core from './index.js';
import { RXQ_ERROR_CODES, RxqError } from './errors.js';

/** One instance of every error class core exports, as a user can meet it. */
const instances: RxqError[] = [
  new core.InvalidOptionError('maxInFlight', 'an integer ≥ 1', 0),
  new core.HandlerTimeoutError(10),
  new core.DecodeError('json', 'the body is empty'),
  new core.ValidationError('zod schema', [{ path: 'qty', message: 'Expected number' }]),
  new core.ConnectionLostError('lost'),
  new core.ConnectionGaveUpError('orders', 3),
  new core.PartialFailure([]),
  new core.SettleError(new Error('refused')),
  new core.CloseError('closing failed'),
  new core.ShutdownError('orders'),
  new core.AuthenticationError('bad credentials'),
  new core.AuthorizationError('no access'),
  new core.NotFoundError('no such queue'),
  new core.UnsupportedError('zstd'),
];

describe('one error taxonomy', () => {
  it('every error class core exports is an RxqError with a listed code; every listed code but TIMEOUT (memory) has a class here', () => {
    const exported = Object.entries(core).filter(
      ([, value]) => typeof value === 'function' && value.prototype instanceof Error,
    );
    // Every exported error class is in `instances` (a new one must be added there and to the README).
    expect(exported.map(([name]) => name).sort()).toEqual(
      ['RxqError', ...instances.map((e) => e.constructor.name)].sort(),
    );
    for (const error of instances) {
      expect(error).toBeInstanceOf(RxqError);
      expect(RXQ_ERROR_CODES).toContain(error.code);
      expect(error.name).toBe(error.constructor.name);
    }
    const codes = new Set(instances.map((e) => e.code));
    expect(RXQ_ERROR_CODES.filter((c) => !codes.has(c))).toEqual(['TIMEOUT']);
  });

  it('retryable is what the README says for each class', () => {
    const retryable = Object.fromEntries(instances.map((e) => [e.code, e.retryable]));
    expect(retryable).toEqual({
      INVALID_OPTION: false,
      HANDLER_TIMEOUT: true,
      DECODE_FAILED: false,
      INVALID_BODY: false,
      CONNECTION_LOST: true,
      CONNECTION_GAVE_UP: false,
      PARTIAL_FAILURE: true,
      SETTLE_FAILED: true,
      CLOSE_FAILED: true,
      SHUTDOWN: true,
      AUTHENTICATION_FAILED: false,
      AUTHORIZATION_FAILED: false,
      NOT_FOUND: false,
      UNSUPPORTED: false,
    });
  });

  it("the README's table lists every code with its class and retryable", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const rows = readme.split('\n').filter((line) => /^\| `[A-Z_]+` /.test(line));
    const byCode = new Map(rows.map((row) => [/^\| `([A-Z_]+)`/.exec(row)?.[1], row]));
    for (const code of RXQ_ERROR_CODES) expect(byCode.has(code), `README row for ${code}`).toBe(true);
    for (const error of instances) {
      const row = byCode.get(error.code) ?? '';
      expect(row).toContain(`\`${error.name}\``);
      const cells = row.split('|').map((c) => c.trim());
      expect(cells[3]).toBe(error.retryable ? 'yes' : 'no');
    }
  });
});
