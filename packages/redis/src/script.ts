import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Lua: `now_ms()`, the server's clock in milliseconds, for the scripts that schedule delays. */
export const NOW_MS = `local function now_ms()
  local t = redis.call('TIME')
  return t[1] * 1000 + math.floor(t[2] / 1000)
end
`;

/** A Lua script run by `EVALSHA`, loaded with `EVAL` when the server does not know it yet. */
export class LuaScript {
  readonly sha: string;
  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /**
   * Runs the script; bulk replies come back as Buffers. Command names are lower case: ioredis finds
   * a command's keys (and so, on a cluster, the node of their slot) only under its lower-case name;
   * an upper-case one goes to a random node and costs a `MOVED` redirect and a slot refresh.
   */
  async run(
    client: Redis,
    keys: readonly string[],
    args: readonly (string | Buffer | number)[] = [],
  ): Promise<unknown> {
    try {
      return await client.callBuffer('evalsha', this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.callBuffer('eval', this.lua, keys.length, ...keys, ...args);
    }
  }
}

// Moves a recovered element back with attempt + 1 (wrapping a plain payload in an envelope).
const BUMP = `
local MAGIC = '\\0rxq1\\0'
local function bump(v, tag)
  if string.sub(v, 1, 6) == MAGIC then
    local nl = string.find(v, '\\n', 7, true)
    if nl then
      local ok, head = pcall(cjson.decode, string.sub(v, 7, nl - 1))
      if ok and type(head) == 'table' then
        if type(head.h) ~= 'table' then head.h = {} end
        local a = tonumber(head.h['x-rxq-attempt']) or 1
        head.h['x-rxq-attempt'] = tostring(a + 1)
        return MAGIC .. cjson.encode(head) .. '\\n' .. string.sub(v, nl + 1)
      end
    end
  end
  return MAGIC .. cjson.encode({u = tag, h = {['x-rxq-attempt'] = '2'}}) .. '\\n' .. v
end
`;

/** KEYS: queue, processing. ARGV: max. Moves up to max elements from the head of the queue. */
export const PULL = new LuaScript(
  `local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
local c = #items
if c == 0 then return items end
redis.call('LTRIM', KEYS[1], c, -1)
for i = 1, c, 1000 do redis.call('RPUSH', KEYS[2], unpack(items, i, math.min(i + 999, c))) end
return items`,
);

// Applies settlements: ops, a blob of their arguments one after another, and their lengths.
// a(elem): ack. t(elem,new): to the tail. h(elem): back to the head as it was.
// d(elem,new,delayMs): to the delayed set. x(elem,new): to the dead list.
// Every op but a is done only when the element was still in the processing list.
const SETTLE_FN = `${NOW_MS}
local function settle(proc, queue, delayed, dead, ops, blob, lengths)
  local args, pos = {}, 1
  for n in string.gmatch(lengths, '%d+') do
    local l = tonumber(n)
    args[#args + 1] = string.sub(blob, pos, pos + l - 1)
    pos = pos + l
  end
  local i = 1
  local now
  for k = 1, #ops do
    local op = string.sub(ops, k, k)
    local removed = redis.call('LREM', proc, 1, args[i])
    if op == 'a' then i = i + 1
    elseif op == 'h' then
      if removed > 0 then redis.call('LPUSH', queue, args[i]) end
      i = i + 1
    elseif op == 't' then
      if removed > 0 then redis.call('RPUSH', queue, args[i + 1]) end
      i = i + 2
    elseif op == 'x' then
      if removed > 0 then redis.call('RPUSH', dead, args[i + 1]) end
      i = i + 2
    elseif op == 'd' then
      if removed > 0 then
        if not now then now = now_ms() end
        redis.call('ZADD', delayed, now + tonumber(args[i + 2]), args[i + 1])
      end
      i = i + 3
    end
  end
end
`;

/** KEYS: processing, queue, delayed, dead. ARGV: ops, blob, lengths (see {@link OpBatch}). */
export const SETTLE = new LuaScript(
  `${SETTLE_FN}
settle(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3])
return 1`,
);

/**
 * KEYS: processing, queue, delayed, dead. ARGV: ops, blob, lengths, max. Settles, then pulls up to
 * max: the acks of the last round ride along with the next read.
 */
export const SETTLE_PULL = new LuaScript(
  `${SETTLE_FN}
settle(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3])
local items = redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[4]) - 1)
local c = #items
if c == 0 then return items end
redis.call('LTRIM', KEYS[2], c, -1)
for i = 1, c, 1000 do redis.call('RPUSH', KEYS[1], unpack(items, i, math.min(i + 999, c))) end
return items`,
);

/** KEYS: delayed, queue. ARGV: delayMs, element. Adds to the delayed set (simple mode resend). */
export const DELAY = new LuaScript(
  `${NOW_MS}
redis.call('ZADD', KEYS[1], now_ms() + tonumber(ARGV[1]), ARGV[2])
return 1`,
);

/** KEYS: delayed, queue. Moves up to 1000 due entries to the tail of the queue. */
export const PROMOTE = new LuaScript(
  `${NOW_MS}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'LIMIT', 0, 1000)
for _, v in ipairs(due) do
  redis.call('RPUSH', KEYS[2], v)
  redis.call('ZREM', KEYS[1], v)
end
return #due`,
);

/** KEYS: heartbeat, registry. ARGV: ttlMs, id. */
export const HEARTBEAT = new LuaScript(
  `redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return 1`,
);

/**
 * KEYS: registry, queue. ARGV: the queue's key stem (see `keyStem`), tag. Every registered consumer whose
 * heartbeat is gone has its processing list moved back to the head of the queue, in order, with
 * attempt + 1. Returns how many elements moved.
 */
export const RECOVER = new LuaScript(
  `${BUMP}
local moved = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. ':consumers:' .. id) == 0 then
    local proc = ARGV[1] .. ':processing:' .. id
    local n = 0
    while true do
      local v = redis.call('RPOP', proc)
      if not v then break end
      n = n + 1
      redis.call('LPUSH', KEYS[2], bump(v, ARGV[2] .. id .. ':' .. n))
    end
    moved = moved + n
    redis.call('SREM', KEYS[1], id)
  end
end
return moved`,
);

/**
 * KEYS: processing, queue, heartbeat, registry. ARGV: id. A consumer that closes moves what is
 * left in its processing list (replies it never saw) back to the head, as it was, and unregisters.
 */
export const RETIRE = new LuaScript(
  `local n = 0
while true do
  local v = redis.call('RPOP', KEYS[1])
  if not v then break end
  n = n + 1
  redis.call('LPUSH', KEYS[2], v)
end
redis.call('DEL', KEYS[3])
redis.call('SREM', KEYS[4], ARGV[1])
return n`,
);

/** KEYS: queue 1..n. ARGV: max. Pops up to max from the keys in order: {index, element, …}. */
export const MULTI_POP = new LuaScript(
  `local left = tonumber(ARGV[1])
local out = {}
for k = 1, #KEYS do
  if left <= 0 then break end
  local items = redis.call('LPOP', KEYS[k], left)
  if items then
    for _, v in ipairs(items) do out[#out + 1] = k; out[#out + 1] = v end
    left = left - #items
  end
end
return out`,
);
