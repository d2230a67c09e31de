import { type SQL, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { databaseJson } from "../well-formed";

/** What one user may still issue (see services/tenancy/authority). */
export interface GrantReach {
  tenantRoles: string[];
  organizations: "all" | string[];
  keyScopes: string[] | null;
}

/** A revoked key or invitation, with what the audit trail records of it (no secrets). */
export type RevokedGrant = {
  kind: "api_key" | "invitation";
  id: string;
  summary: Record<string, unknown>;
};

const textArray = (values: readonly string[]): SQL =>
  values.length === 0
    ? sql`array[]::text[]`
    : sql`array[${sql.join(
        values.map((v) => sql`${v}`),
        sql`, `,
      )}]::text[]`;

const uuidArray = (values: readonly string[]): SQL =>
  values.length === 0
    ? sql`array[]::uuid[]`
    : sql`array[${sql.join(
        values.map((v) => sql`${v}::uuid`),
        sql`, `,
      )}]::uuid[]`;

/** Whose grants to revoke beyond what reach, where, and when. */
interface GrantsBeyond {
  tenantId: string;
  issuerId: string;
  reach: GrantReach;
  organizationId: string | null;
  now: Date;
}

/** The revocation as a CTE `revoked` (kind, id, summary), for a statement to select from. */
function revokedGrants(input: GrantsBeyond): SQL {
  const { tenantId, issuerId, reach, organizationId } = input;
  const now = sql`${input.now.toISOString()}::timestamptz`;
  const allOrganizations = reach.organizations === "all";
  const organizations = uuidArray(reach.organizations === "all" ? [] : reach.organizations);
  const keysAllowed = reach.keyScopes !== null;
  const keyWithinReach = sql`(${keysAllowed}::boolean and k.scopes <@ ${textArray(reach.keyScopes ?? [])})`;
  const invitationWithinReach = sql`(case when i.organization_id is null
      then i.role = any(${textArray(reach.tenantRoles)})
      else i.role <> 'tenant_admin' and (${allOrganizations}::boolean or i.organization_id = any(${organizations})) end)`;
  const inKeyPlace = organizationId ? sql`and k.organization_id = ${organizationId}` : sql``;
  const inInvitationPlace = organizationId ? sql`and i.organization_id = ${organizationId}` : sql``;
  return sql`
    with keys as (
      update api_keys k set revoked_at = ${now}
       where k.tenant_id = ${tenantId} and k.created_by = ${issuerId} and k.revoked_at is null
         and (k.expires_at is null or k.expires_at > ${now}) ${inKeyPlace}
         and not ${keyWithinReach}
      returning k.id, k.name, k.prefix, k.scopes, k.organization_id
    ), invites as (
      update invitations i set revoked_at = ${now}
       where i.tenant_id = ${tenantId} and i.invited_by = ${issuerId}
         and i.accepted_at is null and i.revoked_at is null and i.expires_at > ${now} ${inInvitationPlace}
         and not ${invitationWithinReach}
      returning i.id, i.email, i.role, i.organization_id
    ), revoked as (
      select 'api_key' as kind, id::text as id,
             jsonb_build_object('name', name, 'prefix', prefix, 'scopes', scopes, 'organizationId', organization_id) as summary
        from keys
      union all
      select 'invitation', id::text,
             jsonb_build_object('email', email, 'role', role, 'organizationId', organization_id)
        from invites
    )`;
}

/**
 * The revocation as one statement of a batch that also audits each grant it revokes. Set-based: however many
 * there are, one statement; the partial indexes on (tenant, issuer) of live keys and open invitations find
 * them. `event` is the audit event every revocation shares (actor, request, IP; finedge_append_audit's form),
 * completed here with the grant, its summary before and `after`. Returns the revoked grants.
 */
export function revokeGrantsStatement(
  db: Querier,
  input: GrantsBeyond,
  event: Record<string, unknown>,
  after: Record<string, unknown>,
) {
  return db.execute<RevokedGrant>(sql`${revokedGrants(input)}
    select kind, id, summary,
           finedge_append_audit(${input.tenantId}::uuid, ${databaseJson(event)}::jsonb || jsonb_build_object(
             'action', case kind when 'api_key' then 'api_key.revoked' else 'invitation.revoked' end,
             'resource_type', kind, 'resource_id', id,
             'summary', jsonb_build_object('before', summary || '{"revoked": false}'::jsonb,
                                           'after', ${databaseJson(after)}::jsonb))) as audited
      from revoked`);
}
