import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { AppConfig } from "../config";
import type { AppEnv, Bindings } from "../env";
import { AppError } from "../errors";
import { describeError, log } from "../logger";
import { createDurableObjectLimiter } from "../services/rate-limit/durable-object-limiter";
import { type RateLimiter, RateLimiterUnavailable } from "../services/rate-limit/limiter";
import { type PolicyResolver, routePolicies } from "../services/rate-limit/route-policies";
import type { RateLimitPolicy } from "../services/rate-limit/rules";
import { createUpstashLimiter } from "../services/rate-limit/upstash-limiter";

const limiters = new WeakMap<AppConfig, RateLimiter>();

/** Upstash when configured, else the Durable Object limiter: the same limits either way. Once per isolate. */
export function limiterFor(config: AppConfig, env: Bindings): RateLimiter {
  let limiter = limiters.get(config);
  if (!limiter) {
    const {
      UPSTASH_REDIS_REST_URL: url,
      UPSTASH_REDIS_REST_TOKEN: token,
      RATE_LIMIT_BACKEND: backend,
      RATE_LIMIT_TIMEOUT_MS: timeoutMs,
    } = config;
    limiter =
      url && token && backend !== "durable_object"
        ? createUpstashLimiter({ url, token, timeoutMs })
        : createDurableObjectLimiter(env.RATE_LIMITER, { timeoutMs });
    limiters.set(config, limiter);
  }
  return limiter;
}

/**
 * Counts this request against `policy` for `key`; 429 (with `Retry-After`) over the limit. When the
 * limiter cannot answer, fail-closed policies (sign-in, registration, 2FA) answer 503 and the rest go on
 * with a logged warning.
 */
export async function enforceRateLimit(
  c: Context<AppEnv>,
  policy: RateLimitPolicy,
  key: string,
): Promise<void> {
  const { config } = c.var;
  if (config.RATE_LIMIT_BACKEND === "off") return;
  const rule = {
    name: policy.name,
    limit: Math.max(1, Math.round(policy.limit * config.RATE_LIMIT_SCALE)),
    windowSeconds: policy.windowSeconds,
  };
  let backend = "unconfigured";
  let decision: Awaited<ReturnType<RateLimiter["check"]>>;
  try {
    if (!c.env.RATE_LIMITER && !config.UPSTASH_REDIS_REST_URL)
      throw new RateLimiterUnavailable("no limiter bound");
    const limiter = limiterFor(config, c.env);
    backend = limiter.backend;
    decision = await limiter.check(rule, key);
  } catch (error) {
    if (!(error instanceof RateLimiterUnavailable)) throw error;
    log(config.LOG_LEVEL, policy.failClosed ? "error" : "warn", {
      msg: policy.failClosed ? "rate limiter unavailable: refusing" : "rate limiter unavailable: allowing",
      requestId: c.var.requestId,
      backend,
      policy: policy.name,
      error: describeError(error),
    });
    if (policy.failClosed) {
      throw new AppError(
        "service_unavailable",
        "This endpoint is temporarily unavailable; try again shortly.",
        {
          headers: { "Retry-After": "5" },
        },
      );
    }
    return;
  }
  // IETF draft-ietf-httpapi-ratelimit-headers: the policy, then what is left and when it frees up. A
  // request counted by more than one policy (endpoint, then tenant quota) lists each, as the draft allows.
  const previous = c.var.rateLimitHeaders;
  const join = (earlier: string | undefined, item: string) => (earlier ? `${earlier}, ${item}` : item);
  const headers = {
    "RateLimit-Policy": join(
      previous?.["RateLimit-Policy"],
      `"${policy.name}";q=${rule.limit};w=${rule.windowSeconds}`,
    ),
    RateLimit: join(
      previous?.RateLimit,
      `"${policy.name}";r=${decision.remaining};t=${decision.resetSeconds}`,
    ),
  };
  c.set("rateLimitHeaders", headers);
  if (!decision.allowed) {
    throw new AppError(
      "rate_limited",
      `Too many requests: at most ${rule.limit} per ${rule.windowSeconds} s here.`,
      {
        headers: { ...headers, "Retry-After": String(Math.max(1, decision.resetSeconds)) },
      },
    );
  }
}

/**
 * The policy resolver for `app`: its route contracts, as registered for the OpenAPI document, each with
 * the `x-rate-limit` it declares. What is documented is what is enforced.
 */
export function contractPolicies(app: OpenAPIHono<AppEnv>): PolicyResolver {
  return routePolicies(
    app.openAPIRegistry.definitions.flatMap((definition) =>
      definition.type === "route" ? [definition.route] : [],
    ),
  );
}

/**
 * Per-endpoint rate limits, by the policy the matched route's contract declares (`x-rate-limit`; requests
 * that match no route count under the default). It runs before the body is read and before the database or
 * authentication, so the route is resolved here from the registered contracts (once, at the first request,
 * when every route is mounted) rather than left to the route's own middleware, which runs after those.
 * Anonymous endpoints are counted here by client address (`CF-Connecting-IP`); authenticated ones are left
 * to `authenticate`, which counts them per user or key once the credential is verified. Every counted
 * response carries the `RateLimit-Policy` and `RateLimit` headers.
 */
export function rateLimit(app: OpenAPIHono<AppEnv>): MiddlewareHandler<AppEnv> {
  let policyFor: PolicyResolver | undefined;
  return async function rateLimit(c, next) {
    policyFor ??= contractPolicies(app);
    const policy = policyFor(c.req.method, c.req.path);
    try {
      if (policy.scope === "principal") c.set("rateLimitPolicy", policy);
      else await enforceRateLimit(c, policy, `ip:${c.req.header("cf-connecting-ip") ?? "unknown"}`);
      await next();
    } finally {
      const headers = c.var.rateLimitHeaders;
      if (headers && c.res)
        for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    }
  };
}
