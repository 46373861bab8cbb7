// The handlers of `pnpm bench workers`: a CPU-bound one (sha256 of the body, 2,000 times over) and
// a no-op, exported for worker threads and imported as they are by the in-process cases.
import { createHash } from 'node:crypto';

export const ROUNDS = 2_000;

export function cpu(msg) {
  let digest = typeof msg.body === 'string' ? msg.body : JSON.stringify(msg.body);
  for (let i = 0; i < ROUNDS; i++) digest = createHash('sha256').update(digest).digest('hex');
  return digest;
}

export function noop() {
  return undefined;
}
