import { sql } from "drizzle-orm";
import { firstRow, type Read, read, reusable } from "../batch";
import type { HttpDatabase } from "../client";
import type { OrgRole, Role, TenantQuotas } from "../schema";

export type StandingRow = {
  role: Role;
  status: "active" | "disabled" | "expired";
  tenantStatus: "active" | "suspended";
  quotas: TenantQuotas;
  memberships: { organizationId: string; role: OrgRole }[];
};

/**
 * A user's current role, status, tenant status and memberships in one statement: permission checks read
 * these on every request, so a role change or removal applies to the very next one (ASVS 8.3.2). It rides
 * in the batch of the request's own reads where it can, so checking costs no round trip of its own.
 */
export function standing(db: HttpDatabase, userId: string, tenantId: string): Read<StandingRow | undefined> {
  return read(standingStatement(db, { userId, tenantId }), firstRow<StandingRow>());
}
const standingStatement = reusable((db, { userId, tenantId }: { userId: string; tenantId: string }) =>
  db.execute(sql`
      select u.role, u.status, t.status as "tenantStatus", t.quotas,
             coalesce(json_agg(json_build_object('organizationId', m.organization_id, 'role', m.role))
                        filter (where m.organization_id is not null), '[]') as memberships
        from users u
        join tenants t on t.id = u.tenant_id
        left join memberships m on m.user_id = u.id and m.tenant_id = u.tenant_id
       where u.id = ${userId} and u.tenant_id = ${tenantId}
       group by u.id, t.id`),
);
