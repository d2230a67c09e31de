import { eq, inArray, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { auditEvents, type TenantRetention, tenants } from "../schema";
import { databaseJson } from "../well-formed";
import type { NewAuditEvent } from "./audit.repository";

/** The tenant's retention settings (a list of one row, or none). */
export const tenantRetention = (db: Querier, tenantId: string) =>
  db.select({ retention: tenants.retention }).from(tenants).where(eq(tenants.id, tenantId)).limit(1);

/**
 * The tenant's retention replaced, as one statement: the row locked, the settings set, and the audit event
 * appended with the settings before and after. Returns the settings after, none when there is no such tenant.
 */
export function retentionChanged(
  db: Querier,
  input: { tenantId: string; retention: TenantRetention; audit: Omit<NewAuditEvent, "summary"> },
) {
  const { audit } = input;
  return db.execute(sql`
    with before as (
      select id, retention from ${tenants} where id = ${input.tenantId}::uuid for no key update
    ), after as (
      update ${tenants} t set retention = ${databaseJson(input.retention)}::jsonb, updated_at = now()
        from before b where t.id = b.id
      returning t.id, t.retention
    ), audited as (
      insert into ${auditEvents} (tenant_id, actor_type, actor_id, action, resource_type, resource_id, summary,
                                  request_id, ip, seq, prev_hash, hash)
      select a.id, ${audit.actorType}, ${audit.actorId ?? null}::uuid, ${audit.action}, ${audit.resourceType},
             ${audit.resourceId ?? null}, jsonb_build_object('before', b.retention, 'after', a.retention),
             ${audit.requestId ?? null}, ${audit.ip ?? null}::inet, 0, '', ''
        from after a join before b on b.id = a.id
    )
    select retention from after`);
}

/** Every tenant with its retention settings, for the daily purge (platform scope). */
export const retentionOfTenants = (db: Querier, only?: readonly string[]) =>
  db
    .select({ id: tenants.id, retention: tenants.retention })
    .from(tenants)
    .where(only ? inArray(tenants.id, [...only]) : undefined);

/**
 * One tenant's purge (finedge_purge_history, migrations/0025): security events before `securityBefore`, the
 * audit trail's prefix before `auditBefore` ending in a checkpoint, and the purge's own audit event. Must run in
 * the tenant's scope.
 */
export const historyPurged = (
  db: Querier,
  /** `event`: the purge's audit event as finedge_append_audit takes it (snake_case). */
  input: { tenantId: string; auditBefore: Date; securityBefore: Date; event: Record<string, unknown> },
) =>
  db.execute(
    sql`select finedge_purge_history(${databaseJson({
      tenant_id: input.tenantId,
      audit_before: input.auditBefore.toISOString(),
      security_before: input.securityBefore.toISOString(),
      event: input.event,
    })}::jsonb) as result`,
  );

/** Security events of no tenant before `before` deleted (platform scope); returns how many. */
export const unownedSecurityEventsPurged = (db: Querier, before: Date) =>
  db.execute(
    sql`select finedge_purge_unowned_security_events(${before.toISOString()}::timestamptz) as result`,
  );
