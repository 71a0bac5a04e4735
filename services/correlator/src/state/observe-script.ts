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
 * A replay older than the window is applied again, and what that changes is bounded: sensors,
 * tenants and the detecting ones are HyperLogLogs and first/last seen are min/max, so only the
 * event counter and the evidence counts of detections grow, and no rule weight depends on
 * those; the raw rows collapse in ClickHouse under FINAL.
 *
 * KEYS, per indicator: state, sensors HLL, tenants HLL, detecting-sensors HLL,
 *   detecting-tenants HLL, graph, override, then its dedup sets (one per minute it has events in).
 * ARGV: indicator count, then per indicator: value, dedup set count, each set's EXPIREAT (s),
 *   event count, then per event: set index (1-based), id hash, sensor, tenant, time ms,
 *   signed (0|1), detection field ('' for none), bad (0|1).
 * Returns per indicator: { flags ('1' applied / '0' duplicate, one per event), state (HGETALL),
 *   sensors, tenants, detectingSensors, detectingTenants, graph (HGETALL), override }.
 */
export const OBSERVE_BATCH_SCRIPT = `
-- unpack() is bounded by the Lua stack, so a hot indicator's elements go in slices.
local function pfadd(key, list)
  for s = 1, #list, 1000 do redis.call('PFADD', key, unpack(list, s, math.min(s + 999, #list))) end
end
local out = {}
local a = 2
local k = 0
for i = 1, tonumber(ARGV[1]) do
  local st, hs, ht, hds, hdt, gr, ov = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5], KEYS[k + 6], KEYS[k + 7]
  local value = ARGV[a]
  local nb = tonumber(ARGV[a + 1])
  local bk = k + 7
  local expires = {}
  for b = 1, nb do expires[b] = ARGV[a + 1 + b] end
  a = a + 2 + nb
  local ne = tonumber(ARGV[a])
  a = a + 1
  -- The state is read once and kept up to date here, so the reply needs no second HGETALL;
  -- fields stay in Redis's own order (new ones last), as a second read would give them.
  local flat = redis.call('HGETALL', st)
  local at = {}
  local detecting = false
  for j = 1, #flat, 2 do
    local f = flat[j]
    at[f] = j + 1
    if string.sub(f, 1, 2) == 'd|' and string.match(f, '^d|[^|]*|([^|]*)|') ~= 'clean' then detecting = true end
  end
  local function put(f, v)
    local j = at[f]
    if j == nil then
      flat[#flat + 1] = f
      flat[#flat + 1] = v
      at[f] = #flat
    else
      flat[j] = v
    end
  end
  local fsStr, lsStr = flat[at['fs'] or 0], flat[at['ls'] or 0]
  local fs = tonumber(fsStr)
  local ls = tonumber(lsStr)
  local fsNew, lsNew, signed, n = false, false, false, 0
  local flags, sensors, tenants, dsensors, dtenants = {}, {}, {}, {}, {}
  local hits, hitOrder = {}, {}
  for e = 1, ne do
    local set = KEYS[bk + tonumber(ARGV[a])]
    if redis.call('SADD', set, ARGV[a + 1]) == 1 then
      flags[e] = '1'
      n = n + 1
      sensors[#sensors + 1] = ARGV[a + 2]
      tenants[#tenants + 1] = ARGV[a + 3]
      local t = tonumber(ARGV[a + 4])
      if fs == nil or t < fs then fs = t; fsStr = ARGV[a + 4]; fsNew = true end
      if ls == nil or t > ls then ls = t; lsStr = ARGV[a + 4]; lsNew = true end
      if ARGV[a + 5] == '1' then signed = true end
      local field = ARGV[a + 6]
      if field ~= '' then
        if hits[field] == nil then
          hits[field] = 0
          hitOrder[#hitOrder + 1] = field
        end
        hits[field] = hits[field] + 1
        if ARGV[a + 7] == '1' then
          dsensors[#dsensors + 1] = ARGV[a + 2]
          dtenants[#dtenants + 1] = ARGV[a + 3]
          detecting = true
        end
      end
    else
      flags[e] = '0'
    end
    a = a + 8
  end
  for b = 1, nb do redis.call('EXPIREAT', KEYS[bk + b], expires[b]) end
  if n > 0 then
    pfadd(hs, sensors)
    pfadd(ht, tenants)
    pfadd(hds, dsensors)
    pfadd(hdt, dtenants)
    for _, field in ipairs(hitOrder) do put(field, tostring(redis.call('HINCRBY', st, field, hits[field]))) end
    local sets = {}
    if fsNew then sets[#sets + 1] = 'fs'; sets[#sets + 1] = fsStr end
    if lsNew then sets[#sets + 1] = 'ls'; sets[#sets + 1] = lsStr end
    if at['v'] == nil then sets[#sets + 1] = 'v'; sets[#sets + 1] = value end
    if signed and flat[at['sg'] or 0] ~= '1' then sets[#sets + 1] = 'sg'; sets[#sets + 1] = '1' end
    if #sets > 0 then
      redis.call('HSET', st, unpack(sets))
      for j = 1, #sets, 2 do put(sets[j], sets[j + 1]) end
    end
    put('n', tostring(redis.call('HINCRBY', st, 'n', n)))
  end
  -- The detecting HLLs only ever gain members together with a non-clean detection field of the
  -- state, so an indicator without one has none to count.
  local dsc, dtc = 0, 0
  if detecting then dsc, dtc = redis.call('PFCOUNT', hds), redis.call('PFCOUNT', hdt) end
  out[i] = { table.concat(flags), flat, redis.call('PFCOUNT', hs), redis.call('PFCOUNT', ht),
    dsc, dtc, redis.call('HGETALL', gr), redis.call('GET', ov) }
  k = bk + nb
end
return out
`;

/** Reads the state without changing it (propagation and overrides re-score with it). */
export const READ_SCRIPT = `
return { 0, redis.call('HGETALL', KEYS[1]), redis.call('PFCOUNT', KEYS[2]), redis.call('PFCOUNT', KEYS[3]),
  redis.call('PFCOUNT', KEYS[4]), redis.call('PFCOUNT', KEYS[5]), redis.call('HGETALL', KEYS[6]), redis.call('GET', KEYS[7]) }
`;
