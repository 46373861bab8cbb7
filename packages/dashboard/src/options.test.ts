import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invalidOption } from '@rxq/core/testing';
import { describe, expect, it } from 'vitest';
import { resolveOptions, type DashboardOptions } from './options.js';

const optionOf = (options: unknown): string => invalidOption(() => resolveOptions(options as DashboardOptions)).option;

describe('dashboard options', () => {
  it('has loopback, read-only defaults', () => {
    const o = resolveOptions({});
    expect(o).toMatchObject({ host: '127.0.0.1', port: 9470, token: undefined, pollMs: 2_000, historyMs: 600_000 });
  });

  it('names the invalid or unknown option', () => {
    expect(optionOf({ tokn: 'x' })).toBe('tokn');
    expect(optionOf({ port: 70_000 })).toBe('port');
    expect(optionOf({ token: 'short' })).toBe('token');
    expect(optionOf({ pollMs: 10 })).toBe('pollMs');
    expect(optionOf({ queues: [{ url: 'redis://h', queue: '' }] })).toBe('queues[0].queue');
    expect(optionOf({ queues: [{ url: 'not a url', queue: 'q' }] })).toBe('queues[0].url');
    expect(optionOf({ queues: [{ url: 'redis://h', queue: 'q', dlq: 'x' }] })).toBe('queues[0].dlq');
    expect(optionOf({ consumers: ['ftp://h'] })).toBe('consumers[0]');
    expect(optionOf({ openAdmin: 'x' })).toBe('openAdmin');
  });

  it('never puts a token or a broker URL in the error', () => {
    for (const options of [{ token: 'short' }, { queues: [{ url: 'redis:/user:pa55word@h', queue: 'q' }] }]) {
      expect(() => resolveOptions(options)).toThrow(/hidden/);
      expect(() => resolveOptions(options)).not.toThrow(/short|pa55word/);
    }
  });

  it('adds the queues and consumers of a config file, and a reporter address gets its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxq-dashboard-'));
    const file = join(dir, 'dashboard.json');
    writeFileSync(
      file,
      JSON.stringify({
        queues: [{ url: 'amqp://127.0.0.1:5672', queue: 'refunds', deadLetter: 'refunds.dlq' }],
        consumers: ['http://10.0.0.7:9465', 'http://10.0.0.8:9000/custom'],
      }),
    );
    const o = resolveOptions({ config: file, queues: [{ url: 'redis://127.0.0.1:6379', queue: 'orders' }] });
    expect(o.queues).toEqual([
      { url: 'redis://127.0.0.1:6379', queue: 'orders' },
      { url: 'amqp://127.0.0.1:5672', queue: 'refunds', deadLetter: 'refunds.dlq' },
    ]);
    expect(o.consumers.map(String)).toEqual(['http://10.0.0.7:9465/rxq/consumer', 'http://10.0.0.8:9000/custom']);
    writeFileSync(file, JSON.stringify({ queue: [] }));
    expect(optionOf({ config: file })).toBe('config.queue');
    expect(optionOf({ config: join(dir, 'missing.json') })).toBe('config');
  });
});
