-- Applies one session-core batch, all or nothing. The encoding is written by script.rs.
--
-- KEYS     the distinct keys of the batch (one app's hash tag, or the app registry alone)
-- ARGV[1]  one letter per key, what it must hold: 'r' a record (a string), 'z' a sorted set
-- ARGV[2…] the commands, each an opcode and a fixed number of arguments:
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
-- applied: opcodes, the kinds of the keys of a batch that writes, stored versions. A batch
-- that only reads checks nothing more (a wrong-typed key fails it, and it changed nothing).
--
-- The reply is {1, one value per command} when the batch was applied, or, when an
-- expectation failed (nothing was changed), {0, k, current, k, current, ...}: each record
-- whose expectation failed, as it is now (false: absent), so that the caller can refresh a
-- cached copy and retry at once.

local arity = { G = 2, P = 5, D = 3, A = 4, R = 3, Q = 6, C = 4, E = 4 }
local writes = { P = true, D = true, A = true, R = true, E = true }
local kinds = ARGV[1]

local function fail(message)
  return redis.error_reply('SESSIONCORE ' .. message)
end

local function kind_of(index)
  local k = tonumber(index)
  if k and KEYS[k] then
    return string.sub(kinds, k, k)
  end
  return nil
end

-- The current value of record key k (false when absent), read once, and its version.
local current = {}
local version = {}
local function read(k)
  if current[k] == nil then
    local v = redis.pcall('GET', KEYS[k])
    if type(v) == 'table' and v.err then
      return nil, KEYS[k] .. ' does not hold a session record'
    end
    current[k] = v
    if v then
      local colon = string.find(v, ':', 1, true)
      local n = colon and tonumber(string.sub(v, 1, colon - 1))
      if not n then
        return nil, KEYS[k] .. ' holds a corrupt record'
      end
      version[k] = n
    end
  end
  return current[k]
end

-- 1. The commands are well formed, and (when the batch writes) every key it uses holds what
--    it should; every expectation holds against the state before the batch.
local has_writes = false
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
  has_writes = has_writes or writes[op] == true
  i = i + n
end
local conflicts = {}
local checked = {}
i = 2
while i <= #ARGV do
  local op = ARGV[i]
  local k = tonumber(ARGV[i + 1])
  if op == 'G' or op == 'P' or op == 'D' then
    if has_writes or op ~= 'G' then
      local _, err = read(k)
      if err then
        return fail(err)
      end
    end
    if op ~= 'G' then
      local expect = ARGV[i + 2]
      local have = version[k]
      local ok = expect == '*' or (expect == '-' and have == nil) or (have ~= nil and tostring(have) == expect)
      if not ok and not checked[k] then
        checked[k] = true
        conflicts[#conflicts + 1] = k
      end
    end
  elseif has_writes then
    local ks = { k }
    if op == 'E' then
      ks[2] = tonumber(ARGV[i + 3])
    end
    for _, z in ipairs(ks) do
      if not checked[z] then
        local t = redis.call('TYPE', KEYS[z])['ok']
        if t ~= 'none' and t ~= 'zset' then
          return fail(KEYS[z] .. ' holds a ' .. t .. ', not a zset')
        end
        checked[z] = true
      end
    end
  end
  i = i + arity[op]
end
if #conflicts > 0 then
  local out = { 0 }
  for _, k in ipairs(conflicts) do
    out[#out + 1] = k
    out[#out + 1] = current[k]
  end
  return out
end

-- 2. Run the commands in order; each sees the effects of the ones before it.
local out = { 1 }
i = 2
while i <= #ARGV do
  local op = ARGV[i]
  local k = tonumber(ARGV[i + 1])
  local key = KEYS[k]
  local reply
  if op == 'G' then
    local v = redis.pcall('GET', key)
    if type(v) == 'table' and v.err then
      return fail(key .. ' does not hold a session record')
    end
    reply = v
  elseif op == 'P' then
    local v = (version[k] or 0) + 1
    version[k] = v
    redis.call('SET', key, v .. ':' .. ARGV[i + 4], 'PX', ARGV[i + 3])
    reply = v
  elseif op == 'D' then
    version[k] = nil
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
  out[#out + 1] = reply
  i = i + arity[op]
end
return out
