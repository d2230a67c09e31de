import { eq, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { auditEvents, type TenantQuotas, tenants } from "../schema";
import { databaseJson } from "../well-formed";
import type { NewAuditEvent } from "./audit.repository";
import { keyset, type TimePosition } from "./keyset";

export type TenantRow = typeof tenants.$inferSelect;

const page = keyset(tenants.createdAt, tenants.id);

/**
 * Every tenant, newest first, keyed by (created_at, id). The one cross-tenant read: it runs on the platform
 * scope, and only platform operators (`tenants:manage`) reach it.
 */
export function listAllTenants(db: Querier, options: { before?: TimePosition | undefined; limit: number }) {
  return db
    .select()
    .from(tenants)
    .where(page.before(options.before))
    .orderBy(...page.order)
    .limit(options.limit);
}

/** The tenant with this id (a list of one row, or none). */
export const tenantRow = (db: Querier, id: string) =>
  db.select().from(tenants).where(eq(tenants.id, id)).limit(1);

/** A tenant inserted with a chosen id, as a statement of a batch scoped to it (so row-level security admits it). */
export const tenantInserted = (db: Querier, values: { id: string; name: string; quotas: TenantQuotas }) =>
  db.insert(tenants).values(values).returning();

/**
 * A tenant's change as one statement: the row locked, its name and status set when given, its quotas merged
 * (`set` keys replaced, `remove` keys back to the platform default), and the audit event appended with the
 * row's summary before and after - the chain trigger links it like any other. Returns the row after the
 * change, none when there is no such tenant.
 */
export function tenantChanged(
  db: Querier,
  input: {
    id: string;
    name: string | undefined;
    status: "active" | "suspended" | undefined;
    quotas: { set: Record<string, number>; remove: string[] } | undefined;
    audit: Omit<NewAuditEvent, "summary">;
  },
) {
  const { audit } = input;
  const quotas = input.quotas
    ? sql`(select coalesce(jsonb_object_agg(key, value), '{}'::jsonb)
             from jsonb_each(t.quotas || ${databaseJson(input.quotas.set)}::jsonb)
            where key not in (select jsonb_array_elements_text(${databaseJson(input.quotas.remove)}::jsonb)))`
    : sql`t.quotas`;
  const summary = (
    row: string,
  ) => sql`jsonb_build_object('name', ${sql.raw(row)}.name, 'status', ${sql.raw(row)}.status,
    'quotas', ${sql.raw(row)}.quotas)`;
  return db.execute(sql`
    with before as (
      select id, name, status, quotas from ${tenants} where id = ${input.id}::uuid for no key update
    ), after as (
      update ${tenants} t
         set name = coalesce(${input.name ?? null}, t.name), status = coalesce(${input.status ?? null}, t.status),
             quotas = ${quotas}, updated_at = now()
        from before b
       where t.id = b.id
      returning t.*
    ), audited as (
      insert into ${auditEvents} (tenant_id, actor_type, actor_id, action, resource_type, resource_id, summary,
                                  request_id, ip, seq, prev_hash, hash)
      select a.id, ${audit.actorType}, ${audit.actorId ?? null}::uuid, ${audit.action}, ${audit.resourceType},
             ${audit.resourceId ?? null}, jsonb_build_object('before', ${summary("b")}, 'after', ${summary("a")}),
             ${audit.requestId ?? null}, ${audit.ip ?? null}::inet, 0, '', ''
        from after a join before b on b.id = a.id
    )
    select id, name, quotas, status, created_at as "createdAt", updated_at as "updatedAt" from after`);
}
