import { firstValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { shutdownSignal } from './shutdown.js';

describe('shutdownSignal', () => {
  const before = {
    SIGTERM: process.listenerCount('SIGTERM'),
    SIGINT: process.listenerCount('SIGINT'),
    SIGUSR2: process.listenerCount('SIGUSR2'),
  };
  afterEach(() => {
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM);
    expect(process.listenerCount('SIGINT')).toBe(before.SIGINT);
    expect(process.listenerCount('SIGUSR2')).toBe(before.SIGUSR2);
  });

  it('emits the first signal received, then completes and stops listening', async () => {
    const all = firstValueFrom(shutdownSignal().pipe(toArray()));
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM + 1);
    expect(process.listenerCount('SIGINT')).toBe(before.SIGINT + 1);
    process.emit('SIGTERM');
    expect(await all).toEqual(['SIGTERM']);
  });

  it('listens only to the signals it is given', async () => {
    const all = firstValueFrom(shutdownSignal({ signals: ['SIGINT'] }).pipe(toArray()));
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM);
    process.emit('SIGINT');
    expect(await all).toEqual(['SIGINT']);
  });

  it('emits the name of a real signal sent to the process', async () => {
    const first = firstValueFrom(shutdownSignal({ signals: ['SIGUSR2'] }));
    process.kill(process.pid, 'SIGUSR2');
    expect(await first).toBe('SIGUSR2');
  });

  it('lets go of the process signals on unsubscribe, and does nothing before subscribe', () => {
    const signal = shutdownSignal();
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM);
    const seen: string[] = [];
    const subscription = signal.subscribe((s) => seen.push(s));
    subscription.unsubscribe();
    expect(seen).toEqual([]);
  });
});
