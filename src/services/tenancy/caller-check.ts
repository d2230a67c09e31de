/**
 * Who must still hold a permission when a write is made, as the database reads it (finedge_caller_holds,
 * migrations/0012): a write checks it inside its own transaction, so a role, membership or key changed
 * since the caller's standing was read cannot slip a write through.
 */
import type { Role } from "../../db/schema";
import type { Actor } from "./access";
import { isTenantWide, PERMISSIONS, type Permission, ROLE_RANK } from "./permissions";

const TENANT_WIDE_ROLES = (Object.keys(ROLE_RANK) as Role[]).filter(isTenantWide);

/** The caller and what it must hold, as finedge_caller_holds takes them. */
export function callerCheck(actor: Actor, permission: Permission) {
  if (actor.type === "api_key")
    return { type: "api_key", id: actor.id, scope: PERMISSIONS[permission].scope };
  const min = ROLE_RANK[PERMISSIONS[permission].minRole];
  const roles = (Object.keys(ROLE_RANK) as Role[]).filter((role) => ROLE_RANK[role] >= min);
  return { type: "user", id: actor.id, tenant_wide: TENANT_WIDE_ROLES, roles };
}
