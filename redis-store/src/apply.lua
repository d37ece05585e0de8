-- Applies one session-core batch, all or nothing. The encoding is written by script.rs.
--
-- KEYS     the distinct keys of the batch (one app's hash tag, or the app registry alone)
-- ARGV[1]  one letter per key, what it must hold: 'r' a record (a hash), 'z' a sorted set
-- ARGV[2…] the commands, each an opcode and a fixed number of arguments:
--
--   G k                 read a record             -> false | {version, bytes}
--   P k expect ttl b    write a record            -> 1
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
-- A record is a hash: field 'v' its version (1 when first written, +1 per write), field 'b'
-- its bytes. Put also sets the key's TTL (PEXPIRE), the core's hint.
--
-- Everything that could fail is checked before the first write, so a batch is never half
-- applied: key types, stored versions, opcodes. A failed expectation returns the status
-- CONFLICT and changes nothing; otherwise the reply is one value per command, in order.

local arity = { G = 2, P = 5, D = 3, A = 4, R = 3, Q = 6, C = 4, E = 4 }
local kinds = ARGV[1]

local function fail(message)
  return redis.error_reply('SESSIONCORE ' .. message)
end

-- The kind letter of KEYS[index], or nil when there is no such key.
local function kind_of(index)
  local k = tonumber(index)
  if k and KEYS[k] then
    return string.sub(kinds, k, k)
  end
  return nil
end

-- 1. Every key holds what the batch expects (or nothing).
for i = 1, #KEYS do
  local want = (string.sub(kinds, i, i) == 'r') and 'hash' or 'zset'
  local have = redis.call('TYPE', KEYS[i])['ok']
  if have ~= 'none' and have ~= want then
    return fail(KEYS[i] .. ' holds a ' .. have .. ', not a ' .. want)
  end
end

-- 2. The commands are well formed, and every expectation holds against the state before
--    the batch.
local conflict = false
local i = 2
while i <= #ARGV do
  local op = ARGV[i]
  local n = arity[op]
  if not n or i + n - 1 > #ARGV then
    return fail('malformed batch at argument ' .. i)
  end
  local need = (op == 'G' or op == 'P' or op == 'D') and 'r' or 'z'
  if kind_of(ARGV[i + 1]) ~= need or (op == 'E' and kind_of(ARGV[i + 3]) ~= 'z') then
    return fail('malformed batch at argument ' .. i)
  end
  if op == 'P' or op == 'D' then
    local key = KEYS[tonumber(ARGV[i + 1])]
    local version = redis.call('HGET', key, 'v')
    if version and not string.match(version, '^%d+$') then
      return fail(key .. ' has a corrupt version: ' .. version)
    end
    local expect = ARGV[i + 2]
    if expect == '-' then
      conflict = conflict or (version ~= false)
    elseif expect ~= '*' then
      conflict = conflict or (version ~= expect)
    end
  end
  i = i + n
end
if conflict then
  return redis.status_reply('CONFLICT')
end

-- 3. Run the commands in order; each sees the effects of the ones before it.
local out = {}
local count = 0
i = 2
while i <= #ARGV do
  local op = ARGV[i]
  local key = KEYS[tonumber(ARGV[i + 1])]
  local reply
  if op == 'G' then
    local r = redis.call('HMGET', key, 'v', 'b')
    if r[1] then
      reply = r
    else
      reply = false
    end
  elseif op == 'P' then
    redis.call('HINCRBY', key, 'v', 1)
    redis.call('HSET', key, 'b', ARGV[i + 4])
    redis.call('PEXPIRE', key, ARGV[i + 3])
    reply = 1
  elseif op == 'D' then
    reply = redis.call('DEL', key)
  elseif op == 'A' then
    redis.call('ZADD', key, ARGV[i + 2], ARGV[i + 3])
    reply = 1
  elseif op == 'R' then
    reply = redis.call('ZREM', key, ARGV[i + 2])
  elseif op == 'Q' then
    if ARGV[i + 5] == '1' then
      reply = redis.call('ZREVRANGEBYSCORE', key, ARGV[i + 3], ARGV[i + 2],
        'WITHSCORES', 'LIMIT', 0, ARGV[i + 4])
    else
      reply = redis.call('ZRANGEBYSCORE', key, ARGV[i + 2], ARGV[i + 3],
        'WITHSCORES', 'LIMIT', 0, ARGV[i + 4])
    end
  elseif op == 'C' then
    reply = redis.call('ZCOUNT', key, ARGV[i + 2], ARGV[i + 3])
  else -- 'E'
    if redis.call('ZCARD', KEYS[tonumber(ARGV[i + 3])]) == 0 then
      reply = redis.call('ZREM', key, ARGV[i + 2])
    else
      reply = 0
    end
  end
  count = count + 1
  out[count] = reply
  i = i + arity[op]
end
return out
