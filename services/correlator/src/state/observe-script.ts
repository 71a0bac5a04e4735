/**
 * Applies a chunk of a batch to its indicators in one script: every event of an indicator, once.
 * One call carries many indicators, so a batch costs one round trip instead of one per event,
 * and each indicator's state is read back once, after all of its events.
 *
 * Deduplication: an event's 48-bit id hash is added to the indicator's set for the minute of the
 * event's own time (`...:d:<minute>`), so a redelivered or replayed event finds itself there and
 * changes nothing. A set of small integers is an intset in Redis (8 bytes a member up to
 * `set-max-intset-entries`), against about 150 bytes for a key per marker.
 *
 * Bound: a set lives until CORRELATOR_DEDUP_TTL_S after its minute (after now, for old events),
 * so Redis holds the ids of about events/s × (60 s + TTL) events. Measured with 1.5 indicators
 * an event: 49 bytes an event (sets), 228 (a key per event and indicator); at 30k events/s and
 * the 300 s default that is about 0.5 GB. An indicator with more than 512 events in a minute
 * gets a hashtable set instead, about 40 bytes a member. Two events of one indicator and minute
 * share a hash with probability n²/2⁴⁹ (2·10⁻⁷ at n = 10,000): the second counts as a replay.
 * A replay older than the window is applied again, and what that changes is bounded: sensors
 * and tenants are HyperLogLogs, first/last seen are min/max and a word keeps the latest, so only
 * the event counter and a word's count grow, and no weight depends on those; in ClickHouse the raw rows collapse under FINAL and the aggregates count event ids.
 *
 * Cost: Redis's time in a script goes mostly to the script itself, not to the commands it
 * calls, so an indicator costs as few `redis.call`s as it can: its state is one hash (counters,
 * words `w|…`, graph evidence `g|…` and the override `o` included) read once and written once,
 * and the HyperLogLog counts are kept in that hash (`cs`, `ct`), counted again only
 * when a PFADD changed a register. Measured on the correlator's benchmark batches: 11 calls an
 * indicator before, 6 after.
 *
 * The events travel as one JSON argument, not as an argument each: Node's client spends
 * a few microseconds on every argument, `cjson` in the script far less.
 *
 * Words: an event with a local verdict carries its word field (`w|<source>|<tenant>|<engine>`,
 * see `@repute/verdicts`) and `<category>|<trusted>`; the field keeps the latest word by event
 * time (a retraction replaces the detection it retracts, a late-delivered older word does not
 * replace a newer one) and the count of every word behind it.
 *
 * KEYS, per indicator: state, sensors HLL, tenants HLL, then its dedup sets (one per minute it
 *   has events in).
 * ARGV[1]: JSON, an array with per indicator `[value, [EXPIREAT (s) of each dedup set], ...events]`,
 *   every event eight items: set index (1-based), id hash, sensor (tenant-scoped), tenant, time
 *   ms (string), signed (0|1), word field ('' for none), `<category>|<trusted 0|1>` ('' for none).
 * Returns per indicator: { flags ('1' applied / '0' duplicate / 'x' refused, one per event), state
 *   (HGETALL, as written) }.
 *
 * Robustness: a script that fails part-way keeps what it wrote (Redis has no rollback): events
 * already marked in their dedup sets but never counted, later indicators not applied at all, and
 * a retry then sees the marked events as replays. So nothing the script can meet may fail it
 * once it has written. The layout (every indicator's value and dedup expiries, the KEYS they
 * need) is checked for the whole call before the first write, and a call with a wrong one fails
 * whole, having written nothing. Each event's values are checked before the event is applied:
 * one of the wrong type is refused ('x') and the others go on. The correlator validated every
 * event before, so neither happens unless the two sides disagree; it dead-letters a refused one.
 * The state is written in slices of fields, as PFADD is: `unpack` is bounded by the Lua stack,
 * and an indicator with thousands of words (engine names are the sensors' own) would exceed it.
 */
