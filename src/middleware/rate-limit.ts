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
  (await countRateLimit(c, policy, key))?.();
}

/** Several counts at once (each is a hop to the limiter), then their verdicts in the given order. */
export async function enforceRateLimits(
  c: Context<AppEnv>,
  counts: Array<[RateLimitPolicy, string] | undefined | false>,
): Promise<void> {
  const verdicts = await Promise.all(
    counts.map((count) => (count ? countRateLimit(c, count[0], count[1]) : undefined)),
  );
  for (const verdict of verdicts) verdict?.();
}

/**
 * Counts this request against `policy` for `key` and gives back its verdict, to apply when the request's
 * other counts are in: it adds the policy's headers and throws the 429 (or 503) if there is one.
 */
async function countRateLimit(
  c: Context<AppEnv>,
  policy: RateLimitPolicy,
  key: string,
): Promise<(() => void) | undefined> {
  const config = c.get("config");
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
      requestId: c.get("requestId"),
      backend,
      policy: policy.name,
      error: describeError(error),
    });
    if (policy.failClosed) {
      return () => {
        throw new AppError(
          "service_unavailable",
          "This endpoint is temporarily unavailable; try again shortly.",
          {
            headers: { "Retry-After": "5" },
          },
        );
      };
    }
    return;
  }
  return () => applyDecision(c, policy.name, rule, decision);
}

function applyDecision(
  c: Context<AppEnv>,
  name: string,
  rule: { limit: number; windowSeconds: number },
  decision: Awaited<ReturnType<RateLimiter["check"]>>,
): void {
  const policy = { name };
  // IETF draft-ietf-httpapi-ratelimit-headers: the policy, then what is left and when it frees up. A
  // request counted by more than one policy (endpoint, then tenant quota) lists each, as the draft allows.
  const previous = c.get("rateLimitHeaders");
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
  if (name === "tenant") c.set("tenantDecision", { limit: rule.limit, remaining: decision.remaining });
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

// The tenants' request quotas as last read, per isolate. The tenant's quota is counted beside the caller's own
// limit and the token check, before the caller's standing (which carries the quota) is read, so it goes by the
// quota this isolate last saw for the tenant - the configured default until then.
const knownQuotas = new Map<string, { requestsPerMinute?: number | undefined }>();

/** Remembers a tenant's quotas as just read (authorize calls it with every standing it reads). */
export function rememberQuotas(tenantId: string, quotas: { requestsPerMinute?: number | undefined }): void {
  if (knownQuotas.size >= 10_000 && !knownQuotas.has(tenantId)) knownQuotas.clear();
  knownQuotas.set(tenantId, quotas);
}

/**
 * The count of the request against its tenant's quota, on top of the endpoint's limit: one busy user or key
 * cannot starve its institution's others of the platform, nor one institution the rest.
 */
export function tenantQuota(
  c: Context<AppEnv>,
  tenantId: string,
  quotas: { requestsPerMinute?: number | undefined },
): [RateLimitPolicy, string] {
  const limit = quotas.requestsPerMinute ?? c.get("config").TENANT_REQUESTS_PER_MINUTE;
  return [
    { name: "tenant", limit, windowSeconds: 60, scope: "principal", failClosed: false },
    `tenant:${tenantId}`,
  ];
}

/**
 * Judges the tenant's count again by its quota as just read, when the count went by another (the quota this
 * isolate had seen changed since): the limiter's answer says how many requests the window holds, whatever
 * limit it was asked against, so the verdict and headers are those the right quota gives - 429 if it is spent.
 */
export function rejudgeTenantQuota(
  c: Context<AppEnv>,
  quotas: { requestsPerMinute?: number | undefined },
): void {
  const counted = c.get("tenantDecision");
  if (!counted) return;
  const config = c.get("config");
  const per = quotas.requestsPerMinute ?? config.TENANT_REQUESTS_PER_MINUTE;
  const limit = Math.max(1, Math.round(per * config.RATE_LIMIT_SCALE));
  if (limit === counted.limit) return;
  const used = counted.limit - counted.remaining;
  const remaining = Math.max(0, limit - used);
  const headers = c.get("rateLimitHeaders");
  if (headers) {
    c.set("rateLimitHeaders", {
      "RateLimit-Policy": (headers["RateLimit-Policy"] ?? "").replace(
        `"tenant";q=${counted.limit};`,
        `"tenant";q=${limit};`,
      ),
      RateLimit: (headers.RateLimit ?? "").replace(
        `"tenant";r=${counted.remaining};`,
        `"tenant";r=${remaining};`,
      ),
    });
  }
  c.set("tenantDecision", { limit, remaining });
  if (used > limit) {
    throw new AppError("rate_limited", `Too many requests: at most ${limit} per 60 s here.`, {
      headers: { ...c.get("rateLimitHeaders"), "Retry-After": "60" },
    });
  }
}

/** The tenant's quotas as this isolate last read them, if it has. */
export const knownQuotasOf = (tenantId: string) => knownQuotas.get(tenantId);

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
      const headers = c.get("rateLimitHeaders");
      if (headers && c.res)
        for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    }
  };
}
