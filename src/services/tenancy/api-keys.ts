import { read } from "../../db/batch";
import type { RequestDatabase } from "../../db/client";
import {
  type ApiKeyRow,
  apiKeyByHash,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  touchApiKey,
} from "../../db/repositories/api-keys.repository";
import { findOrganization } from "../../db/repositories/organizations.repository";
import type { TenantQuotas } from "../../db/schema";
import { AppError } from "../../errors";
import { generateOpaqueToken, hashToken } from "../auth/secrets";
import { pageOf, timeCursor } from "../pagination";
import { recordAudit } from "./audit";
import type { TenantContext } from "./context";
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
  secret: string,
  now: Date,
): Promise<{ key: ApiKeyRow; quotas: TenantQuotas } | null> {
  const secretHash = await hashToken(secret);
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
  return { key, quotas: found.quotas };
}

/** What a new key is for. */
export interface NewApiKey {
  name: string;
  scopes: ApiKeyScope[];
  organizationId: string | null;
  expiresAt: Date | null;
}

/** Creates a key; the secret is returned once and never stored. */
export async function createApiKey(ctx: TenantContext, input: NewApiKey) {
  if (input.expiresAt && input.expiresAt <= ctx.now()) {
    throw validation("/expires_at", "The expiry must be in the future.");
  }
  const { secret, prefix, secretHash } = await generateApiKey();
  const key = await ctx.transaction(async (tx) => {
    if (input.organizationId && !(await findOrganization(tx, ctx.tenantId, input.organizationId))) {
      throw validation("/organization_id", "No such organization.");
    }
    const row = await insertApiKey(tx, {
      tenantId: ctx.tenantId,
      organizationId: input.organizationId,
      name: input.name,
      prefix,
      secretHash,
      scopes: [...new Set(input.scopes)],
      createdBy: ctx.actor.type === "user" ? ctx.actor.id : null,
      expiresAt: input.expiresAt,
    });
    await recordAudit(tx, ctx, {
      action: "api_key.created",
      resourceType: "api_key",
      resourceId: row.id,
      after: { name: row.name, prefix: row.prefix, scopes: row.scopes, organizationId: row.organizationId },
    });
    return row;
  });
  return { key, secret };
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

/** Revokes a key: the next request that presents it is refused. */
export async function revokeTenantApiKey(ctx: TenantContext, id: string): Promise<void> {
  await ctx.transaction(async (tx) => {
    const row = await revokeApiKey(tx, ctx.tenantId, id, ctx.now());
    if (!row) throw new AppError("not_found", "No such API key.");
    await recordAudit(tx, ctx, {
      action: "api_key.revoked",
      resourceType: "api_key",
      resourceId: row.id,
      before: { name: row.name, prefix: row.prefix, revoked: false },
      after: { revoked: true },
    });
  });
}

const validation = (pointer: string, message: string) =>
  new AppError("validation_failed", message, {
    errors: [{ location: "body", pointer, message, code: "invalid" }],
  });
