import type { OrgRole, Role } from "../../db/schema";
import { AppError } from "../../errors";
import { isTenantWide, PERMISSIONS, type Permission, ROLE_RANK, roleHolds } from "./permissions";

/** Who acts: a user, or a machine holding an API key. */
export interface Actor {
  type: "user" | "api_key";
  id: string;
}

/** A user's standing as read from the database on this request (never from the token: ASVS 8.3.2). */
export interface UserStanding {
  role: Role;
  memberships: ReadonlyMap<string, OrgRole>;
}

/** An API key's grant. */
export interface KeyGrant {
  scopes: readonly string[];
  /** Set when the key is confined to one organization. */
  organizationId: string | null;
}

/**
 * What the caller may do in its tenant. Denials follow ASVS 8.4.1: an organization the caller cannot see
 * answers 404 exactly as one that does not exist; 403 is kept for what the caller can see but not change.
 */
export class Access {
  private constructor(
    readonly actor: Actor,
    private readonly user: UserStanding | null,
    private readonly key: KeyGrant | null,
  ) {}

  static forUser(userId: string, standing: UserStanding): Access {
    return new Access({ type: "user", id: userId }, standing, null);
  }

  static forKey(keyId: string, grant: KeyGrant): Access {
    return new Access({ type: "api_key", id: keyId }, null, grant);
  }

  /** The user's tenant-level role (null for API keys). */
  get role(): Role | null {
    return this.user?.role ?? null;
  }

  /** Whether the caller can hold `permission` somewhere in the tenant - the route-level check. */
  holds(permission: Permission): boolean {
    const rule = PERMISSIONS[permission];
    if (this.key) {
      if (this.confinedFrom(permission)) return false;
      return rule.scope !== undefined && this.key.scopes.includes(rule.scope);
    }
    if (!this.user) return false;
    if (roleHolds(this.user.role, permission)) return true;
    if (!rule.orgScoped) return false;
    for (const role of this.user.memberships.values()) if (roleHolds(role, permission)) return true;
    return false;
  }

  /** Whether the caller administers the whole tenant (every organization is visible). */
  get tenantWide(): boolean {
    if (this.key) return this.key.organizationId === null;
    return this.user !== null && isTenantWide(this.user.role);
  }

  /** Organizations the caller can see; `all` for tenant-wide callers. */
  visibleOrganizations(): "all" | string[] {
    if (this.tenantWide) return "all";
    if (this.key) return this.key.organizationId ? [this.key.organizationId] : [];
    return [...(this.user?.memberships.keys() ?? [])];
  }

  /** Organizations where the caller holds `permission`; `all` for tenant-wide callers. */
  organizationsHolding(permission: Permission): "all" | string[] {
    const visible = this.visibleOrganizations();
    if (this.tenantWide || visible === "all") return "all";
    return visible.filter((id) => {
      const role = this.roleIn(id);
      return role !== null && roleHolds(role, permission);
    });
  }

  /** Whether an organization is visible to the caller at all. */
  canSee(organizationId: string): boolean {
    const visible = this.visibleOrganizations();
    return visible === "all" || visible.includes(organizationId);
  }

  /** The caller's effective role inside an organization, if it can see it. */
  roleIn(organizationId: string): Role | null {
    if (!this.user) return null;
    if (isTenantWide(this.user.role)) return this.user.role;
    return this.user.memberships.get(organizationId) ?? null;
  }

  /** Object-level check for an organization-scoped permission: 404 if invisible, 403 if too weak. */
  requireIn(permission: Permission, organizationId: string): void {
    if (!this.canSee(organizationId)) throw new AppError("not_found", "No such organization.");
    if (this.key) {
      if (!this.holds(permission)) throw forbidden(permission);
      return;
    }
    const role = this.roleIn(organizationId);
    if (!role || ROLE_RANK[role] < ROLE_RANK[PERMISSIONS[permission].minRole]) throw forbidden(permission);
  }

  /**
   * Whether the caller is a key confined to one organization and `permission`'s routes span the whole
   * tenant (every organization's people or activity): such a key never holds it, whatever its scopes.
   */
  confinedFrom(permission: Permission): boolean {
    return Boolean(this.key?.organizationId) && PERMISSIONS[permission].wholeTenant;
  }

  /** Route-level check. */
  require(permission: Permission): void {
    if (this.confinedFrom(permission)) {
      throw new AppError(
        "forbidden",
        `This API key is confined to one organization; ${permission} covers the whole tenant.`,
      );
    }
    if (!this.holds(permission)) throw forbidden(permission);
  }
}

const forbidden = (permission: Permission) =>
  new AppError("forbidden", `This action needs the ${permission} permission.`);
