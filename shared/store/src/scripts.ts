/**
 * Lua scripts of the writer. Each runs atomically on the server, so the record, the sorted
 * digest index and the update-stream entry never disagree, and an older version never
 * overwrites a newer one whatever order concurrent writers arrive in.
 */

// Reads the stored record's version from encodeRecord's positional JSON array (format 1:
// version is the 13th element); a value it cannot read counts as version 0.
const storedVersion = `
local function storedVersion(value)
  if not value then return -1 end
  local ok, decoded = pcall(cjson.decode, value)
  if ok and type(decoded) == 'table' and decoded[1] == 1 and tonumber(decoded[13]) then return tonumber(decoded[13]) end
  return 0
end
`;

/**
 * KEYS: record, stream, index. ARGV: version, encoded record, kind, verdict, digest hex,
 * stream max length, unprefixed key. Returns the stream id, or false when not newer.
 */
export const WRITE_RECORD = `${storedVersion}
local current = redis.call('GET', KEYS[1])
if storedVersion(current) >= tonumber(ARGV[1]) then return false end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[3], 0, ARGV[5])
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*',
  'op', 'put', 'key', ARGV[7], 'kind', ARGV[3], 'digest', ARGV[5], 'verdict', ARGV[4], 'version', ARGV[1])
`;

/**
 * KEYS: record, stream, index. ARGV: version (or -1 for any), kind, digest hex, stream max
 * length, unprefixed key. Returns the stream id, or false when absent or newer than asked.
 */
export const REMOVE_RECORD = `${storedVersion}
local current = redis.call('GET', KEYS[1])
if not current then return false end
local stored = storedVersion(current)
if tonumber(ARGV[1]) >= 0 and stored > tonumber(ARGV[1]) then return false end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[3])
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*',
  'op', 'del', 'key', ARGV[5], 'kind', ARGV[2], 'digest', ARGV[3], 'version', tostring(stored))
`;

/** KEYS: alias, stream. ARGV: sha256 hex, digest hex, stream max length, unprefixed key. */
export const WRITE_ALIAS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return false end
redis.call('SET', KEYS[1], ARGV[1])
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*',
  'op', 'alias', 'key', ARGV[4], 'kind', 'file', 'digest', ARGV[2])
`;
