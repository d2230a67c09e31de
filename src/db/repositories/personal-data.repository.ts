/**
 * A user's personal data, read for an export (each statement bounded, all in one batch), and its erasure
 * (finedge_erase_user, migrations/0025). Statements run in the user's tenant scope.
 */
import { and, asc, count, desc, eq, isNull, or, sql } from "drizzle-orm";
import type { Querier } from "../client";
import {
  apiKeys,
  auditEvents,
  complianceCases,
  knownDevices,
  memberships,
  organizations,
  securityEvents,
  sessions,
  users,
} from "../schema";
import { databaseJson } from "../well-formed";

/** The most rows of one kind an export holds (a year of daily sign-ins is far below it). */
export const EXPORT_ROW_LIMIT = 10_000;

/** The user of the tenant (a list of one row, or none). */
export const personalProfile = (db: Querier, tenantId: string, userId: string) =>
  db
    .select({
      id: users.id,
      email: users.email,
      emailVerifiedAt: users.emailVerifiedAt,
      displayName: users.displayName,
      role: users.role,
      status: users.status,
      passwordChangedAt: users.passwordChangedAt,
      totpEnabledAt: users.totpEnabledAt,
      createdAt: users.createdAt,
      updatedAt: users.updatedAt,
    })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.id, userId)))
    .limit(1);

/** Every personal record of the user, as statements of one batch (keyed like the export's sections). */
export const personalRecords = (db: Querier, tenantId: string, userId: string) => ({
  sessions: db
    .select({
      id: sessions.id,
      userAgent: sessions.userAgent,
      ip: sessions.ip,
      country: sessions.country,
      city: sessions.city,
      asn: sessions.asn,
      createdAt: sessions.createdAt,
      lastUsedAt: sessions.lastUsedAt,
      revokedAt: sessions.revokedAt,
      revokedReason: sessions.revokedReason,
    })
    .from(sessions)
    .where(and(eq(sessions.tenantId, tenantId), eq(sessions.userId, userId)))
    .orderBy(desc(sessions.createdAt))
    .limit(EXPORT_ROW_LIMIT),
  devices: db
    .select({ firstSeenAt: knownDevices.firstSeenAt, lastSeenAt: knownDevices.lastSeenAt })
    .from(knownDevices)
    .where(eq(knownDevices.userId, userId))
    .orderBy(asc(knownDevices.firstSeenAt))
    .limit(EXPORT_ROW_LIMIT),
  securityEvents: db
    .select({
      type: securityEvents.type,
      ip: securityEvents.ip,
      userAgent: securityEvents.userAgent,
      details: securityEvents.details,
      createdAt: securityEvents.createdAt,
    })
    .from(securityEvents)
    .where(eq(securityEvents.userId, userId))
    .orderBy(desc(securityEvents.createdAt))
    .limit(EXPORT_ROW_LIMIT),
  memberships: db
    .select({
      organizationId: memberships.organizationId,
      organizationName: organizations.name,
      role: memberships.role,
      createdAt: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, userId))),
  apiKeys: db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      scopes: apiKeys.scopes,
      createdAt: apiKeys.createdAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.createdBy, userId)))
    .limit(EXPORT_ROW_LIMIT),
  auditEvents: db
    .select({
      seq: auditEvents.seq,
      actorType: auditEvents.actorType,
      actorId: auditEvents.actorId,
      action: auditEvents.action,
      resourceType: auditEvents.resourceType,
      resourceId: auditEvents.resourceId,
      summary: auditEvents.summary,
      ip: auditEvents.ip,
      createdAt: auditEvents.createdAt,
    })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.tenantId, tenantId),
        or(eq(auditEvents.actorId, userId), eq(auditEvents.resourceId, userId)),
      ),
    )
    .orderBy(desc(auditEvents.seq))
    .limit(EXPORT_ROW_LIMIT),
});

/** How many open compliance cases the user is assigned to: records the law keeps them answerable for. */
export const openCasesAssigned = (db: Querier, tenantId: string, userId: string) =>
  db
    .select({ n: count() })
    .from(complianceCases)
    .where(
      and(
        eq(complianceCases.tenantId, tenantId),
        eq(complianceCases.assigneeId, userId),
        isNull(complianceCases.closedAt),
      ),
    );

/** The erasure, in the tenant's scope; `event` as finedge_append_audit takes it (snake_case). */
export const userErased = (
  db: Querier,
  input: { tenantId: string; userId: string; now: Date; event: Record<string, unknown> },
) =>
  db.execute(
    sql`select finedge_erase_user(${databaseJson({
      tenant_id: input.tenantId,
      user_id: input.userId,
      now: input.now.toISOString(),
      event: input.event,
    })}::jsonb) as result`,
  );
