import { LuaScript, NOW_MS } from './script.js';

/**
 * KEYS: stream. ARGV: group, consumer, minIdleMs, cursor, count. Claims idle pending entries with
 * XAUTOCLAIM and returns {cursor, entries, delivery counts}.
 */
export const RECLAIM = new LuaScript(
  `local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local entries, counts = {}, {}
for _, e in ipairs(r[2]) do
  if type(e) == 'table' and type(e[2]) == 'table' then
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
    entries[#entries + 1] = e
    counts[#counts + 1] = (p[1] and p[1][4]) or 1
  elseif type(e) == 'table' then
    redis.call('XACK', KEYS[1], ARGV[1], e[1])
  end
end
return {r[1], entries, counts}`,
);

/**
 * KEYS: stream, target stream, delayed set. ARGV: group, id, delayMs, unique id, field, value, …
 * Acks the entry and, if it was still pending, adds a new entry with the fields to the target, or
 * (delayMs > 0) puts `\0rxq2\0` + MessagePack of {unique id, field, value, …} in the delayed set:
 * binary-safe, so the copy keeps every field byte for byte.
 */
export const XMOVE = new LuaScript(
  `${NOW_MS}
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
local delay = tonumber(ARGV[3])
if delay > 0 then
  redis.call('ZADD', KEYS[3], now_ms() + delay, '\\0rxq2\\0' .. cmsgpack.pack({unpack(ARGV, 4)}))
else
  redis.call('XADD', KEYS[2], '*', unpack(ARGV, 5))
end
return 1`,
);

/**
 * KEYS: delayed, stream. ARGV: body field. Adds up to 1000 due entries to the stream: the
 * MessagePack form XMOVE writes, or the JSON envelope (`\0rxq1\0`) of earlier versions.
 */
export const XPROMOTE = new LuaScript(
  `${NOW_MS}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'LIMIT', 0, 1000)
for _, v in ipairs(due) do
  if string.sub(v, 1, 6) == '\\0rxq2\\0' then
    local t = cmsgpack.unpack(string.sub(v, 7))
    redis.call('XADD', KEYS[2], '*', unpack(t, 2))
    redis.call('ZREM', KEYS[1], v)
  else
  local nl = string.find(v, '\\n', 7, true)
  local fields = {ARGV[1], string.sub(v, nl + 1)}
  local ok, head = pcall(cjson.decode, string.sub(v, 7, nl - 1))
  if ok and type(head) == 'table' and type(head.h) == 'table' then
    for k, val in pairs(head.h) do fields[#fields + 1] = k; fields[#fields + 1] = tostring(val) end
  end
  redis.call('XADD', KEYS[2], '*', unpack(fields))
  redis.call('ZREM', KEYS[1], v)
  end
end
return #due`,
);

/**
 * KEYS: stream. ARGV: group, start id. `XGROUP CREATE … MKSTREAM`; a group that exists already is
 * no error (returns 0). A script because ioredis finds no key in `XGROUP` (a container command), so
 * a cluster client would send it to a random node and follow a `MOVED`; a script's key routes it.
 */
export const CREATE_GROUP = new LuaScript(
  `local r = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], ARGV[2], 'MKSTREAM')
if type(r) == 'table' and r.err then
  if string.sub(r.err, 1, 9) == 'BUSYGROUP' then return 0 end
  return r
end
return 1`,
);
