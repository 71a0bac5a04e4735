/**
 * The indicators popular over a window (`{from}`..`{to}`, epoch ms), as `(id, popular = 1)` rows
 * keyed like the estimates key indicators (`cityHash64(kind, digest)`): seen by at least
 * `{popularTenants}` tenants or `{popularSensors}` sensors in the hourly aggregates. Shared by
 * the source and the reporter estimates, which both read popularity as evidence of benign.
 */
export const POPULAR_SQL = `
      SELECT cityHash64(kind, digest) AS id, toUInt8(1) AS popular
      FROM {db:Identifier}.indicator_hourly
      WHERE hour >= toStartOfHour(fromUnixTimestamp64Milli({from:Int64}, 'UTC')) AND hour < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
      GROUP BY id
      HAVING uniqMerge(tenants) >= {popularTenants:UInt32} OR uniqMerge(sensors) >= {popularSensors:UInt32}`;
