import { read } from "../../db/batch";
import type { RequestDatabase } from "../../db/client";
import {
  type ApiKeyRow,
  apiKeyByHash,
  listApiKeys,
  revokeApiKeyStatements,
  touchApiKey,
} from "../../db/repositories/api-keys.repository";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import { organizationRequirement } from "../../db/repositories/organizations.repository";
import { meetingRequirements } from "../../db/requirements";
import type { TenantQuotas } from "../../db/schema";
import { apiKeys } from "../../db/schema";
import { databaseJson } from "../../db/well-formed";
import type { Consultation, KeyFacts } from "../../durable-objects/tenant-authority";
import { AppError } from "../../errors";
import { describeError, log } from "../../logger";
import { generateOpaqueToken, hashToken } from "../auth/secrets";
import type { ApiKeyCaller, RequestContext } from "../context";
import { pageOf, timeCursor } from "../pagination";
import { auditEventJson, eventOf } from "./audit";
import type { TenantContext } from "./context";
import { EDGE_COPY_SECONDS } from "./edge-standing";
import type { ApiKeyScope } from "./permissions";

/** Every key starts with this, so a leaked key is recognisable to secret scanners and to people. */
export const API_KEY_PREFIX = "fek_";
/** `fek_` and 43 base64url characters (256 random bits). */
export const API_KEY_PATTERN = /^fek_[A-Za-z0-9_-]{43}$/;
/** How much of the key listings show. */
const SHOWN_LENGTH = API_KEY_PREFIX.length + 8;

/** A new key: the secret (shown once), its listing prefix and the hash that is stored. */
export async function generateApiKey(): Promise<{ secret: string; prefix: string; secretHash: string }> {
  const secret = `${API_KEY_PREFIX}${generateOpaqueToken(32)}`;
  return { secret, prefix: secret.slice(0, SHOWN_LENGTH), secretHash: await hashToken(secret) };
}

/**
 * The live key for a presented secret, or null: unknown, revoked, expired, or its tenant suspended. A
 * SHA-256 lookup suffices - keys carry 256 random bits, so there is nothing to slow-hash against guessing.
 * Revocation is read from the database on every request, so it takes effect at once.
 */
export async function resolveApiKey(
  database: RequestDatabase,
  secretHash: string,
  now: Date,
): Promise<{ key: ApiKeyRow; quotas: TenantQuotas } | null> {
  const { found } = await database.read("platform", (db) => ({
    found: read(apiKeyByHash(db, secretHash), (rows) => rows[0]),
  }));
  if (found?.tenantStatus !== "active") return null;
  const { key } = found;
  if (key.revokedAt || (key.expiresAt && key.expiresAt <= now)) return null;
  // The last use is recorded after the response, so it costs the caller no round trip.
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > 60_000) {
    database.afterResponse(async () => {
      await database.read("platform", (db) => ({ touched: read(touchApiKey(db, key.id, now)) }));
    });
  }
  keyTenants.set(secretHash, key.tenantId);
  return { key, quotas: found.quotas };
}

/**
 * Which tenant a key (by its secret's hash) belongs to, as this isolate has seen: a key never changes tenant,
 * so this is safe to keep; whether the key is still live is always asked (its tenant's authority, or the
 * database). Bounded: cleared when full.
 */
const keyTenants = new Map<string, string>();
const MAX_KNOWN_KEYS = 10_000;

/** The tenant of a key this isolate has resolved before, if any. */
export function knownKeyTenant(secretHash: string): string | undefined {
  return keyTenants.get(secretHash);
}

/** A key's secret hash (SHA-256, hex): how keys are looked up. */
export const keyHashOf = (secret: string) => {
  if (keyTenants.size >= MAX_KNOWN_KEYS) keyTenants.clear();
  return hashToken(secret);
};

/** A live key as its tenant's authority keeps it. */
export const keyFactsOf = (key: ApiKeyRow): KeyFacts => ({
  id: key.id,
  scopes: [...key.scopes],
  organizationId: key.organizationId,
  expiresAt: key.expiresAt?.getTime() ?? null,
});

/**
 * The caller a key stands for, from its tenant's authority's copy (no database work) when it holds one -
 * null when the key is expired or its tenant suspended - or else resolved from the database and given to
 * the authority after the response. Its last use is recorded at most once a minute, after the response.
 */
export async function keyCaller(
  context: Pick<RequestContext, "database" | "now" | "tenantAuthority" | "config">,
  pending: { hash: string; tenantId: string },
  consultation: Consultation | undefined,
): Promise<ApiKeyCaller | null> {
  const now = context.now();
  const held = consultation?.key;
  if (held && consultation.tenant) {
    if (consultation.tenant.status !== "active") return null;
    if (held.expiresAt !== null && held.expiresAt <= now.getTime()) return null;
    if (consultation.keyUseDue) {
      context.database.afterResponse(async () => {
        await context.database.read("platform", (db) => ({ touched: read(touchApiKey(db, held.id, now)) }));
      });
    }
    return callerOf(pending.tenantId, held, consultation.tenant.quotas);
  }
  const resolved = await resolveApiKey(context.database, pending.hash, now);
  if (!resolved || resolved.key.tenantId !== pending.tenantId) return null;
  if (consultation) learnKey(context, consultation.generation, pending.hash, resolved);
  return callerOf(pending.tenantId, keyFactsOf(resolved.key), resolved.quotas);
}

