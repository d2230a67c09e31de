import type { AppConfig } from "../config";
import { type Database, RequestDatabase } from "../db/client";
import { localRequest } from "../db/driver";

import type { ApiKeyRow } from "../db/repositories/api-keys.repository";
import type { TenantQuotas } from "../db/schema";
import type { AccountGuard } from "../durable-objects/account-guard";
import type { SessionAuthority, StepUpProof, UserFacts } from "../durable-objects/session-authority";
import type { Consultation, TenantAuthority } from "../durable-objects/tenant-authority";
import type { Bindings } from "../env";
import { AppError } from "../errors";
import type { QueueMessage } from "../queues/messages";
import { loadSigningKeys, type SigningKeys } from "./auth/keys";
import { loadSecretsAtRest, type SecretsAtRest } from "./crypto/secrets-at-rest";
import type { Mailer } from "./email/outbox";
import { createEmailSender } from "./email/senders";
import type { TenantContext } from "./tenancy/context";

export type { Database, RequestDatabase, Transaction } from "../db/client";

/**
 * The dependencies of the services, assembled in one place: `createServiceContext` for work without a
 * request (the queue consumer, the cron), `createRequestContext` - through the `requestContext` middleware -
 * once per request. Services take the context, or the narrow `Pick` of it they use, and never the Hono
 * context or the Worker's bindings.
 */
export interface ServiceContext {
  readonly config: AppConfig;
  /** The clock every service reads. */
  readonly now: () => Date;
  /** The database of this invocation: tenant transactions, after-response work; it closes when it ends. */
  readonly database: RequestDatabase;
  /** The platform-scoped handle (`database.db`), connecting on first use. */
  readonly db: Database;
  /** The access-token signing keys (503 when the Worker has none), parsed once per isolate. */
  signingKeys(): Promise<SigningKeys>;
  /** Encryption keys and peppers for secrets at rest (TOTP secrets, backup codes, e-mail bodies). */
  secretsAtRest(): Promise<SecretsAtRest>;
  /** The e-mail sender, with the keys that seal message bodies in the outbox. */
  mailer(): Promise<Mailer>;
  /** The lockout guard of one account: keyed by user id, or by the normalised address when none has it. */
  accountGuard(key: string): DurableObjectStub<AccountGuard>;
  sessionAuthority(userId: string): DurableObjectStub<SessionAuthority>;
  /** A tenant's status, quotas and models as the edge keeps them, and its daily inference count. */
  tenantAuthority(tenantId: string): DurableObjectStub<TenantAuthority>;
  /** Model files, pointers and the catalogue. */
  readonly models: R2Bucket;
  /** Bulk uploads and their results. */
  readonly files: R2Bucket;
  readonly scoringQueue: Queue<QueueMessage>;
}

/** Where a request came from, as far as the edge can tell (from headers and `request.cf`). */
export interface ClientContext {
  ip: string | null;
  userAgent: string | null;
  country: string | null;
  city: string | null;
  asn: number | null;
}

/** A user behind a verified access token that its session authority still accepts. */
export interface UserCaller {
  kind: "user";
  userId: string;
  tenantId: string;
  role: string;
  sessionId: string;
  tokenId: string;
  expiresAt: number;
  /** This session's live step-up proof (a re-authentication in the last few minutes), if it has one. */
  stepUp?: StepUpProof | undefined;
  /**
   * On routes answered at the edge: the user's standing as its session authority holds a copy of it (absent
   * when it holds none), and the generation a copy read from the database is stored under.
   */
  edge?: { standing?: UserFacts | undefined; generation: number } | undefined;
}

/** A machine holding a live API key. */
export interface ApiKeyCaller {
  kind: "api_key";
  tenantId: string;
  apiKeyId: string;
  scopes: readonly string[];
  organizationId: string | null;
  quotas: TenantQuotas;
}

/** A verified caller: a user (access token) or a machine (API key). */
export type Caller = UserCaller | ApiKeyCaller;

