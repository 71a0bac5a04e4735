export function cacheControl(ttl: number, degraded: boolean): string {
  // Answers depend on the tenant's overlay, so shared caches must not keep them; a degraded
  // answer is not worth caching.
  return degraded || ttl === 0 ? 'private, no-store' : `private, max-age=${ttl}`;
}
