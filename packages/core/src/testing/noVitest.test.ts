import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('@rxq/core/testing without vitest', () => {
  it('loads and works under node:test in a process where vitest cannot be loaded', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const run = spawnSync(
      process.execPath,
      // The TAP reporter on every Node (24 defaults to the spec reporter even when piped).
      [
        '--import',
        './test/no-vitest/block-vitest.mjs',
        '--test',
        '--test-reporter=tap',
        'test/no-vitest/testing.node.mjs',
      ],
      { cwd: root, encoding: 'utf8', timeout: 30_000 },
    );
    expect(run.stdout).toContain('# pass 3');
    expect(run.stdout).toContain('# fail 0');
    expect(run.status).toBe(0);
  });
});
