import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { log } from "../logger";
import type { Access } from "../services/tenancy/access";
import { recordAudit } from "../services/tenancy/audit";
import {
  createTenantContext,
  keyAccess,
  type TenantContext,
  type TenantQuotas,
} from "../services/tenancy/context";
import type { Permission } from "../services/tenancy/permissions";
import { enforceRateLimit } from "./rate-limit";

export interface AuthorizeOptions {
  /** Where the organization concerned is named (a path parameter): checked here, 404 or 403. */
  organization?: (c: Context<AppEnv>) => string | undefined;
  /**
   * A read whose handler does its database work in one `tenant.read` batch: a user's standing is read in
   * that batch and checked before its results are used, instead of in a round trip of its own first. Only
   * for safe methods: should the handler not read at all, the standing is read after it and its response
   * replaced by the refusal.
   */
  standingInBatch?: boolean;
}

// The tenants' request quotas as last read, per isolate: a read that checks its caller's standing in its own
// batch counts against the tenant's quota before that batch, so it goes by the quota the isolate last saw
// (the configured default until then).
const knownQuotas = new Map<string, TenantQuotas>();
const rememberQuotas = (tenantId: string, quotas: TenantQuotas) => {
  if (knownQuotas.size >= 10_000 && !knownQuotas.has(tenantId)) knownQuotas.clear();
  knownQuotas.set(tenantId, quotas);
};

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Enforces the permission a route declares, from the caller's current standing in the database (not the
 * token's claims) - read on its own first, or with `standingInBatch` in the handler's one batch - and gives
 * the handler its tenant context. It also keeps the audit promise: a
 * state-changing request that succeeded without recording an event gets a generic one, and the omission
 * is logged as an error.
 */
export function authorize(permission: Permission, options: AuthorizeOptions = {}): MiddlewareHandler<AppEnv> {
  return async function authorize(c, next) {
    const { context } = c.var;
    const principal = context.caller;
    if (!principal) throw new AppError("unauthorized", "Authentication is required.");
    const check = (access: Access) => {
      access.require(permission);
      const organizationId = options.organization?.(c);
      if (organizationId) access.requireIn(permission, organizationId);
    };
    let tenant: TenantContext;
    let quotas: TenantQuotas | undefined;
    if (principal.kind === "api_key") {
      const granted = keyAccess(principal);
      tenant = createTenantContext(context, principal.tenantId, granted.access);
      quotas = granted.quotas;
      check(granted.access);
    } else {
      tenant = createTenantContext(context, principal.tenantId, {
        caller: principal,
        accept: (access, read) => {
          rememberQuotas(principal.tenantId, read);
          quotas = read;
          check(access);
        },
      });
      const deferred = options.standingInBatch && !UNSAFE.has(c.req.method);
      if (deferred) quotas = knownQuotas.get(principal.tenantId);
      else await tenant.checkStanding();
    }
    // The tenant's quota on top of the endpoint's limit: one busy user or key cannot starve its
    // institution's others of the platform, nor one institution the rest.
    await enforceRateLimit(
      c,
      {
        name: "tenant",
        limit: quotas?.requestsPerMinute ?? c.var.config.TENANT_REQUESTS_PER_MINUTE,
        windowSeconds: 60,
        scope: "principal",
        failClosed: false,
      },
      `tenant:${principal.tenantId}`,
    );
    context.tenant = tenant;
    await next();
    // A handler that read nothing in the tenant has not had its caller checked yet: check now, and let a
    // refusal replace whatever it answered (a safe method: it changed nothing).
    if (!tenant.standingChecked) await tenant.checkStanding();

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
