import type { AppConfig } from "./config";
import type { RequestDatabase } from "./db/client";
import type { RequestContext } from "./services/context";
import type { RateLimitPolicy } from "./services/rate-limit/rules";
import type { IdempotentRequest } from "./services/tenancy/idempotency";

/** Worker bindings: the generated `Cloudflare.Env` plus secrets, which `wrangler types` cannot see. */
export interface Bindings extends Cloudflare.Env {
  /** Postgres connection string (Neon in production). A secret: `wrangler secret put DATABASE_URL`. */
  DATABASE_URL?: string;
  /** Local only: address of the WebSocket-to-TCP relay that lets the Neon driver reach a plain Postgres. */
  WS_RELAY?: string;
  /** Postgres connection string for the SQL-over-HTTP path (Neon's pooled host); defaults to DATABASE_URL. A secret. */
  DATABASE_HTTP_URL?: string;
  /** Local only: URL of the server standing in for Neon's SQL-over-HTTP endpoint. */
  SQL_HTTP_ENDPOINT?: string;
  /** Access-token signing keys: a JSON array of private Ed25519 JWKs, current first. A secret. */
  JWT_SIGNING_KEYS?: string;
  /** Key ring (JSON) that encrypts secrets at rest: TOTP secrets, e-mail bodies. A secret. */
  SECRETS_ENCRYPTION_KEYS?: string;
  /** Pepper ring (JSON) backup codes are hashed under. A secret. */
  BACKUP_CODE_PEPPER?: string;
  /** API key of the HTTP e-mail provider. A secret. */
  EMAIL_API_KEY?: string;
  /** Upstash Redis REST token. A secret. */
  UPSTASH_REDIS_REST_TOKEN?: string;
  UPSTASH_REDIS_REST_URL?: string;
  /** The quote provider's API key (a secret) and, off by default, its endpoint and tickers. */
  PRICE_FEED_API_KEY?: string;
  PRICE_FEED_URL?: string;
  PRICE_FEED_SYMBOLS?: string;
  /** The identity-verification provider: its URL, API key (a secret) and callback signing secrets (a secret). */
  IDV_PROVIDER_URL?: string;
  IDV_PROVIDER_API_KEY?: string;
  IDV_WEBHOOK_SECRETS?: string;
  /** Federated sign-in: each provider's client (the secrets are secrets), issuers and hosts (config.ts). */
  GOOGLE_CLIENT_ID?: string;
  GOOGLE_CLIENT_SECRET?: string;
  GOOGLE_ISSUER?: string;
  MICROSOFT_CLIENT_ID?: string;
  MICROSOFT_CLIENT_SECRET?: string;
  MICROSOFT_ISSUER?: string;
  GITHUB_CLIENT_ID?: string;
  GITHUB_CLIENT_SECRET?: string;
  GITHUB_URL?: string;
  GITHUB_API_URL?: string;
  /** How long a webhook receiver has to answer, in ms (default 10000). */
  WEBHOOK_TIMEOUT_MS?: string;
}

/** Per-request values set by middleware. */
export interface Variables {
  requestId: string;
  config: AppConfig;
  database: RequestDatabase;
  /** The services' dependencies, the client and, once known, the caller and its tenant (middleware/request-context). */
  context: RequestContext;
  /** Set by authentication once known; read by the request log. */
  tenantId?: string;
  userId?: string;
  /** The tenant quota's count for this request, as the limiter answered it (see `rejudgeTenantQuota`). */
  tenantDecision?: { limit: number; remaining: number };
  /** A principal-scoped rate-limit policy awaiting the caller's identity (see middleware/rate-limit). */
  rateLimitPolicy?: RateLimitPolicy;
  /** An Idempotency-Key request whose write honours the key itself (middleware/idempotency, `inWrite`). */
  idempotency?: IdempotentRequest;
  /** The `RateLimit-Policy` / `RateLimit` headers of the decision taken for this request. */
  rateLimitHeaders?: Record<string, string>;
  /** The problem this request was answered with, if any (for its metrics data point). */
  problemCode?: string;
}

/** The Hono environment of every router in the app. */
export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}
