import type { Context, MiddlewareHandler, Next } from "hono";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { log } from "../logger";
import type { Access } from "../services/tenancy/access";
import { keyCaller, learnKey } from "../services/tenancy/api-keys";
import { recordAudit } from "../services/tenancy/audit";
import {
  accessFromStanding,
  createTenantContext,
  keyAccess,
  type TenantContext,
  type TenantQuotas,
} from "../services/tenancy/context";
import { consultTenant, giveBackTaken, learnStanding } from "../services/tenancy/edge-standing";
import type { Permission } from "../services/tenancy/permissions";
import { keyRefused } from "./authenticate";
import { rejudgeTenantQuota, rememberQuotas } from "./rate-limit";

export interface AuthorizeOptions {
  /** Where the organization concerned is named (a path parameter): checked here, 404 or 403. */
  organization?: (c: Context<AppEnv>) => string | undefined;
  /**
   * A route whose handler's first database work is a `tenant.read` batch: a user's standing is read in that
   * batch and checked before its results are used, instead of in a round trip of its own first (a
   * `tenant.transaction` checks it first too). Should the handler not touch the database at all, the standing
   * is read after it and its response replaced by the refusal - so a route that changes anything elsewhere
   * (R2, a queue) before its first read must not take this option.
   */
  standingInBatch?: boolean;
  /**
   * A route answered at the edge (with `standingInBatch`): what to ask the tenant's authority - the model the
   * request names and the inference rows it takes - sent alongside the caller's own checks. When the user's
   * session authority and the tenant's authority both hold copies of the standing, it is checked here without
   * the database; what they miss is read in the handler's first batch and given back to them.
   */
  atEdge?: (c: Context<AppEnv>) => { model?: string | undefined; rows?: number | undefined };
}

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
    const context = c.get("context");
    try {
      await authorizeThen(c, next);
    } catch (error) {
      giveBackTaken(context);
      throw error;
    }
    // Rows of the day's quota taken for a request that failed are given back.
    if (c.res.status >= 400) giveBackTaken(context);
  };

  async function authorizeThen(c: Context<AppEnv>, next: Next) {
    const context = c.get("context");
    const pendingKey = context.pendingKey;
    const tenantId = context.caller?.tenantId ?? pendingKey?.tenantId;
    if (!tenantId) throw new AppError("unauthorized", "Authentication is required.");
    const check = (access: Access) => {
      access.require(permission);
      const organizationId = options.organization?.(c);
      if (organizationId) access.requireIn(permission, organizationId);
    };
    const consulting =
      options.atEdge || pendingKey
        ? consultTenant(context, tenantId, { ...options.atEdge?.(c), key: pendingKey?.hash })
        : undefined;
    // The caller's own checks went out before validation (`authenticate`'s atEdge); they decide first.
    await Promise.all([context.admission, consulting]);
    const consultation = await consulting;
    context.consultation = consultation;
    if (pendingKey?.resolved) {
      // Read from the database in `authenticate`: the tenant's authority is given it for next time.
      if (consultation && !consultation.key)
        learnKey(context, consultation.generation, pendingKey.hash, pendingKey.resolved);
    } else if (pendingKey) {
      const caller = await keyCaller(context, pendingKey, consultation);
      if (!caller) throw keyRefused();
      context.caller = caller;
      // The tenant's count is judged by the quota that came with the key.
      rememberQuotas(tenantId, caller.quotas);
      rejudgeTenantQuota(c, caller.quotas);
    }
    const principal = context.caller;
    if (!principal) throw new AppError("unauthorized", "Authentication is required.");
    let tenant: TenantContext;
    const accept = (access: Access, quotas: TenantQuotas) => {
      rememberQuotas(principal.tenantId, quotas);
      rejudgeTenantQuota(c, quotas);
      check(access);
    };
    if (principal.kind === "api_key") {
      const granted = keyAccess(principal);
      tenant = createTenantContext(context, principal.tenantId, granted.access);
      check(granted.access);
    } else if (principal.edge?.standing && consultation?.tenant) {
      // Both halves of the standing are held at the edge: no database work to check it.
      const { access, quotas } = accessFromStanding(principal, {
        ...principal.edge.standing,
        tenantStatus: consultation.tenant.status,
        quotas: consultation.tenant.quotas,
      });
      accept(access, quotas);
      tenant = createTenantContext(context, principal.tenantId, access);
    } else {
      const edge = principal.edge;
      tenant = createTenantContext(context, principal.tenantId, {
        caller: principal,
        accept: (access, quotas, row) => {
          // A standing read because the session authority held no copy is given to it, after the response.
          if (edge && !edge.standing && row) learnStanding(context, principal, edge.generation, row);
          accept(access, quotas);
        },
      });
      if (!options.standingInBatch) await tenant.checkStanding();
    }
    context.tenant = tenant;
    await next();
    // A handler that read nothing in the tenant has not had its caller checked yet: check now, and let a
    // refusal replace whatever it answered (a safe method: it changed nothing).
    if (!tenant.standingChecked) await tenant.checkStanding();

    if (UNSAFE.has(c.req.method) && c.res.status < 300 && tenant.audited === 0) {
      log(c.get("config").LOG_LEVEL, "error", {
        msg: "state change without an audit event; recording a generic one",
        requestId: c.get("requestId"),
        method: c.req.method,
        route: c.req.routePath,
      });
      await recordAudit(tenant, {
        action: `${c.req.method} ${c.req.routePath}`,
        resourceType: "request",
        resourceId: null,
      });
    }
  }
}

/** The tenant context of a route behind `authorize`. */
export function tenantOf(c: Context<AppEnv>): TenantContext {
  const tenant = c.get("context").tenant;
  if (!tenant) throw new AppError("unauthorized", "Authentication is required.");
  return tenant;
}
