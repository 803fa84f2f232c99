import { LuaScript } from '../../redis/redis-connection.js';

/**
 * The Redis keys of one project's leases, all under the project's hash tag so every script
 * touches one cluster slot.
 */
export interface LeaseKeys {
  /** id → `<fence>|<json of the fixed fields>` (expiry lives in `expiry`). */
  readonly leases: string;
  /** Sorted set scored 0, members `<path>\0<id>`: ZRANGEBYLEX finds a path, its ancestors and everything below it. */
  readonly paths: string;
  /** id → expiry (epoch ms): the next deadline without looking at every lease. */
  readonly expiry: string;
  /** id → holder (the conflict check compares holders without decoding JSON). */
  readonly holders: string;
  /** holder → number of leases (the per-holder limit). */
  readonly holderCounts: string;
  /** The fencing counter. */
  readonly fence: string;
  /** Pub/sub channel: paths were freed somewhere, queued requests may retry. */
  readonly channel: string;
}

export function leaseKeys(projectId: string): LeaseKeys {
  const p = `cco:{${projectId}}:lease`;
  return {
    leases: `${p}s`,
    paths: `${p}:paths`,
    expiry: `${p}:expiry`,
    holders: `${p}:holders`,
    holderCounts: `${p}:holder-counts`,
    fence: `${p}:fence`,
    channel: `${p}:freed`,
  };
}

/** KEYS in this order for every script below. */
export function keyList(k: LeaseKeys): string[] {
  return [k.leases, k.paths, k.expiry, k.holders, k.holderCounts, k.fence];
}

// Shared Lua: `overlap` collects live leases (expiry > now) of holders other than `except` on a
// path, its ancestors (exact components: `src/app` never matches `src/apple`) and below it.
// `drop` removes one lease from every index and answers {value, expiry}.
const COMMON = String.raw`
local L, P, E, H, C, F = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local function live(id, now, hasExcept, except)
  local e = redis.call('ZSCORE', E, id)
  if not e or tonumber(e) <= now then return false end
  if hasExcept and redis.call('HGET', H, id) == except then return false end
  return true
end
local function overlap(path, now, hasExcept, except, limit, out)
  local prefix = nil
  for part in string.gmatch(path, '[^/]+') do
    prefix = prefix and (prefix .. '/' .. part) or part
    for _, m in ipairs(redis.call('ZRANGEBYLEX', P, '[' .. prefix .. '\0', '[' .. prefix .. '\0\255')) do
      local id = string.sub(m, #prefix + 2)
      if live(id, now, hasExcept, except) then
        out[#out + 1] = {path, prefix, id}
        if #out >= limit then return end
      end
    end
  end
  for _, m in ipairs(redis.call('ZRANGEBYLEX', P, '[' .. path .. '/', '[' .. path .. '/\255')) do
    local z = string.find(m, '\0', 1, true)
    local id = string.sub(m, z + 1)
    if live(id, now, hasExcept, except) then
      out[#out + 1] = {path, string.sub(m, 1, z - 1), id}
      if #out >= limit then return end
    end
  end
end
local function drop(id)
  local v = redis.call('HGET', L, id)
  if not v then return nil end
  local exp = redis.call('ZSCORE', E, id)
  local rec = cjson.decode(string.sub(v, string.find(v, '|', 1, true) + 1))
  for _, p in ipairs(rec.paths) do redis.call('ZREM', P, p .. '\0' .. id) end
  local holder = redis.call('HGET', H, id)
  redis.call('HDEL', L, id)
  redis.call('ZREM', E, id)
  redis.call('HDEL', H, id)
  if holder and redis.call('HINCRBY', C, holder, -1) <= 0 then redis.call('HDEL', C, holder) end
  return {v, exp}
end
local function flatten(out)
  local res = {}
  for _, c in ipairs(out) do
    res[#res + 1] = c[1]; res[#res + 1] = c[2]; res[#res + 1] = redis.call('HGET', L, c[3]); res[#res + 1] = redis.call('ZSCORE', E, c[3])
  end
  return res
end
`;

/**
 * Grant: limits, the conflict check and the fencing counter in one step, so two nodes can never
 * both take overlapping paths and every grant gets the next token.
 * ARGV: now id holder exp json maxLeases maxPerHolder maxConflicts path…
 * Returns {'ok', fence} | {'conflict', {requested, leased, value, expiry}…} | {'max_leases'} | {'max_holder_leases'}.
 */
export const GRANT = new LuaScript(
  COMMON +
    String.raw`
local now, id, holder, exp, json = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('HLEN', L) >= tonumber(ARGV[6]) then return {'max_leases'} end
if tonumber(redis.call('HGET', C, holder) or '0') >= tonumber(ARGV[7]) then return {'max_holder_leases'} end
local limit = tonumber(ARGV[8])
local out = {}
for i = 9, #ARGV do
  overlap(ARGV[i], now, true, holder, limit, out)
  if #out >= limit then break end
end
if #out > 0 then
  local res = flatten(out)
  table.insert(res, 1, 'conflict')
  return res
end
local fence = redis.call('INCR', F)
redis.call('HSET', L, id, fence .. '|' .. json)
redis.call('ZADD', E, exp, id)
redis.call('HSET', H, id, holder)
redis.call('HINCRBY', C, holder, 1)
for i = 9, #ARGV do redis.call('ZADD', P, 0, ARGV[i] .. '\0' .. id) end
return {'ok', fence}
`,
);

/** Remove one lease. ARGV: channel id. Returns {value, expiry} to exactly one caller, else nil. */
export const REMOVE = new LuaScript(
  COMMON +
    String.raw`
local r = drop(ARGV[2])
if r then redis.call('PUBLISH', ARGV[1], 'freed') end
return r
`,
);

/** Remove up to `limit` leases whose expiry passed. ARGV: channel now limit. Returns {value, expiry}… */
export const EXPIRE = new LuaScript(
  COMMON +
    String.raw`
local ids = redis.call('ZRANGEBYSCORE', E, '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local res = {}
for _, id in ipairs(ids) do
  local r = drop(id)
  if r then res[#res + 1] = r[1]; res[#res + 1] = r[2] end
end
if #res > 0 then redis.call('PUBLISH', ARGV[1], 'freed') end
return res
`,
);

/** New expiry of a live lease. ARGV: id exp now. Returns the value, nil when gone or expired. */
export const RENEW = new LuaScript(
  COMMON +
    String.raw`
local e = redis.call('ZSCORE', E, ARGV[1])
if not e or tonumber(e) <= tonumber(ARGV[3]) then return nil end
redis.call('ZADD', E, 'XX', ARGV[2], ARGV[1])
return redis.call('HGET', L, ARGV[1])
`,
);

/** Live leases overlapping a path. ARGV: now hasExcept(0|1) except limit path. Returns {requested, leased, value, expiry}… */
export const OVERLAP = new LuaScript(
  COMMON +
    String.raw`
local out = {}
overlap(ARGV[5], tonumber(ARGV[1]), ARGV[2] == '1', ARGV[3], tonumber(ARGV[4]), out)
return flatten(out)
`,
);