export const OBSERVE_BATCH_SCRIPT = `
-- unpack() is bounded by the Lua stack, so a hot indicator's elements go in slices. True when a
-- register changed, i.e. when the count may have.
local function pfadd(key, list)
  local changed = false
  for s = 1, #list, 1000 do
    if redis.call('PFADD', key, unpack(list, s, math.min(s + 999, #list))) == 1 then changed = true end
  end
  return changed
end
local function isInteger(x) return type(x) == 'number' and x == x and x % 1 == 0 and x > -2^53 and x < 2^53 end
-- An event's values as the correlator packs them; anything else would fail a command or an
-- operator half-way through the indicator.
local function validEvent(ind, a, nb)
  local set, t = ind[a], tonumber(ind[a + 4])
  if not isInteger(set) or set < 1 or set > nb then return false end
  if type(ind[a + 1]) ~= 'string' or type(ind[a + 2]) ~= 'string' or type(ind[a + 3]) ~= 'string' then return false end
  if type(ind[a + 4]) ~= 'string' or not isInteger(t) then return false end
  if ind[a + 5] ~= 0 and ind[a + 5] ~= 1 then return false end
  if type(ind[a + 6]) ~= 'string' or type(ind[a + 7]) ~= 'string' then return false end
  return ind[a + 6] == '' or string.match(ind[a + 7], '^[^|]*|[^|]*$') ~= nil
end
local out = {}
local data = cjson.decode(ARGV[1])
if type(data) ~= 'table' then return redis.error_reply('ERR observe: ARGV[1] is not an array') end
-- The layout of the whole call, before anything is written.
local need = 0
for i = 1, #data do
  local ind = data[i]
  if type(ind) ~= 'table' or type(ind[1]) ~= 'string' or type(ind[2]) ~= 'table' then
    return redis.error_reply('ERR observe: indicator ' .. i .. ' is not [value, expiries, ...events]')
  end
  for b = 1, #ind[2] do
    if not isInteger(ind[2][b]) then return redis.error_reply('ERR observe: indicator ' .. i .. ' has an expiry that is not an integer') end
  end
  need = need + 3 + #ind[2]
end
if need ~= #KEYS then return redis.error_reply('ERR observe: ' .. #KEYS .. ' keys for a layout that needs ' .. need) end
local k = 0
for i = 1, #data do
  local ind = data[i]
  local st, hs, ht = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local value = ind[1]
  local expires = ind[2]
  local nb = #expires
  local bk = k + 3
  -- The state is read once and kept up to date here, so the reply needs no second HGETALL;
  -- fields stay in Redis's own order (new ones last), as a second read would give them.
  local flat = redis.call('HGETALL', st)
  local at = {}
  for j = 1, #flat, 2 do at[flat[j]] = j + 1 end
  local sets = {}
  local function put(f, v)
    sets[#sets + 1] = f
    sets[#sets + 1] = v
    local j = at[f]
    if j == nil then
      flat[#flat + 1] = f
      flat[#flat + 1] = v
      at[f] = #flat
    else
      flat[j] = v
    end
  end
  local function get(f)
    local j = at[f]
    if j == nil then return nil end
    return flat[j]
  end
  local fsStr, lsStr = get('fs'), get('ls')
  local fs = tonumber(fsStr)
  local ls = tonumber(lsStr)
  local fsNew, lsNew, signed, n = false, false, false, 0
  local flags, sensors, tenants = {}, {}, {}
  -- Words: per field the latest (by event time) replaces the earlier, whatever order they came in.
  local words, wordOrder = {}, {}
  for a = 3, #ind, 8 do
    local e = #flags + 1
    if not validEvent(ind, a, nb) then
      flags[e] = 'x'
    elseif redis.call('SADD', KEYS[bk + ind[a]], ind[a + 1]) == 1 then
      flags[e] = '1'
      n = n + 1
      sensors[#sensors + 1] = ind[a + 2]
      tenants[#tenants + 1] = ind[a + 3]
      local t = tonumber(ind[a + 4])
      if fs == nil or t < fs then fs = t; fsStr = ind[a + 4]; fsNew = true end
      if ls == nil or t > ls then ls = t; lsStr = ind[a + 4]; lsNew = true end
      if ind[a + 5] == 1 then signed = true end
      local field = ind[a + 6]
      if field ~= '' then
        local w = words[field]
        if w == nil then
          w = { '', -1, 0, '0', '' }
          local stored = get(field)
          if stored ~= nil then
            local c, at, cnt, tr = string.match(stored, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
            if c ~= nil then w = { c, tonumber(at) or -1, tonumber(cnt) or 0, tr, at } end
          end
          words[field] = w
          wordOrder[#wordOrder + 1] = field
        end
        if t >= w[2] then
          local c, tr = string.match(ind[a + 7], '^([^|]*)|([^|]*)$')
          w[1] = c; w[2] = t; w[4] = tr; w[5] = ind[a + 4]
        end
        w[3] = w[3] + 1
      end
    else
      flags[e] = '0'
    end
  end
  for b = 1, nb do redis.call('EXPIREAT', KEYS[bk + b], expires[b]) end
  if n > 0 then
    -- A count is cached beside the state, and counted again when its HyperLogLog changed.
    local function count(key, list, field)
      if #list > 0 and pfadd(key, list) then put(field, tostring(redis.call('PFCOUNT', key))) end
    end
    count(hs, sensors, 'cs')
    count(ht, tenants, 'ct')
    for _, field in ipairs(wordOrder) do
      local w = words[field]
      put(field, w[1] .. '|' .. w[5] .. '|' .. w[3] .. '|' .. w[4])
    end
    if fsNew then put('fs', fsStr) end
    if lsNew then put('ls', lsStr) end
    if at['v'] == nil then put('v', value) end
    if signed and get('sg') ~= '1' then put('sg', '1') end
    put('n', tostring((tonumber(get('n')) or 0) + n))
    for s = 1, #sets, 1000 do redis.call('HSET', st, unpack(sets, s, math.min(s + 999, #sets))) end
  end
  out[i] = { table.concat(flags), flat }
  k = bk + nb
end
return out
`;

