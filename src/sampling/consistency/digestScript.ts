import { createHash } from 'node:crypto';

/**
 * Server-side, type-aware value digest of a batch of keys.
 *
 * Keys travel in ARGV, not KEYS: one batch holds keys of many slots. There is deliberately no
 * `#!lua` shebang: scripts without flags keep the pre-7 behaviour that allows cross-slot keys
 * (they still must be local to the node, so cluster batches are grouped per master).
 *
 * ARGV: bound, sampleN, budgetUs, mode ('full' | 'type'), layout, then the keys. Layout 'k': keys only
 * (no probes in the call: half the arguments); 'p': per key: key, nProbes, probe….
 * Reply: { processed, elapsedUs, {type, pttl, card, digest, {probes…}}… }
 * The script stops once `budgetUs` is spent and reports how many keys it processed; the caller sends
 * the rest in the next call, so no call blocks the server long. TIME is read every 4th small key and
 * before and after every key whose estimated cost (type, cardinality or length × a measured µs per
 * element) is ≥ 50 µs: a key that would not fit in what is left of the budget waits for the next call
 * (unless it is the call's first key: one key is never split). With the default bound, the costliest
 * single key (a 1000-entry stream) digests in about 1.6 ms.
 *
 * Digests:
 * - string: sha1 of the value (> 256 KiB: sha1 of the first and last 64 KiB, about 0.25 ms instead of
 *   2 ms for 1 MiB; length compared as card).
 * - hash / set, card ≤ bound: an order-independent multiset digest (the sum mod 2^52 of the first
 *   52 bits of each element's SHA1). Not a sort: Redis calls setlocale(LC_COLLATE, "") and Lua compares strings with strcoll,
 *   so a sorted digest could differ between two servers with different locales.
 * - hash / set, card > bound: probes. The legacy side picks up to sampleN random members
 *   (SRANDMEMBER / HRANDFIELD, HSCAN before 6.2) and returns them; the other side is then asked
 *   about exactly those members, so both digests cover the same members and values. Deterministic on
 *   identical data, and a real difference in the probed members is always seen.
 * - zset: ZRANGE WITHSCORES (ordered by score then bytes, the same on every server); scores
 *   re-formatted with %.17g because Redis 7 prints doubles shorter than Redis 6. Big: first and last
 *   sampleN.
 * - list: LRANGE in order; big: first and last sampleN.
 * - stream: XRANGE entries (ids, fields, values); big: first and last sampleN. Consumer groups ignored.
 * - other (module) types: type, TTL and card 0 only.
 */
