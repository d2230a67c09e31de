/** A named limit: at most `limit` requests per key in any `windowSeconds` (sliding window). */
export interface RateLimitRule {
  name: string;
  limit: number;
  windowSeconds: number;
}

/** The answer for one request; `resetSeconds` is how long until the window frees a slot (>= 0). */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/** A rate-limit backend: Upstash Redis in production, a Durable Object where no Upstash is configured. */
export interface RateLimiter {
  readonly backend: "upstash" | "durable_object";
  /** Counts one request of `key` under `rule`; throws RateLimiterUnavailable when the backend cannot answer. */
  check(rule: RateLimitRule, key: string): Promise<RateLimitDecision>;
  /** A cheap round trip to the backend; throws RateLimiterUnavailable when it fails or times out. */
  ping(): Promise<void>;
}

/**
 * The backend could not decide (error or timeout). Deliberately not a decision: whether to let the request
 * through (fail open) or refuse it (fail closed) belongs to the caller, per route.
 */
export class RateLimiterUnavailable extends Error {
  override name = "RateLimiterUnavailable";
}

/** Rejects a malformed rule as a programming error, so it is never mistaken for an unavailable backend. */
export function assertValidRule(rule: RateLimitRule): void {
  if (!(Number.isInteger(rule.limit) && rule.limit >= 1)) {
    throw new RangeError(`rate limit "${rule.name}" needs an integer limit >= 1`);
  }
  if (!(Number.isInteger(rule.windowSeconds) && rule.windowSeconds >= 1)) {
    throw new RangeError(`rate limit "${rule.name}" needs a whole number of seconds >= 1`);
  }
}

/**
 * Settles with `work`, or rejects with RateLimiterUnavailable after `timeoutMs` or on any error of `work`:
 * the caller's own deadline, so no library default (retries, fail-open timeouts) decides for it.
 */
export async function withDeadline<T>(work: () => Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RateLimiterUnavailable(`${what} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work(), deadline]);
  } catch (error) {
    if (error instanceof RateLimiterUnavailable) throw error;
    throw new RateLimiterUnavailable(`${what} failed`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