/** One request's context: the service dependencies, where the request came from and, once known, who asks. */
export interface RequestContext extends ServiceContext {
  readonly requestId: string;
  readonly client: ClientContext;
  /** Set by the `authenticate` middleware. */
  caller?: Caller;
  /**
   * On routes answered at the edge, the caller's remote checks (token revocation, rate limits) still out while
   * the request is validated; `authorize` awaits them before anything else.
   */
  admission?: Promise<void>;
  /**
   * On routes answered at the edge, an API key by its secret's hash and its tenant: still to be resolved
   * (`authorize` asks the tenant's authority) or, when `resolved`, read from the database already - for the
   * authority to be given.
   */
  pendingKey?: { hash: string; tenantId: string; resolved?: { key: ApiKeyRow; quotas: TenantQuotas } };
  /** On routes answered at the edge, what the tenant's authority knew and granted (set by `authorize`). */
  consultation?: Consultation;
  /** The caller's tenant, access and audit context, set by the `authorize` middleware. */
  tenant?: TenantContext;
}

/** What the risk services use: model and upload storage, the scoring queue, the quota counter, the configuration. */
export type RiskServices = Pick<
  ServiceContext,
  "models" | "files" | "scoringQueue" | "config" | "tenantAuthority"
>;

/** Memoises an async load for the life of one context (a failure is not kept: the next call retries). */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    if (!loaded) {
      loaded = load();
      loaded.catch(() => {
        loaded = undefined;
      });
    }
    return loaded;
  };
}

/** Locally, runs `work` with its database calls tagged by `requestId` (the local server counts round trips by it). */
export const asLocalRequest = <T>(
  config: Pick<AppConfig, "SQL_HTTP_ENDPOINT">,
  requestId: string,
  work: () => Promise<T>,
): Promise<T> => (config.SQL_HTTP_ENDPOINT ? localRequest.run(requestId, work) : work());

/** The configured database, connecting on first use; the caller closes it (`settle` or `close`). */
export const openDatabase = (
  config: Pick<AppConfig, "DATABASE_URL" | "WS_RELAY" | "DATABASE_HTTP_URL" | "SQL_HTTP_ENDPOINT">,
  requestId?: string,
) =>
  new RequestDatabase(
    config.DATABASE_URL
      ? {
          url: config.DATABASE_URL,
          relay: config.WS_RELAY,
          httpUrl: config.DATABASE_HTTP_URL,
          httpEndpoint: config.SQL_HTTP_ENDPOINT,
          requestId,
        }
      : undefined,
  );

/**
 * The dependencies every invocation of the Worker shares, request or not. A request passes the database
 * its middleware opened; the queue consumer and the cron get one from the configuration, and close it.
 */
export function createServiceContext(
  env: Bindings,
  config: AppConfig,
  database = openDatabase(config),
): ServiceContext {
  const secretsAtRest = once(() => loadSecretsAtRest(config));
  return {
    config,
    now: () => new Date(),
    database,
    get db() {
      return database.db;
    },
    signingKeys: once(async () => {
      const json = config.JWT_SIGNING_KEYS;
      if (!json) throw new AppError("service_unavailable", "Token signing keys are not configured.");
      return loadSigningKeys(json);
    }),
    secretsAtRest,
    mailer: once(async () => ({
      sender: createEmailSender(config),
      sealing: (await secretsAtRest()).sealing,
    })),
    accountGuard: (key) => env.ACCOUNT_GUARD.get(env.ACCOUNT_GUARD.idFromName(key)),
    sessionAuthority: (userId) => env.SESSION_AUTHORITY.get(env.SESSION_AUTHORITY.idFromName(userId)),
    tenantAuthority: (tenantId) => env.TENANT_AUTHORITY.get(env.TENANT_AUTHORITY.idFromName(tenantId)),
    models: env.MODELS,
    files: env.FILES,
    scoringQueue: env.SCORING_QUEUE as Queue<QueueMessage>,
  };
}

/** A request's context: the shared dependencies plus the request's id and client; no caller yet. */
export function createRequestContext(
  env: Bindings,
  config: AppConfig,
  database: RequestDatabase,
  request: { requestId: string; client: () => ClientContext },
): RequestContext {
  let client: ClientContext | undefined;
  // Assigned onto the shared part (not spread), so its lazy `db` getter stays a getter.
  const context = Object.assign(createServiceContext(env, config, database), {
    requestId: request.requestId,
  }) as RequestContext;
  return Object.defineProperty(context, "client", {
    get: () => (client ??= request.client()),
    enumerable: true,
  });
}
