import { describe, expect, it } from 'vitest';
import { aliveAfterGc } from '../testing/aliveAfterGc.js';
import { INTERRUPTED, Interruptible } from './wait.js';

describe('Interruptible', () => {
  it('resolves with the awaited value, or INTERRUPTED when interrupted first', async () => {
    const waits = new Interruptible(() => false);
    expect(await waits.wait(Promise.resolve(7))).toBe(7);
    const pending = waits.wait(new Promise<never>(() => undefined));
    waits.interrupt();
    expect(await pending).toBe(INTERRUPTED);
    await expect(waits.wait(Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });

  it('keeps nothing of a wait in progress but its own resolve, so not the awaited receive', async () => {
    // The run that owns the slot lives for ever (in the old generation): what the slot reaches
    // (a receive's promise, then the batch it resolves with) outlives the scavenges that should
    // free it. Only the wait's resolve may be kept, never a closure over the awaited promise.
    const waits = new Interruptible(() => false);
    const refs: WeakRef<object>[] = [];
    const start = (): Promise<unknown> => {
      const receive = new Promise<never>(() => undefined);
      refs.push(new WeakRef(receive));
      return waits.wait(receive);
    };
    const pending = start();
    expect(await aliveAfterGc(refs)).toBe(0);
    waits.interrupt();
    expect(await pending).toBe(INTERRUPTED);
  });

  it('does not begin a wait once interrupted', async () => {
    let stopped = false;
    const waits = new Interruptible(() => stopped);
    stopped = true;
    expect(await waits.wait(new Promise<never>(() => undefined))).toBe(INTERRUPTED);
  });
});
