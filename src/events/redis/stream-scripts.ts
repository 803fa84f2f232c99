import { LuaScript } from '../../redis/redis-connection.js';

/**
 * The Redis keys of one project's event stream, all under one hash tag so every script touches
 * a single cluster slot.
 */
export interface StreamKeys {
  /** The stream; entry ids are `<seq>-0`. */
  readonly stream: string;
  /** The sequence counter (the head). */
  readonly seq: string;
  /** The stream's epoch; gone after a flush, and with it every cursor. */
  readonly epoch: string;
  /** Seqs of events answered to a waiter (never dead letters). */
  readonly delivered: string;
  /** seq → expiry time (epoch ms): TTL and retention. */
  readonly expiry: string;
  /** Dead letters: event id → letter JSON; order: event id by seq; version: bumped on each change. */
  readonly letters: string;
  readonly letterOrder: string;
  readonly letterVersion: string;
}

export function streamKeys(projectId: string): StreamKeys {
  const p = `cco:{${projectId}}:events`;
  return {
    stream: p,
    seq: `${p}:seq`,
    epoch: `${p}:epoch`,
    delivered: `${p}:delivered`,
    expiry: `${p}:expiry`,
    letters: `${p}:dlq`,
    letterOrder: `${p}:dlq:order`,
    letterVersion: `${p}:dlq:version`,
  };
}

/**
 * Append a batch: one INCRBY names the batch's contiguous seqs, each event is XADDed with id
 * `<seq>-0`, then the oldest entries beyond MAXLEN are trimmed and returned (with their
 * delivered flag) so the caller can dead-letter them. A missing epoch means the stream was lost
 * (flush, new server): the caller's candidate becomes the epoch and the rest starts empty.
 * KEYS: stream seq epoch delivered expiry. ARGV: epoch-candidate maxlen n {at expires payload}×n.
 * Returns {epoch, first seq, length, low seq, {id, fields, delivered}×trimmed}.
 */
export const APPEND = new LuaScript(`
local epoch = redis.call('GET', KEYS[3])
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[4], KEYS[5])
  redis.call('SET', KEYS[3], epoch)
end
local maxlen = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local first = redis.call('INCRBY', KEYS[2], n) - n + 1
for i = 0, n - 1 do
  local b = 4 + i * 3
  local seq = tostring(first + i)
  redis.call('XADD', KEYS[1], seq .. '-0', 'at', ARGV[b], 'x', ARGV[b + 1], 'e', ARGV[b + 2])
  redis.call('ZADD', KEYS[5], ARGV[b + 1], seq)
end
local trimmed = {}
local over = redis.call('XLEN', KEYS[1]) - maxlen
if over > 0 then
  local old = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', over)
  for _, e in ipairs(old) do
    local seq = string.match(e[1], '^(%d+)')
    local dlv = redis.call('SREM', KEYS[4], seq)
    redis.call('ZREM', KEYS[5], seq)
    redis.call('XDEL', KEYS[1], e[1])
    trimmed[#trimmed + 1] = {e[1], e[2], dlv}
  end
end
local head = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local low = first + n - 1
if #head > 0 then low = tonumber(string.match(head[1][1], '^(%d+)')) - 1 end
return {epoch, first, redis.call('XLEN', KEYS[1]), low, trimmed}
`);

/**
 * Read entries after a cursor, checking the cursor exactly: of this epoch, not before the oldest
 * held event (its successors were trimmed), not past the head.
 * KEYS: stream seq epoch delivered. ARGV: epoch after-seq ('' = oldest) upto-seq count.
 * Returns {'EPOCH', stored epoch} | {'RANGE', low, head} | {'OK', low, head, length, {id, fields, delivered}×n}.
 */
export const READ = new LuaScript(`
local epoch = redis.call('GET', KEYS[3])
if epoch ~= ARGV[1] then return {'EPOCH', epoch or ''} end
local head = tonumber(redis.call('GET', KEYS[2]) or '0')
local front = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local low = head
if #front > 0 then low = tonumber(string.match(front[1][1], '^(%d+)')) - 1 end
local after = low
if ARGV[2] ~= '' then after = tonumber(ARGV[2]) end
if after < low or after > head then return {'RANGE', low, head} end
local upto = tonumber(ARGV[3])
local out = {}
if upto > after then
  local es = redis.call('XRANGE', KEYS[1], '(' .. after .. '-0', upto .. '-0', 'COUNT', ARGV[4])
  for _, e in ipairs(es) do
    out[#out + 1] = {e[1], e[2], redis.call('SISMEMBER', KEYS[4], string.match(e[1], '^(%d+)'))}
  end
end
return {'OK', low, head, redis.call('XLEN', KEYS[1]), out}
`);

/**
 * Remove events whose TTL (or the retention) ran out, wherever they sit in the stream.
 * KEYS: stream delivered expiry. ARGV: now-ms limit.
 * Returns {{id, fields, delivered}×removed, next expiry ('' = none), length, low ('' = empty)}.
 */
export const SWEEP = new LuaScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, seq in ipairs(due) do
  local id = seq .. '-0'
  local e = redis.call('XRANGE', KEYS[1], id, id)
  redis.call('ZREM', KEYS[3], seq)
  local dlv = redis.call('SREM', KEYS[2], seq)
  if #e > 0 then
    redis.call('XDEL', KEYS[1], id)
    out[#out + 1] = {id, e[1][2], dlv}
  end
end
local nxt = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
local front = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local low = ''
if #front > 0 then low = tostring(tonumber(string.match(front[1][1], '^(%d+)')) - 1) end
return {out, nxt[2] or '', redis.call('XLEN', KEYS[1]), low}
`);

/**
 * Keep a dead letter (once); the oldest letters make room beyond the cap.
 * KEYS: letters order version. ARGV: cap event-id seq letter-json. Returns the version.
 */
export const ADD_LETTER = new LuaScript(`
if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[4]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
  local cap = tonumber(ARGV[1])
  while redis.call('ZCARD', KEYS[2]) > cap do
    local old = redis.call('ZPOPMIN', KEYS[2])
    redis.call('HDEL', KEYS[1], old[1])
  end
  redis.call('INCR', KEYS[3])
end
return redis.call('GET', KEYS[3])
`);

/** Drop dead letters for good. KEYS: letters order version. ARGV: event ids. Returns how many were held. */
export const REMOVE_LETTERS = new LuaScript(`
local n = 0
for _, id in ipairs(ARGV) do
  n = n + redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
redis.call('INCR', KEYS[3])
return n
`);
