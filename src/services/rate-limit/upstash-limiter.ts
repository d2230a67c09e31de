import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import {
  assertValidRule,
  type RateLimiter,
  RateLimiterUnavailable,
  type RateLimitRule,
  withDeadline,
} from "./limiter";

/** Where the Upstash Redis REST endpoint is, and how long a call may take. */
export interface UpstashLimiterOptions {
  url: string;
  token: string;
  /** How long a check or ping may take before it counts as unavailable. */
  timeoutMs?: number;
}

/**
 * Rate limits counted in Upstash Redis with `Ratelimit.slidingWindow`, keys prefixed `finedge:rl:<rule>`.
 * Any error or a call slower than `timeoutMs` throws RateLimiterUnavailable: the caller decides what that means.
 */
export function createUpstashLimiter({ url, token, timeoutMs = 1000 }: UpstashLimiterOptions): RateLimiter {
  if (!(timeoutMs > 0)) throw new RangeError("timeoutMs must be positive");
  const redis = new Redis({
    url,
    token,
    // The default retries for ~4 s with backoff: an outage must surface within our own deadline instead.
    retry: { retries: 0 },
    // A function (not a signal) makes an aborted call throw; a plain signal turns it into a fake result.
    signal: () => AbortSignal.timeout(timeoutMs),
    enableTelemetry: false,
    // The client lives as long as the isolate and serves every request in it: auto-pipelining would put one
    // request's command in a fetch another request made, which workerd cancels when that request ends ("Network
    // connection lost" for the first). Each check makes its own call.
    enableAutoPipelining: false,
  });
  const limiters = new Map<string, Ratelimit>();

  function limiterFor(rule: RateLimitRule): Ratelimit {
    const id = `${rule.name}:${rule.limit}:${rule.windowSeconds}`;
    let limiter = limiters.get(id);
    if (!limiter) {
      limiter = new Ratelimit({
        redis,
        limiter: Ratelimit.slidingWindow(rule.limit, `${rule.windowSeconds} s`),
        prefix: `finedge:rl:${rule.name}`,
        // 0 disables the library's timeout, which would let requests through when it fires.
        timeout: 0,
        // The isolate-local block list holds a key until the fixed window's end, longer than the sliding
        // window does: without it both backends admit exactly the same requests.
        ephemeralCache: false,
        analytics: false,
        enableTelemetry: false,
      });
      limiters.set(id, limiter);
    }
    return limiter;
  }

  return {
    backend: "upstash",
    async check(rule, key) {
      assertValidRule(rule);
      const limiter = limiterFor(rule);
      const response = await withDeadline(() => limiter.limit(key), timeoutMs, "Upstash Redis");
      // Cannot happen with the library's timeout off; if it ever did, "success" would be a guess.
      if (response.reason === "timeout") throw new RateLimiterUnavailable("Upstash Redis timed out");
      return {
        allowed: response.success,
        limit: response.limit,
        remaining: response.remaining,
        // Upstash only reports the end of the current fixed window; the weighting of the previous one can
        // free a slot earlier or later, so this is an estimate (the Durable Object backend's is exact), and
        // at least 1 second when no slot is left now.
        resetSeconds:
          response.remaining > 0 ? 0 : Math.max(1, Math.ceil((response.reset - Date.now()) / 1000)),
      };
    },
    async ping() {
      await withDeadline(() => redis.ping(), timeoutMs, "Upstash Redis");
    },
  };
}
