/**
 * Applies one event to one indicator, once: the SET NX marker on the event id and the updates
 * run in one script, so a replayed or redelivered event changes no count, and a crash cannot
 * leave half an event applied. Returns the state either way, so a redelivery still re-scores
 * (and writes a verdict the crash may have lost).
 *
 * KEYS: state, sensors HLL, tenants HLL, detecting-sensors HLL, detecting-tenants HLL, graph, override, marker
 * ARGV: marker TTL s, sensor, tenant, time ms, value, signed (0|1), detection field ('' for none), bad (0|1)
 * Returns: { applied, state (HGETALL), sensors, tenants, detectingSensors, detectingTenants, graph (HGETALL), override }
 */
export const OBSERVE_SCRIPT = `
local applied = 0
if redis.call('SET', KEYS[8], '1', 'NX', 'EX', tonumber(ARGV[1])) then
  applied = 1
  redis.call('PFADD', KEYS[2], ARGV[2])
  redis.call('PFADD', KEYS[3], ARGV[3])
  if ARGV[7] ~= '' then
    redis.call('HINCRBY', KEYS[1], ARGV[7], 1)
    if ARGV[8] == '1' then
      redis.call('PFADD', KEYS[4], ARGV[2])
      redis.call('PFADD', KEYS[5], ARGV[3])
    end
  end
  local t = tonumber(ARGV[4])
  local fs = tonumber(redis.call('HGET', KEYS[1], 'fs'))
  if fs == nil or t < fs then redis.call('HSET', KEYS[1], 'fs', ARGV[4]) end
  local ls = tonumber(redis.call('HGET', KEYS[1], 'ls'))
  if ls == nil or t > ls then redis.call('HSET', KEYS[1], 'ls', ARGV[4]) end
  redis.call('HSETNX', KEYS[1], 'v', ARGV[5])
  if ARGV[6] == '1' then redis.call('HSET', KEYS[1], 'sg', '1') end
  redis.call('HINCRBY', KEYS[1], 'n', 1)
end
return { applied, redis.call('HGETALL', KEYS[1]), redis.call('PFCOUNT', KEYS[2]), redis.call('PFCOUNT', KEYS[3]),
  redis.call('PFCOUNT', KEYS[4]), redis.call('PFCOUNT', KEYS[5]), redis.call('HGETALL', KEYS[6]), redis.call('GET', KEYS[7]) }
`;

/** Reads the state without changing it (propagation and overrides re-score with it). */
export const READ_SCRIPT = `
return { 0, redis.call('HGETALL', KEYS[1]), redis.call('PFCOUNT', KEYS[2]), redis.call('PFCOUNT', KEYS[3]),
  redis.call('PFCOUNT', KEYS[4]), redis.call('PFCOUNT', KEYS[5]), redis.call('HGETALL', KEYS[6]), redis.call('GET', KEYS[7]) }
`;
