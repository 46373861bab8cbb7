import { afterEach, describe, expect, it, vi } from 'vitest';
import { DecodeError } from './errors.js';
import { defaultLogger, stderrLogger } from './stderrLogger.js';

describe('stderrLogger', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('writes one line per record at its level and above, with fields and errors, never a stack', () => {
    const lines: string[] = [];
    const log = stderrLogger({ level: 'info', write: (l) => lines.push(l) }).child?.({ source: 'orders' });
    log?.debug({}, 'hidden');
    log?.info({ retry: 2 }, 'connected');
    log?.warn({ err: new DecodeError('json', 'the body is empty'), note: 'two words\nand a line' }, 'poison');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+ rxq INFO connected source=orders retry=2\n$/);
    expect(lines[1]).toContain('rxq WARN poison source=orders err="DecodeError [DECODE_FAILED]: The json codec');
    expect(lines[1]).toContain('note="two words\\\\nand a line"');
    expect(lines[1]?.split('\n')).toHaveLength(2); // one line and its newline
    expect(lines[1]).not.toContain('    at ');
  });

  it('defaults to warn, on stderr, without console', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => undefined),
    );
    const log = defaultLogger();
    log.info({}, 'not shown');
    log.warn({ n: 1 }, 'shown');
    log.error({}, 'shown too');
    expect(write).toHaveBeenCalledTimes(2);
    expect(String(write.mock.calls[0]?.[0])).toContain('rxq WARN shown n=1');
    for (const spy of consoleSpies) expect(spy).not.toHaveBeenCalled();
  });

  it('RXQ_LOG sets the level of the default logger', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    vi.stubEnv('RXQ_LOG', 'silent');
    defaultLogger().error({}, 'quiet');
    vi.stubEnv('RXQ_LOG', 'DEBUG');
    defaultLogger().debug({}, 'loud');
    expect(write).toHaveBeenCalledTimes(1);
    expect(String(write.mock.calls[0]?.[0])).toContain('rxq DEBUG loud');
  });

  it('rejects an unknown level', () => {
    expect(() => stderrLogger({ level: 'verbose' as never })).toThrow(/level/);
  });
});
