import { afterEach, describe, expect, it } from 'vitest';
import { MemoryQueue, memory } from '../../memory/dist/index.js';
import { codec } from './codec.js';
import { fromQueue } from './fromQueue.js';
import {
  getInstrumentation,
  publishHeaders,
  setInstrumentation,
  type Instrumentation,
  type PoisonReport,
} from './instrumentation.js';
import { ack } from './operators/ack.js';
import { handle } from './operators/handle.js';
import { silentLogger } from './logger.js';
import { collectUntil } from './testing/collect.js';

describe('instrumentation hooks', () => {
  afterEach(() => void setInstrumentation(undefined));

  it('with none installed, publishHeaders hands back the very headers it was given', () => {
    expect(getInstrumentation()).toBeUndefined();
    const headers = { tenant: 'acme' };
    expect(publishHeaders(headers)).toBe(headers);
    expect(publishHeaders(undefined)).toBeUndefined();
  });

  it('an inject hook adds to a copy; nothing added and nothing given stays undefined', () => {
    let context: string | undefined = 'ctx-1';
    setInstrumentation({ inject: (h) => context !== undefined && (h.traceparent = context) });
    const headers = { tenant: 'acme' };
    expect(publishHeaders(headers)).toEqual({ tenant: 'acme', traceparent: 'ctx-1' });
    expect(headers).toEqual({ tenant: 'acme' });
    expect(publishHeaders(undefined)).toEqual({ traceparent: 'ctx-1' });
    context = undefined;
    expect(publishHeaders(undefined)).toBeUndefined();
  });

  it('a hook that throws changes nothing: the publish goes on with its own headers', () => {
    setInstrumentation({
      inject: () => {
        throw new Error('buggy');
      },
    });
    const headers = { tenant: 'acme' };
    expect(publishHeaders(headers)).toBe(headers);
  });

  it('setInstrumentation returns the one it replaces', () => {
    const a: Instrumentation = {};
    expect(setInstrumentation(a)).toBeUndefined();
    expect(setInstrumentation(undefined)).toBe(a);
  });

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
