import type { Database, Transaction } from "../../db/client";
import { loadStanding } from "../../db/repositories/access.repository";
import type { TenantQuotas } from "../../db/schema";
import { AppError } from "../../errors";
import type { Caller, RequestContext } from "../context";
import { Access, type Actor } from "./access";

/** Everything a tenant-scoped service needs, passed in explicitly (services never see the Hono context). */
export interface TenantContext {
  tenantId: string;
  access: Access;
  actor: Actor;
  requestId: string;
  ip: string | null;
  now: () => Date;
  /** Platform-scoped handle, for the few lookups that precede or span tenants. */
  db: Database;
  /** Runs `work` in a transaction confined to this tenant by row-level security. */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
  /**
   * The same caller acting in another tenant - for platform operators only: the caller must have checked
   * `tenants:manage` first. Audit events then land in that tenant's trail.
   */
  inTenant(tenantId: string): TenantContext;
  /** Audit events appended through this context and those `inTenant` derived from it (see middleware/authorize). */
  audited: number;
}

/** What of the request a tenant context is made from. */
export type TenantContextSource = Pick<RequestContext, "requestId" | "client" | "now" | "database">;

/**
 * The one way a tenant context is made: for the authorized caller (middleware/authorize) and for an
 * invitee accepting an invitation (who has no token yet). Contexts derived with `inTenant` share one audit
 * count, so a request's events are counted whichever tenant they land in.
 */
export function createTenantContext(
  request: TenantContextSource,
  tenantId: string,
  access: Access,
): TenantContext {
  const { database } = request;
  const counter = { audited: 0 };
  const contextFor = (id: string): TenantContext => ({
    tenantId: id,
    access,
    actor: access.actor,
    requestId: request.requestId,
    ip: request.client.ip,
    now: request.now,
    get db() {
      return database.db;
    },
    transaction: (work) => database.tenant(id, work),
    inTenant: contextFor,
    get audited() {
      return counter.audited;
    },
    set audited(value: number) {
      counter.audited = value;
    },
  });
  return contextFor(tenantId);
}

/**
 * What the caller may do in its tenant, and the tenant's quotas: a user's standing is read from the
 * database on every request (never from the token's claims), an API key's grant came with the key.
 */
export async function standingOf(
  request: Pick<RequestContext, "db">,
  caller: Caller,
): Promise<{ access: Access; quotas: TenantQuotas }> {
  if (caller.kind === "api_key") {
    return {
      access: Access.forKey(caller.apiKeyId, {
        scopes: caller.scopes,
        organizationId: caller.organizationId,
      }),
      quotas: caller.quotas,
    };
  }
  const standing = await loadStanding(request.db, caller.userId, caller.tenantId);
  if (standing?.status !== "active") {
    throw new AppError("unauthorized", "The account is not active.", {
      headers: { "WWW-Authenticate": 'Bearer realm="finedge", error="invalid_token"' },
    });
  }
  if (standing.tenantStatus !== "active") throw new AppError("forbidden", "The tenant is suspended.");
  return {
    access: Access.forUser(caller.userId, {
      role: standing.role,
      memberships: new Map(standing.memberships.map((m) => [m.organizationId, m.role])),
    }),
    quotas: standing.quotas,
  };
}
