import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { apiKeys, tenants } from "../schema";
import { keyset, type TimePosition } from "./keyset";

export type ApiKeyRow = typeof apiKeys.$inferSelect;

const page = keyset(apiKeys.createdAt, apiKeys.id);

/**
 * The key with this secret hash, with its tenant's status. Platform scope: a key names its tenant, so the
 * lookup necessarily precedes tenant scoping.
 */
export function apiKeyByHash(db: Querier, secretHash: string) {
  return db
    .select({ key: apiKeys, tenantStatus: tenants.status, quotas: tenants.quotas })
    .from(apiKeys)
    .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(eq(apiKeys.secretHash, secretHash))
    .limit(1);
}

/** Records use at most once a minute per key, so a busy key does not write on every request. */
export function touchApiKey(db: Querier, id: string, now: Date) {
  return db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(
      and(
        eq(apiKeys.id, id),
        or(
          isNull(apiKeys.lastUsedAt),
          lt(apiKeys.lastUsedAt, sql`${now.toISOString()}::timestamptz - interval '1 minute'`),
        ),
      ),
    );
}

/** The tenant's keys, newest first, keyed by (created_at, id) for cursor pagination. */
export function listApiKeys(
  tx: Querier,
  tenantId: string,
  options: { limit: number; before?: TimePosition | undefined; includeRevoked: boolean },
) {
  const conditions = [eq(apiKeys.tenantId, tenantId), page.before(options.before)];
  if (!options.includeRevoked) conditions.push(isNull(apiKeys.revokedAt));
  return tx
    .select()
    .from(apiKeys)
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(options.limit);
}

/**
 * Revokes a live key - failing its batch with `no_key` when there is none to revoke - then appends its audit
 * event (JSON, as finedge_append_audit takes it) with the key's name and prefix: two statements of one batch.
 */
export function revokeApiKeyStatements(db: Querier, tenantId: string, id: string, at: Date, event: string) {
  const key = and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, id));
  return [
    db.execute(sql`
      with revoked as (
        update ${apiKeys} set revoked_at = ${at.toISOString()}::timestamptz where ${key} and ${isNull(apiKeys.revokedAt)}
        returning id)
      select finedge_require(exists (select 1 from revoked), 'no_key')`),
    db.execute(sql`
      select finedge_append_audit(${tenantId}::uuid, ${event}::jsonb || jsonb_build_object('summary',
               jsonb_build_object('before', jsonb_build_object('name', name, 'prefix', prefix, 'revoked', false),
                                  'after', jsonb_build_object('revoked', true))))
        from ${apiKeys} where ${key}`),
  ] as const;
}
