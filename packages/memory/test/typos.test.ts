import { describe, expect, it } from 'vitest';
import { invalidOption } from '@rxq/core/testing';
import type { InvalidOptionError } from '@rxq/core';
import { MemoryQueue, memory } from '../src/index.js';

describe('typos are errors: memory options reject unknown names, naming the closest one', () => {
  const cases: [string, () => unknown, string, string][] = [
    [
      'memory',
      () => memory(new MemoryQueue(), { visibilityTimeout: 5 } as never),
      'visibilityTimeout',
      'visibilityTimeoutMs',
    ],
    [
      'memory',
      () => memory(new MemoryQueue(), { deadLetters: new MemoryQueue() } as never),
      'deadLetters',
      'deadLetter',
    ],
    ['MemoryQueue.push', () => new MemoryQueue().push(1, { header: {} } as never), 'header', 'headers'],
  ];
  for (const [where, make, option, suggestion] of cases) {
    it(`${where}: ${option}`, () => {
      const error = invalidOption(make);
      expect(error.option).toBe(option);
      expect(error.code).toBe('INVALID_OPTION');
      expect(error.message).toContain(`did you mean \`${suggestion}\``);
    });
  }

  it('MemoryQueue.pull and pullMany reject a typo when called', async () => {
    const q = new MemoryQueue<number>();
    q.push(1);
    const error = await q.pull({ timeout: 0 } as never).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidOptionError', option: 'timeout' });
    expect((error as InvalidOptionError).message).toContain('did you mean `timeoutMs`');
    expect(q.size).toBe(1);
  });
});
