/**
 * Provider rate limits: one token bucket per channel in this worker process (domain/messaging/rate).
 * A send that finds the bucket empty is not skipped: the activity fails with a retryable
 * `RateLimited` failure whose `nextRetryDelay` is the refill time, and Temporal retries it then.
 * Per worker, so N workers allow N× the rate: configure the per-worker share.
 */
import { fullBucket, takeToken, type BucketState, type RateLimit } from '../domain/messaging';

export type RateLimits = Partial<Record<'email' | 'sms' | 'push' | 'wechat', RateLimit>>;

export function createRateLimiter(limits: RateLimits, now: () => number = Date.now) {
  const buckets = new Map<string, BucketState>();
  return {
    /** 0 when a token was taken; else milliseconds until one will be available. */
    take(channel: keyof RateLimits): number {
      const limit = limits[channel];
      if (!limit) return 0;
      const t = now();
      const result = takeToken(buckets.get(channel) ?? fullBucket(limit, t), limit, t);
      buckets.set(channel, result.state);
      return result.ok ? 0 : result.waitMs;
    },
  };
}
export type RateLimiter = ReturnType<typeof createRateLimiter>;
