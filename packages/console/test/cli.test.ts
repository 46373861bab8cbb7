import { describe, expect, it } from 'vitest';
import { forward } from '../src/cli/forward.js';
import { rxq } from './helpers.js';

describe('the rxq command line', () => {
  it('has --help for every command', async () => {
    for (const args of [
      [],
      ['peek'],
      ['publish'],
      ['stats'],
      ['dlq'],
      ['dlq', 'list'],
      ['dlq', 'show'],
      ['dlq', 'redrive'],
      ['dlq', 'purge'],
    ]) {
      const run = await rxq([...args, '--help']);
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout).toContain(`Usage: rxq ${args.join(' ')}`.trimEnd());
    }
  });

  it('runs `rxq run` through @rxq/workers', async () => {
    const help = await rxq(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: rxq run <module>');
    const missing = await rxq(['run']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing the module to run');
  });

  it('runs `rxq dashboard` through @rxq/dashboard', async () => {
    const help = await rxq(['dashboard', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: rxq dashboard');
  });

  it('says in one line which package a forwarded command needs when it is not installed', async () => {
    const missing = { pkg: '@rxq/not-installed', entry: '@rxq/not-installed', exportName: 'cli' };
    await expect(forward('dashboard', [], missing)).rejects.toThrow(
      /^rxq dashboard needs @rxq\/not-installed: install it beside @rxq\/console \(npm install @rxq\/not-installed\)$/,
    );
  });

  it('exits 2 with one line on a usage error', async () => {
    for (const args of [
      ['nope'],
      ['peek', 'redis://x', 'q', '-n', '-1'],
      ['dlq', 'redrive', 'redis://x', 'q', '--rate', '0'],
      ['dlq', 'list', 'redis://x', 'q', '--older-than', 'soon'],
    ]) {
      const run = await rxq(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});
