/**
 * A token bucket per provider channel: `ratePerSecond` tokens refill continuously up to `burst`.
 * Pure state transitions taking `now` (ms); the worker keeps one state per channel.
 */
export interface RateLimit {
  ratePerSecond: number;
  burst: number;
}

export interface BucketState {
  tokens: number;
  updatedAt: number;
}

export function fullBucket(limit: RateLimit, now: number): BucketState {
  return { tokens: limit.burst, updatedAt: now };
}

/** Takes one token when available; otherwise says how long until one is (and takes nothing). */
export function takeToken(
  state: BucketState,
  limit: RateLimit,
  now: number,
): { state: BucketState; ok: true } | { state: BucketState; ok: false; waitMs: number } {
  const elapsed = Math.max(0, now - state.updatedAt);
  const tokens = Math.min(limit.burst, state.tokens + (elapsed / 1000) * limit.ratePerSecond);
  if (tokens >= 1) return { state: { tokens: tokens - 1, updatedAt: now }, ok: true };
  return {
    state: { tokens, updatedAt: now },
    ok: false,
    waitMs: Math.ceil(((1 - tokens) / limit.ratePerSecond) * 1000),
  };
}
