import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { log } from "../logger";
import { recordAudit } from "../services/tenancy/audit";
import { createTenantContext, standingOf, type TenantContext } from "../services/tenancy/context";
import type { Permission } from "../services/tenancy/permissions";
import { enforceRateLimit } from "./rate-limit";

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
    const { context } = c.var;
    const principal = context.caller;
    if (!principal) throw new AppError("unauthorized", "Authentication is required.");
    const { access, quotas } = await standingOf(context, principal);
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

    const tenant = createTenantContext(context, principal.tenantId, access);
    context.tenant = tenant;
    await next();

    if (UNSAFE.has(c.req.method) && c.res.status < 300 && tenant.audited === 0) {
      log(c.var.config.LOG_LEVEL, "error", {
        msg: "state change without an audit event; recording a generic one",
        requestId: c.var.requestId,
        method: c.req.method,
        route: c.req.routePath,
      });
      await tenant.transaction((tx) =>
        recordAudit(tx, tenant, {
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
  const tenant = c.var.context.tenant;
  if (!tenant) throw new AppError("unauthorized", "Authentication is required.");
  return tenant;
}
