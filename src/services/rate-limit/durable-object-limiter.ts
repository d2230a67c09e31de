import type { RateLimitCounter } from "../../durable-objects/rate-limiter";
import { assertValidRule, type RateLimiter, withDeadline } from "./limiter";

/** Options of the Durable Object backend. */
export interface DurableObjectLimiterOptions {
  /** How long a check may take before it counts as unavailable. */
  timeoutMs?: number;
}

// Readiness pings share one object: they are rare, and it never stores anything.
const PING_OBJECT = "rate-limit:ping";

/**
 * Rate limits counted by `RateLimitCounter` objects, one per (rule, key): needs nothing outside the Worker,
 * so it serves local development, tests and deployments without Upstash.
 */
export function createDurableObjectLimiter(
  namespace: DurableObjectNamespace<RateLimitCounter>,
  options: DurableObjectLimiterOptions = {},
): RateLimiter {
  const timeoutMs = options.timeoutMs ?? 1000;
  if (!(timeoutMs > 0)) throw new RangeError("timeoutMs must be positive");

  return {
    backend: "durable_object",
    async check(rule, key) {
      assertValidRule(rule);
      const stub = namespace.get(namespace.idFromName(`${rule.name}:${key}`));
      return withDeadline(
        () => stub.hit(Date.now(), rule.limit, rule.windowSeconds),
        timeoutMs,
        "the rate-limit Durable Object",
      );
    },
    async ping() {
      const stub = namespace.get(namespace.idFromName(PING_OBJECT));
      await withDeadline(() => stub.ping(), timeoutMs, "the rate-limit Durable Object");
    },
  };
}
