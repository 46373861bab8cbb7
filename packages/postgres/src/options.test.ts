import { InvalidOptionError } from '@rxq/core';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrate, pgQueue, pgTopic, publish, pruneTopic, resetSubscriber } from './index.js';

const url = 'postgres://127.0.0.1:5432/test';

describe('options', () => {
  it('pgQueue rejects an unknown option, naming the closest known one', () => {
    expect(() => pgQueue('q', { leaseMS: 1 } as never)).toThrow(/Unknown option `leaseMS`; did you mean `leaseMs`\?/);
    expect(() => pgQueue('q', { pollMs: 0 })).toThrow(InvalidOptionError);
    expect(() => pgQueue('q', { schema: 'bad"name' })).toThrow(/schema/);
    expect(() => pgQueue('q', { connection: 'mysql://x' })).toThrow(/connection/);
    expect(() => pgQueue('q', { connection: {} as never })).toThrow(/connection/);
    expect(() => pgQueue('', {})).toThrow(/queue/);
  });

  it('pgTopic needs a subscriber and a known start', () => {
    expect(() => pgTopic('t', {} as never)).toThrow(/subscriber/);
    expect(() => pgTopic('t', { subscriber: 's', start: 'middle' as never })).toThrow(/start/);
    expect(() => pgTopic('t', { subscriber: 's', subscribr: 'x' } as never)).toThrow(/did you mean `subscriber`/);
  });

  it('a Pool is recognised by its shape', () => {
    const pool = {
      connect: () => Promise.reject(new Error('x')),
      query: () => Promise.reject(new Error('x')),
      end: () => Promise.resolve(),
    };
    expect(() => pgQueue('q', { connection: pool as never })).not.toThrow();
  });

  it('a pg Client (one connection) is refused at construction, naming `connection`; a pg Pool is taken', async () => {
    const client = new pg.Client({ connectionString: url });
    expect(() => pgQueue('q', { connection: client as never })).toThrow(/`connection`.*a pg Client/);
    await expect(migrate({ connection: client as never })).rejects.toThrow(InvalidOptionError);
    const pool = new pg.Pool({ connectionString: url });
    try {
      expect(() => pgQueue('q', { connection: pool })).not.toThrow();
    } finally {
      await pool.end();
    }
  });

  it('publish, migrate, resetSubscriber and pruneTopic reject unknown options', async () => {
    const client = { query: () => Promise.resolve({ rows: [], rowCount: 0 }) };
    await expect(publish(client, 'q', 1, { delay: 5 } as never)).rejects.toThrow(/did you mean `delayMs`/);
    await expect(migrate({ connection: url, shema: 'x' } as never)).rejects.toThrow(/did you mean `schema`/);
    await expect(
      resetSubscriber({ connection: url, topic: 't', to: 'end', subscribers: 'x' } as never),
    ).rejects.toThrow(/did you mean `subscriber`/);
    await expect(resetSubscriber({ connection: url, topic: 't', to: { offset: 0 } })).rejects.toThrow(/to\.offset/);
    await expect(pruneTopic({ connection: url, topic: 't', maxAge: 5 } as never)).rejects.toThrow(
      /did you mean `maxAgeMs`/,
    );
  });
});