/** Gives a key read from the database to its tenant's authority, after the response. */
export function learnKey(
  context: Pick<RequestContext, "database" | "now" | "tenantAuthority" | "config">,
  generation: number,
  hash: string,
  { key, quotas }: { key: ApiKeyRow; quotas: TenantQuotas },
): void {
  const nowSeconds = Math.floor(context.now().getTime() / 1000);
  const until = nowSeconds + EDGE_COPY_SECONDS;
  context.database.afterResponse(async () => {
    try {
      // Resolving it recorded its use now, or less than a minute ago; a key resolves only in an active tenant.
      await context
        .tenantAuthority(key.tenantId)
        .learnKey(generation, hash, keyFactsOf(key), { status: "active", quotas }, until, nowSeconds);
    } catch (error) {
      log(context.config.LOG_LEVEL, "warn", {
        msg: "API key not kept at the edge",
        error: describeError(error),
      });
    }
  });
}

const callerOf = (tenantId: string, key: KeyFacts, quotas: TenantQuotas): ApiKeyCaller => ({
  kind: "api_key",
  tenantId,
  apiKeyId: key.id,
  scopes: key.scopes,
  organizationId: key.organizationId,
  quotas,
});

/** What a new key is for. */
export interface NewApiKey {
  name: string;
  scopes: ApiKeyScope[];
  organizationId: string | null;
  expiresAt: Date | null;
}

/**
 * Creates a key; the secret is returned once and never stored. One batch: the caller's right, the
 * organization it is confined to, the key and its audit event.
 */
export async function createApiKey(ctx: TenantContext, input: NewApiKey) {
  if (input.expiresAt && input.expiresAt <= ctx.now()) {
    throw validation("/expires_at", "The expiry must be in the future.");
  }
  const { secret, prefix, secretHash } = await generateApiKey();
  const { tenantId } = ctx;
  const id = crypto.randomUUID();
  const scopes = [...new Set(input.scopes)];
  const event = eventOf(ctx, {
    action: "api_key.created",
    resourceType: "api_key",
    resourceId: id,
    after: { name: input.name, prefix, scopes, organizationId: input.organizationId },
  });
  const organizationId = input.organizationId;
  const noOrganization = () => validation("/organization_id", "No such organization.");
  const written = await meetingRequirements({ no_organization: noOrganization }, () =>
    ctx.write("api_keys:manage", null, (db) => ({
      ...(organizationId
        ? { organization: read(organizationRequirement(db, tenantId, organizationId, "no_organization")) }
        : {}),
      key: read(
        db
          .insert(apiKeys)
          .values({
            id,
            tenantId,
            organizationId,
            name: input.name,
            prefix,
            secretHash,
            scopes,
            createdBy: ctx.actor.type === "user" ? ctx.actor.id : null,
            expiresAt: input.expiresAt,
          })
          .returning(),
        (rows) => rows[0],
      ),
      audit: read(auditEventStatement(db, event)),
    })),
  );
  if (!written.key) throw new Error("api key insert returned nothing");
  ctx.audited += 1;
  return { key: written.key, secret };
}

/** The tenant's keys, newest first. */
export async function listTenantApiKeys(
  ctx: TenantContext,
  options: { limit: number; cursor: string | undefined; includeRevoked: boolean },
) {
  const rows = await ctx.readOne((db) =>
    listApiKeys(db, ctx.tenantId, {
      limit: options.limit + 1,
      before: timeCursor(options.cursor),
      includeRevoked: options.includeRevoked,
    }),
  );
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

/** Revokes a key: the next request that presents it is refused. One batch, audited with the key's name. */
export async function revokeTenantApiKey(ctx: TenantContext, id: string): Promise<void> {
  const event = eventOf(ctx, { action: "api_key.revoked", resourceType: "api_key", resourceId: id });
  const noKey = () => new AppError("not_found", "No such API key.");
  await meetingRequirements({ no_key: noKey }, () =>
    ctx.write("api_keys:manage", null, (db) => {
      const json = databaseJson(auditEventJson(event));
      const [revoke, audit] = revokeApiKeyStatements(db, ctx.tenantId, id, ctx.now(), json);
      return { revoke: read(revoke), audit: read(audit) };
    }),
  );
  ctx.audited += 1;
}

const validation = (pointer: string, message: string) =>
  new AppError("validation_failed", message, {
    errors: [{ location: "body", pointer, message, code: "invalid" }],
  });
