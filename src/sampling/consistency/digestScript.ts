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
 * The script stops once `budgetUs` is spent (TIME read every 4th key and after any big one) and reports how many
 * keys it processed; the caller sends the rest in the next call, so no call blocks the server long.
 *
 * Digests:
 * - string: sha1 of the value (> 1 MiB: sha1 of the first and last 64 KiB; length compared as card).
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
local bigString = 1048576
local edge = 65536

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

local function digestKey(key, probes)
  local t = redis.call('TYPE', key).ok
  if t == 'none' then
    return {'none', -2, 0, '', {}}
  end
  local pttl = redis.call('PTTL', key)
  if mode == 'type' then
    return {t, pttl, 0, '', {}}
  end
  local card, digest, picked = 0, '', {}
  if t == 'string' then
    card = redis.call('STRLEN', key)
    if card <= bigString then
      digest = redis.sha1hex(redis.call('GET', key))
    else
      digest = redis.sha1hex(redis.call('GETRANGE', key, 0, edge - 1) .. redis.call('GETRANGE', key, -edge, -1))
    end
  elseif t == 'hash' then
    card = redis.call('HLEN', key)
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
    card = redis.call('SCARD', key)
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
    card = redis.call('ZCARD', key)
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
    card = redis.call('LLEN', key)
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
    card = redis.call('XLEN', key)
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
  n = n + 1
  local r = digestKey(key, probes)
  out[n + 2] = r
  -- TIME costs about as much as digesting a small string: read it every 4th key or after a big one.
  if i <= #ARGV and (n % 4 == 0 or r[3] > 256) and nowUs() - t0 >= budgetUs then break end
end
out[1] = n
out[2] = nowUs() - t0
return out
`;

/** SHA1 of the script, for EVALSHA. */
export const DIGEST_SHA = createHash('sha1').update(DIGEST_LUA).digest('hex');
