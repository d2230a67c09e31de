import type { AppConfig } from "./config";
import type { RequestDatabase } from "./db/client";
import type { TenantQuotas } from "./db/schema";
import type { StepUpProof } from "./durable-objects/session-authority";
import type { RateLimitPolicy } from "./services/rate-limit/rules";
import type { TenantContext } from "./services/tenancy/context";

/** Worker bindings: the generated `Cloudflare.Env` plus secrets, which `wrangler types` cannot see. */
export interface Bindings extends Cloudflare.Env {
  /** Postgres connection string (Neon in production). A secret: `wrangler secret put DATABASE_URL`. */
  DATABASE_URL?: string;
  /** Local only: address of the WebSocket-to-TCP relay that lets the Neon driver reach a plain Postgres. */
  WS_RELAY?: string;
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
}

/** Per-request values set by middleware. */
export interface Variables {
  requestId: string;
  config: AppConfig;
  database: RequestDatabase;
  /** Set by authentication once known; read by the request log. */
  tenantId?: string;
  userId?: string;
  /** The verified user behind an access token, set by the `authenticate` middleware. */
  auth?: AuthContext;
  /** The verified caller - a user or an API key - set by the `authenticate` middleware. */
  principal?: Principal;
  /** The caller's tenant, access and audit context, set by the `authorize` middleware. */
  tenant?: TenantContext;
  /** A principal-scoped rate-limit policy awaiting the caller's identity (see middleware/rate-limit). */
  rateLimitPolicy?: RateLimitPolicy;
  /** The `RateLimit-Policy` / `RateLimit` headers of the decision taken for this request. */
  rateLimitHeaders?: Record<string, string>;
}

/** Who is calling, from a verified access token that its session authority still accepts. */
export interface AuthContext {
  userId: string;
  tenantId: string;
  role: string;
  sessionId: string;
  tokenId: string;
  expiresAt: number;
  /** This session's live step-up proof (a re-authentication in the last few minutes), if it has one. */
  stepUp?: StepUpProof | undefined;
}

/** A verified caller: a user (access token) or a machine (API key). */
export type Principal =
  | { kind: "user"; tenantId: string; userId: string }
  | {
      kind: "api_key";
      tenantId: string;
      apiKeyId: string;
      scopes: readonly string[];
      organizationId: string | null;
      quotas: TenantQuotas;
    };

/** The Hono environment of every router in the app. */
export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}
