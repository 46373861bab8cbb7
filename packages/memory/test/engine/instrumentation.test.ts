import { afterEach, describe, expect, it } from 'vitest';
import { ack, codec, fromQueue, handle, type PoisonReport, setInstrumentation, silentLogger } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { MemoryQueue, memory } from '../../src/index.js';

describe('instrumentation hooks', () => {
  afterEach(() => void setInstrumentation(undefined));

  it('a poison message is reported once, without its payload, with a promise of its dead letter', async () => {
    const reports: PoisonReport[] = [];
    setInstrumentation({ poison: (r) => void reports.push(r) });
    const queue = new MemoryQueue<string>();
    queue.push('secret-body-1', { headers: { traceparent: 'tp' } });
    queue.push('7');
    const numbers = codec<number>({
      name: 'numbers',
      decode: (v) => {
        const n = Number(v);
        if (Number.isNaN(n)) throw new Error('not a number');
        return n;
      },
    });
    const source = fromQueue(memory(queue, { name: 'q', pollMs: 10 }), { codec: numbers, logger: silentLogger });
    await collectUntil(
      source.pipe(
        handle(() => undefined),
        ack(),
      ),
      (rs) => rs.length === 1,
    );
    await source.stop();
    expect(reports).toHaveLength(1);
    const [report] = reports;
    expect(report).toMatchObject({ source: 'q', reason: 'decode', errorName: 'DecodeError' });
    expect(report?.delivery).toMatchObject({ source: 'q', attempt: 1, headers: { traceparent: 'tp' } });
    expect(JSON.stringify(report)).not.toContain('secret-body');
    await expect(report?.deadLettered).resolves.toBeUndefined();
  });

  it('a source shows the system its connector declares', () => {
    const connector = memory(new MemoryQueue<number>());
    expect(fromQueue(connector).system).toBeUndefined();
    expect(fromQueue({ ...connector, system: 'kafka' }).system).toBe('kafka');
  });
});
