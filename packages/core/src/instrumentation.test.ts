import { afterEach, describe, expect, it } from 'vitest';
import { getInstrumentation, publishHeaders, setInstrumentation, type Instrumentation } from './instrumentation.js';

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
});
