/**
 * How long history is kept: security events (addresses, user agents, places: personal data kept for security
 * only) 90 days, the audit trail (the institution's record of who did what, which regulated records must keep
 * for at least five years - BSA 31 CFR 1010.430, AMLD Art. 40) seven years, unless the tenant chose otherwise
 * within the bounds below. The cron purges what is older once a day, each purge in the tenant's trail.
 */
import { read } from "../../db/batch";
import type { RequestDatabase } from "../../db/client";
import {
  historyPurged,
  retentionChanged,
  retentionOfTenants,
  tenantRetention,
  unownedSecurityEventsPurged,
} from "../../db/repositories/retention.repository";
import type { TenantRetention } from "../../db/schema";
import { AppError } from "../../errors";
import { describeError, type LogLevel, log } from "../../logger";
import { auditEventJson, eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";

const DAY = 86_400_000;

/** The platform's defaults, in days. */
export const RETENTION_DEFAULTS = { securityEventsDays: 90, auditEventsDays: 2557 } as const;

/** What a tenant may choose, in days: security events 30 days to 3 years; the audit trail 5 to 10 years. */
export const RETENTION_BOUNDS = {
  securityEventsDays: { min: 30, max: 1096 },
  auditEventsDays: { min: 1827, max: 3653 },
} as const;

export type RetentionInForce = { securityEventsDays: number; auditEventsDays: number };

/** The settings in force: the tenant's, else the defaults. */
export const retentionInForce = (stored: TenantRetention | undefined): RetentionInForce => ({
  securityEventsDays: stored?.securityEventsDays ?? RETENTION_DEFAULTS.securityEventsDays,
  auditEventsDays: stored?.auditEventsDays ?? RETENTION_DEFAULTS.auditEventsDays,
});

/** The tenant's retention, in one round trip. */
export async function readRetention(ctx: TenantContext): Promise<RetentionInForce> {
  const [row] = await ctx.readOne((db) => tenantRetention(db, ctx.tenantId));
  if (!row) throw new AppError("not_found", "No such tenant.");
  return retentionInForce(row.retention);
}

/** Replaces the tenant's retention (within the bounds, which the contract also holds), audited: one statement. */
export async function setRetention(ctx: TenantContext, wanted: RetentionInForce): Promise<RetentionInForce> {
  for (const [field, { min, max }] of Object.entries(RETENTION_BOUNDS)) {
    const days = wanted[field as keyof RetentionInForce];
    if (!Number.isInteger(days) || days < min || days > max)
      throw new AppError(
        "validation_failed",
        `${field} must be a whole number of days from ${min} to ${max}.`,
      );
  }
  const { summary: _summary, ...audit } = eventOf(ctx, {
    action: "retention.updated",
    resourceType: "tenant",
    resourceId: ctx.tenantId,
  });
  const { changed } = await ctx.write("tenants:update", null, (db) => ({
    changed: read(
      retentionChanged(db, { tenantId: ctx.tenantId, retention: wanted, audit }),
      (raw) => (raw as { rows: Array<{ retention: TenantRetention }> }).rows[0],
    ),
  }));
  if (!changed) throw new AppError("not_found", "No such tenant.");
  ctx.audited += 1;
  return retentionInForce(changed.retention);
}

/** When the cron purges: its first tick after 02:00 UTC (an hour after the monitoring run). */
export const isRetentionTick = (now: Date) => now.getUTCHours() === 2 && now.getUTCMinutes() < 5;

export interface PurgeResult {
  tenants: number;
  auditEvents: number;
  securityEvents: number;
}

/**
 * Purges every tenant's history past its retention as of `now`, each tenant in its own transaction with its
 * audit event, then the security events that belong to no tenant. Never throws: one tenant's failure is logged
 * and the others run.
 */
export async function purgeExpiredHistory(
  database: RequestDatabase,
  now: Date,
  level: LogLevel,
  /** Only these tenants (every one when absent): a test confined to its own. */
  only?: readonly string[],
): Promise<PurgeResult> {
  const result: PurgeResult = { tenants: 0, auditEvents: 0, securityEvents: 0 };
  let rows: Array<{ id: string; retention: TenantRetention }> = [];
  try {
    rows = await retentionOfTenants(database.db, only);
  } catch (error) {
    log(level, "error", { msg: "retention: tenants not read", error: describeError(error) });
    return result;
  }
  for (const { id, retention } of rows) {
    const days = retentionInForce(retention);
    const auditBefore = new Date(now.getTime() - days.auditEventsDays * DAY);
    const securityBefore = new Date(now.getTime() - days.securityEventsDays * DAY);
    const event = auditEventJson({
      tenantId: id,
      actorType: "system",
      actorId: null,
      action: "retention.purged",
      resourceType: "tenant",
      resourceId: id,
      summary: {
        after: { audit_before: auditBefore.toISOString(), security_before: securityBefore.toISOString() },
      },
      requestId: null,
      ip: null,
    });
    try {
      const purged = await database.tenant(id, async (tx) => {
        const raw = await historyPurged(tx, { tenantId: id, auditBefore, securityBefore, event });
        return (
          raw as unknown as { rows: Array<{ result: { audit_events: number; security_events: number } }> }
        ).rows[0]?.result;
      });
      result.tenants += 1;
      result.auditEvents += Number(purged?.audit_events ?? 0);
      result.securityEvents += Number(purged?.security_events ?? 0);
    } catch (error) {
      log(level, "error", { msg: "retention purge failed", tenantId: id, error: describeError(error) });
    }
  }
  if (!only) {
    const before = new Date(now.getTime() - RETENTION_DEFAULTS.securityEventsDays * DAY);
    try {
      const raw = await unownedSecurityEventsPurged(database.db, before);
      result.securityEvents += Number(
        (raw as unknown as { rows: Array<{ result: unknown }> }).rows[0]?.result ?? 0,
      );
    } catch (error) {
      log(level, "error", { msg: "retention purge of unowned events failed", error: describeError(error) });
    }
  }
  return result;
}
