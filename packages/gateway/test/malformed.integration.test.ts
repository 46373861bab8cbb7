import { MemoryQueue } from '@rxq/memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serve, type Gateway } from '../src/index.js';
import { contents, RawClient } from './helpers.js';

let gw: Gateway;
let q: MemoryQueue<unknown>;
const clients: RawClient[] = [];

beforeEach(async () => {
  q = new MemoryQueue<unknown>();
  q.pushMany(['kept']);
  gw = await serve({ port: 0, queues: { q }, maxLineBytes: 1_048_576, lineTimeoutMs: 300 });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.kill();
  await gw.close();
});

const big = (bytes: number): string => JSON.stringify(['push', ['x'.repeat(bytes)]]) + '\r\n';

/** Each bad input, what it is answered, and whether the connection stays open. */
const corpus: [name: string, input: string | Buffer, reply: unknown, stays: boolean][] = [
  ['bad JSON', '["push", [1]\r\n', ['error:request', 'malformed request'], true],
  ['JSON with trailing garbage', '["push", [1]] ]\r\n', ['error:request', 'malformed request'], true],
  [
    'binary bytes (invalid UTF-8)',
    Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0d, 0x0a]),
    ['error:request', 'malformed request'],
    true,
  ],
  [
    'binary bytes inside a JSON string',
    Buffer.concat([Buffer.from('["push", ["'), Buffer.from([0xc3, 0x28]), Buffer.from('"]]\r\n')]),
    ['error:request', 'malformed request'],
    true,
  ],
  ['an unknown action', '["fly", [1]]\r\n', ['error:request', 'action not found'], true],
  ['a line of 10 MB', big(10 * 1024 * 1024), ['error:unknown', 'line too long'], false],
  ['an object, not an array', '{}\r\n', ['error:unknown', 'a request is [action, args?, kwargs?]'], false],
  ['a number', '42\r\n', ['error:unknown', 'a request is [action, args?, kwargs?]'], false],
  ['an empty array', '[]\r\n', ['error:unknown', 'a request is [action, args?, kwargs?]'], false],
  ['four elements', '["push", [1], {}, 4]\r\n', ['error:unknown', 'a request is [action, args?, kwargs?]'], false],
  ['a non-string action', '[1, [2]]\r\n', ['error:unknown', 'the action must be a string'], false],
  [
    'too many arguments',
    '["push", [1, 2]]\r\n',
    ['error:action', 'push() takes 1 positional arguments but 2 were given'],
    false,
  ],
  ['a missing argument', '["push"]\r\n', ['error:action', "push() missing required argument 'value'"], false],
  [
    'an unknown keyword',
    '["push", [1], {"priority": 2}]\r\n',
    ['error:action', "push() got an unexpected keyword argument 'priority'"],
    false,
  ],
  ['args not a list', '["push_many", 5]\r\n', ['error:action', 'args must be a list'], false],
  ['a bad n', '["pull_many", ["3"]]\r\n', ['error:action', 'n must be an integer ≥ 1, or null'], false],
  [
    'a negative timeout',
    '["pull", [-1]]\r\n',
    ['error:action', 'timeout must be a number of seconds ≥ 0, or null'],
    false,
  ],
  [
    'pull_many(None) without a timeout',
    '["pull_many", [null]]\r\n',
    ['error:action', 'pull_many(None) needs a timeout'],
    false,
  ],
];

describe('malformed input: each gets its documented status, and has no effect', () => {
  for (const [name, input, expected, stays] of corpus) {
    it(`${name}: ${JSON.stringify(expected)}, connection ${stays ? 'kept' : 'closed'}`, async () => {
      const c = await RawClient.open(gw.port);
      clients.push(c);
      c.send(input);
      expect(await c.next()).toEqual(expected);
      if (stays) expect(await c.call(['push', ['after']])).toEqual(['success', null]);
      else {
        await c.closed;
        expect(c.pending).toBe(0);
      }
      // Nothing was pushed or pulled by the bad request.
      expect(contents(q)).toEqual(stays ? ['kept', 'after'] : ['kept']);
    });
  }

  it('a never-ending line: cut at maxLineBytes, error:unknown and closed, while others are served', async () => {
    const c = await RawClient.open(gw.port);
    clients.push(c);
    const other = await RawClient.open(gw.port);
    clients.push(other);
    const chunk = '["push", ["' + 'y'.repeat(64 * 1024);
    let sent = 0;
    while (!c.isClosed && sent < 4 * 1024 * 1024) {
      c.send(sent === 0 ? chunk : 'y'.repeat(64 * 1024));
      sent += 64 * 1024;
      // Others are answered while the line grows.
      if (sent % (256 * 1024) === 0) expect(await other.call(['size'])).toEqual(['success', 1]);
    }
    expect(await c.next()).toEqual(['error:unknown', 'line too long']);
    await c.closed;
    expect(contents(q)).toEqual(['kept']);
  });

  it('a line begun and never finished is closed after lineTimeoutMs', async () => {
    const c = await RawClient.open(gw.port);
    clients.push(c);
    c.send('["push", ["never');
    expect(await c.next()).toEqual(['error:unknown', 'line not finished in time']);
    await c.closed;
    expect(contents(q)).toEqual(['kept']);
  });

  it('a line of exactly maxLineBytes is served', async () => {
    const small = await serve({ port: 0, queues: { s: new MemoryQueue<unknown>() }, maxLineBytes: 1_000 });
    try {
      const c = await RawClient.open(small.port);
      const line = JSON.stringify(['push', ['z'.repeat(1_000 - 13)]]);
      expect(Buffer.byteLength(line)).toBe(1_000);
      expect(await c.call(line + '\r\n')).toEqual(['success', null]);
      c.send(JSON.stringify(['push', ['z'.repeat(1_000 - 12)]]) + '\r\n');
      expect(await c.next()).toEqual(['error:unknown', 'line too long']);
      await c.closed;
    } finally {
      await small.close();
    }
  });
});
