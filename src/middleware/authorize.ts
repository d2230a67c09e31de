import type { Context, MiddlewareHandler } from "hono";
import { loadStanding } from "../db/repositories/access.repository";
import type { TenantQuotas } from "../db/schema";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { log } from "../logger";
import { Access } from "../services/tenancy/access";
import { recordAudit } from "../services/tenancy/audit";
import type { TenantContext } from "../services/tenancy/context";
import type { Permission } from "../services/tenancy/permissions";
import { enforceRateLimit } from "./rate-limit";
import { clientOf } from "./request-edge";

export interface AuthorizeOptions {
  /** Where the organization concerned is named (a path parameter): checked here, 404 or 403. */
  organization?: (c: Context<AppEnv>) => string | undefined;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Enforces the permission a route declares, from the caller's current standing in the database (not the
 * token's claims), and gives the handler its tenant context. It also keeps the audit promise: a
 * state-changing request that succeeded without recording an event gets a generic one, and the omission
 * is logged as an error.
 */
export function authorize(permission: Permission, options: AuthorizeOptions = {}): MiddlewareHandler<AppEnv> {
  return async function authorize(c, next) {
    const principal = c.var.principal;
    if (!principal) throw new AppError("unauthorized", "Authentication is required.");
    const { database } = c.var;
    let access: Access;
    let quotas: TenantQuotas;
    if (principal.kind === "user") {
      const standing = await loadStanding(database.db, principal.userId, principal.tenantId);
      if (standing?.status !== "active") {
        throw new AppError("unauthorized", "The account is not active.", {
          headers: { "WWW-Authenticate": 'Bearer realm="finedge", error="invalid_token"' },
        });
      }
      if (standing.tenantStatus !== "active") throw new AppError("forbidden", "The tenant is suspended.");
      quotas = standing.quotas;
      access = Access.forUser(principal.userId, {
        role: standing.role,
        memberships: new Map(standing.memberships.map((m) => [m.organizationId, m.role])),
      });
    } else {
      quotas = principal.quotas;
      access = Access.forKey(principal.apiKeyId, {
        scopes: principal.scopes,
        organizationId: principal.organizationId,
      });
    }
    // The tenant's quota on top of the endpoint's limit: one busy user or key cannot starve its
    // institution's others of the platform, nor one institution the rest.
    await enforceRateLimit(
      c,
      {
        name: "tenant",
        limit: quotas.requestsPerMinute ?? c.var.config.TENANT_REQUESTS_PER_MINUTE,
        windowSeconds: 60,
        scope: "principal",
        failClosed: false,
      },
      `tenant:${principal.tenantId}`,
    );
    access.require(permission);
    const organizationId = options.organization?.(c);
    if (organizationId) access.requireIn(permission, organizationId);

    const base = {
      access,
      actor: access.actor,
      requestId: c.var.requestId,
      ip: clientOf(c).ip,
      now: () => new Date(),
      db: database.db,
    };
    const counter = { audited: 0 };
    const contextFor = (tenantId: string): TenantContext => ({
      ...base,
      tenantId,
      transaction: (work) => database.tenant(tenantId, work),
      inTenant: contextFor,
      // One count per request, whichever tenant the events land in.
      get audited() {
        return counter.audited;
      },
      set audited(value: number) {
        counter.audited = value;
      },
    });
    const context = contextFor(principal.tenantId);
    c.set("tenant", context);
    await next();

    if (UNSAFE.has(c.req.method) && c.res.status < 300 && context.audited === 0) {
      log(c.var.config.LOG_LEVEL, "error", {
        msg: "state change without an audit event; recording a generic one",
        requestId: c.var.requestId,
        method: c.req.method,
        route: c.req.routePath,
      });
      await context.transaction((tx) =>
        recordAudit(tx, context, {
          action: `${c.req.method} ${c.req.routePath}`,
          resourceType: "request",
          resourceId: null,
        }),
      );
    }
  };
}

/** The tenant context of a route behind `authorize`. */
export function tenantOf(c: Context<AppEnv>): TenantContext {
  const context = c.var.tenant;
  if (!context) throw new AppError("unauthorized", "Authentication is required.");
  return context;
}
