-- Applies one session-core batch, all or nothing. The encoding is written by script.rs, which
-- checks every batch before it is sent (key kinds, one hash tag, arities); this script checks
-- only what the data decides. It is kept lean: its interpretation is most of the Redis CPU an
-- operation costs.
--
-- KEYS     the distinct keys of the batch (one app's hash tag, or the app registry alone)
-- ARGV[1]  the commands, one letter each; ARGV[2…] their arguments, in order:
--
--   G k                 read a record             -> false | "<version>:<bytes>"
--   P k expect ttl b    write a record            -> its new version
--   D k expect          delete a record           -> 0 | 1
--   A k score member    ZADD                      -> 1
--   R k member          ZREM                      -> 0 | 1
--   Q k min max n rev   ZRANGEBYSCORE WITHSCORES  -> {member, score, member, score, ...}
--   C k min max         ZCOUNT                    -> n
--   E k member w        ZREM if ZCARD(w) == 0     -> 0 | 1
--
-- k and w index KEYS. expect is '*' (anything), '-' (absent) or the version the record must
-- have. n is the LIMIT count (-1: all); rev is '1' for ZREVRANGEBYSCORE.
--
-- A record is one string: its version (1 when first written, +1 per write), a colon, then
-- the bytes the core encoded. A write sets the key's TTL with it (SET … PX), the core's hint.
--
-- Everything that could fail is checked before the first write, so a batch is never half
-- applied: in a batch that writes, that every record it writes holds a record and every
-- sorted set it writes is one, and that every expectation holds. (A batch that only reads
-- changes nothing, so a wrong-typed key just fails it.)
--
-- The reply is {1, one value per command} when the batch was applied, or, when an
-- expectation failed (nothing was changed), {0, k, current, k, current, ...}: each record
-- whose expectation failed, as it is now (false: absent), so that the caller can refresh a
-- cached copy and retry at once.

local ops = ARGV[1]
local n = #ops
local byte, sub = string.byte, string.sub
-- The command letters' bytes.
local G, P, D, A, R, Q, C = 71, 80, 68, 65, 82, 81, 67

local function fail(message)
  return redis.error_reply('SESSIONCORE ' .. message)
end

-- Whether sorted set z may be written (it is one, or nothing); checked once per key (the
-- last one checked is remembered without a table: most batches write one set).
local zset_ok = nil
local last_z = nil
local function check_zset(z)
  if z ~= last_z and not (zset_ok and zset_ok[z]) then
    local t = redis.call('TYPE', KEYS[z])['ok']
    if t ~= 'none' and t ~= 'zset' then
      return fail(KEYS[z] .. ' holds a ' .. t .. ', not a zset')
    end
    if last_z then
      zset_ok = zset_ok or {}
      zset_ok[last_z] = true
    end
    last_z = z
  end
end

-- 1. In a batch that writes: read each record it writes once (its version), check each
--    sorted set it writes, and every expectation.
local version = {}
local current = {}
local conflicts = nil
if string.find(ops, '[PDARE]') then
  local conflicted = nil
  local a = 2
  for i = 1, n do
    local op = byte(ops, i)
    local k = tonumber(ARGV[a])
    if op == P or op == D then
      if version[k] == nil then
        local v = redis.pcall('GET', KEYS[k])
        if type(v) == 'table' then
          return fail(KEYS[k] .. ' does not hold a session record')
        end
        current[k] = v
        version[k] = false
        if v then
          local colon = string.find(v, ':', 1, true)
          version[k] = colon and tonumber(sub(v, 1, colon - 1))
          if not version[k] then
            return fail(KEYS[k] .. ' holds a corrupt record')
          end
        end
      end
      local expect = ARGV[a + 1]
      local have = version[k]
      if expect ~= '*' and ((expect == '-' and have) or (expect ~= '-' and have ~= tonumber(expect))) then
        conflicted = conflicted or {}
        if not conflicted[k] then
          conflicted[k] = true
          conflicts = conflicts or {}
          conflicts[#conflicts + 1] = k
        end
      end
      a = a + ((op == P) and 4 or 2)
    elseif op == A or op == R then
      local err = check_zset(k)
      if err then
        return err
      end
      a = a + ((op == A) and 3 or 2)
    elseif op == G then
      a = a + 1
    elseif op == Q then
      a = a + 5
    elseif op == C then
      a = a + 3
    else -- E: writes k, reads w
      local err = check_zset(k) or check_zset(tonumber(ARGV[a + 2]))
      if err then
        return err
      end
      a = a + 3
    end
  end
end
if conflicts then
  local out = { 0 }
  for _, k in ipairs(conflicts) do
    out[#out + 1] = k
    out[#out + 1] = current[k]
  end
  return out
end

-- 2. Run the commands in order; each sees the effects of the ones before it.
local out = { 1 }
local a = 2
for i = 1, n do
  local op = byte(ops, i)
  local k = tonumber(ARGV[a])
  local key = KEYS[k]
  if op == P then
    local v = (version[k] or 0) + 1
    version[k] = v
    redis.call('SET', key, v .. ':' .. ARGV[a + 3], 'PX', ARGV[a + 2])
    out[i + 1] = v
    a = a + 4
  elseif op == A then
    redis.call('ZADD', key, ARGV[a + 1], ARGV[a + 2])
    out[i + 1] = 1
    a = a + 3
  elseif op == G then
    local v = redis.pcall('GET', key)
    if type(v) == 'table' then
      return fail(key .. ' does not hold a session record')
    end
    out[i + 1] = v
    a = a + 1
  elseif op == D then
    version[k] = false
    out[i + 1] = redis.call('DEL', key)
    a = a + 2
  elseif op == R then
    out[i + 1] = redis.call('ZREM', key, ARGV[a + 1])
    a = a + 2
  elseif op == Q then
    if ARGV[a + 4] == '1' then
      out[i + 1] = redis.call('ZREVRANGEBYSCORE', key, ARGV[a + 2], ARGV[a + 1],
        'WITHSCORES', 'LIMIT', 0, ARGV[a + 3])
    else
      out[i + 1] = redis.call('ZRANGEBYSCORE', key, ARGV[a + 1], ARGV[a + 2],
        'WITHSCORES', 'LIMIT', 0, ARGV[a + 3])
    end
    a = a + 5
  elseif op == C then
    out[i + 1] = redis.call('ZCOUNT', key, ARGV[a + 1], ARGV[a + 2])
    a = a + 3
  else -- E
    if redis.call('ZCARD', KEYS[tonumber(ARGV[a + 2])]) == 0 then
      out[i + 1] = redis.call('ZREM', key, ARGV[a + 1])
    else
      out[i + 1] = 0
    end
    a = a + 3
  end
end
return out