export const DIGEST_LUA = `
local bound = tonumber(ARGV[1])
local sampleN = tonumber(ARGV[2])
local budgetUs = tonumber(ARGV[3])
local mode = ARGV[4]
local bigString = 262144
local edge = 65536

-- µs per element of a full digest (per byte for strings), measured on Redis 7.0 x86-64 with about
-- 50 % headroom: hash 0.8, set 0.53, zset 1.1, list 0.3, stream 1.6 (2 fields), sha1 1.9 ns/byte.
local perElementUs = {hash = 1.2, set = 0.8, zset = 1.6, list = 0.5, stream = 2.4}
local perByteUs = 0.003
local reserveUs = 50

local function nowUs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local function lp(s)
  return #s .. ':' .. s
end

-- 52 bits of each element's SHA1, summed mod 2^52: exact in a Lua double, one substring and one
-- tonumber per element (four 32-bit words cost a fifth more per hash/set key).
local function msetAdd(acc, s)
  acc[1] = (acc[1] + tonumber(string.sub(redis.sha1hex(s), 1, 13), 16)) % 4503599627370496
end

local function msetHex(acc)
  return string.format('%07x%07x', math.floor(acc[1] / 67108864), acc[1] % 67108864)
end

local function score(s)
  return string.format('%.17g', tonumber(s))
end

local function zsetPart(parts, flat)
  for i = 1, #flat, 2 do
    parts[#parts + 1] = lp(flat[i]) .. score(flat[i + 1])
  end
end

local function streamPart(parts, entries)
  for _, e in ipairs(entries) do
    parts[#parts + 1] = lp(e[1])
    for _, fv in ipairs(e[2]) do
      parts[#parts + 1] = lp(fv)
    end
  end
end

local function cardOf(t, key)
  if t == 'string' then return redis.call('STRLEN', key)
  elseif t == 'hash' then return redis.call('HLEN', key)
  elseif t == 'set' then return redis.call('SCARD', key)
  elseif t == 'zset' then return redis.call('ZCARD', key)
  elseif t == 'list' then return redis.call('LLEN', key)
  elseif t == 'stream' then return redis.call('XLEN', key)
  end
  return 0
end

-- Estimated µs of digesting a key of this type and card (what digestKey reads of it).
local function costUs(t, card)
  if t == 'string' then
    if card > bigString then return 2 * edge * perByteUs end
    return card * perByteUs
  end
  local per = perElementUs[t]
  if per == nil then return 0 end
  if card > bound then return 2 * sampleN * per end
  return card * per
end

local function digestKey(key, probes, t, pttl, card)
  local digest, picked = '', {}
  if t == 'string' then
    if card <= bigString then
      digest = redis.sha1hex(redis.call('GET', key))
    else
      digest = redis.sha1hex(redis.call('GETRANGE', key, 0, edge - 1) .. redis.call('GETRANGE', key, -edge, -1))
    end
  elseif t == 'hash' then
    if card <= bound then
      local acc = {0}
      local flat = redis.call('HGETALL', key)
      for i = 1, #flat, 2 do
        msetAdd(acc, lp(flat[i]) .. flat[i + 1])
      end
      digest = msetHex(acc)
    else
      if #probes == 0 then
        local ok, fields = pcall(redis.call, 'HRANDFIELD', key, sampleN)
        if ok then
          probes = fields
        else
          probes = redis.call('HSCAN', key, 0, 'COUNT', sampleN)[2]
          local only = {}
          for i = 1, #probes, 2 do only[#only + 1] = probes[i] end
          probes = only
        end
      end
      local parts = {}
      for _, f in ipairs(probes) do
        local v = redis.call('HGET', key, f)
        if v then parts[#parts + 1] = lp(f) .. lp(v) else parts[#parts + 1] = lp(f) .. '-' end
      end
      digest = 'p' .. redis.sha1hex(table.concat(parts))
      picked = probes
    end
  elseif t == 'set' then
    if card <= bound then
      local acc = {0}
      for _, m in ipairs(redis.call('SMEMBERS', key)) do
        msetAdd(acc, m)
      end
      digest = msetHex(acc)
    else
      if #probes == 0 then
        probes = redis.call('SRANDMEMBER', key, sampleN)
      end
      local parts = {}
      for _, m in ipairs(probes) do
        parts[#parts + 1] = lp(m) .. redis.call('SISMEMBER', key, m)
      end
      digest = 'p' .. redis.sha1hex(table.concat(parts))
      picked = probes
    end
  elseif t == 'zset' then
    local parts = {}
    if card <= bound then
      zsetPart(parts, redis.call('ZRANGE', key, 0, -1, 'WITHSCORES'))
    else
      zsetPart(parts, redis.call('ZRANGE', key, 0, sampleN - 1, 'WITHSCORES'))
      parts[#parts + 1] = '|'
      zsetPart(parts, redis.call('ZRANGE', key, -sampleN, -1, 'WITHSCORES'))
    end
    digest = redis.sha1hex(table.concat(parts))
  elseif t == 'list' then
    local parts = {}
    local first
    if card <= bound then first = redis.call('LRANGE', key, 0, -1) else first = redis.call('LRANGE', key, 0, sampleN - 1) end
    for _, e in ipairs(first) do parts[#parts + 1] = lp(e) end
    if card > bound then
      parts[#parts + 1] = '|'
      for _, e in ipairs(redis.call('LRANGE', key, -sampleN, -1)) do parts[#parts + 1] = lp(e) end
    end
    digest = redis.sha1hex(table.concat(parts))
  elseif t == 'stream' then
    local parts = {}
    if card <= bound then
      streamPart(parts, redis.call('XRANGE', key, '-', '+'))
    else
      streamPart(parts, redis.call('XRANGE', key, '-', '+', 'COUNT', sampleN))
      parts[#parts + 1] = '|'
      streamPart(parts, redis.call('XREVRANGE', key, '+', '-', 'COUNT', sampleN))
    end
    digest = redis.sha1hex(table.concat(parts))
  end
  return {t, pttl, card, digest, picked}
end

local t0 = nowUs()
local out = {0, 0}
local plain = ARGV[5] == 'k'
local i = 6
local n = 0
while i <= #ARGV do
  local key = ARGV[i]
  local probes = {}
  if plain then
    i = i + 1
  else
    local np = tonumber(ARGV[i + 1])
    for j = 1, np do probes[j] = ARGV[i + 1 + j] end
    i = i + 2 + np
  end
  local r
  local cost = 0
  local t = redis.call('TYPE', key).ok
  if t == 'none' then
    r = {'none', -2, 0, '', {}}
  else
    local pttl = redis.call('PTTL', key)
    if mode == 'type' then
      r = {t, pttl, 0, '', {}}
    else
      local card = cardOf(t, key)
      cost = costUs(t, card)
      -- An expensive key that would end past the budget waits for the next call.
      if n > 0 and cost >= 50 and nowUs() - t0 + cost > budgetUs then break end
      r = digestKey(key, probes, t, pttl, card)
    end
  end
  n = n + 1
  out[n + 2] = r
  -- TIME costs about as much as digesting a small string: read it every 4th key or after an expensive
  -- one. The reserve covers the up to 3 small keys digested before the next read.
  if i <= #ARGV and (n % 4 == 0 or cost >= 50) and nowUs() - t0 + reserveUs >= budgetUs then break end
end
out[1] = n
out[2] = nowUs() - t0
return out
`;

/** SHA1 of the script, for EVALSHA. */
export const DIGEST_SHA = createHash('sha1').update(DIGEST_LUA).digest('hex');
