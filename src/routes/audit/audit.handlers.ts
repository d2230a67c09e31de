import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { contextOf } from "../../middleware/request-context";
import {
  auditEventView,
  exportAuditTrail,
  searchAuditTrail,
  verifyAuditTrail,
} from "../../services/tenancy/audit-trail";
import type * as routes from "./audit.routes";

export const listAuditEvents: RouteHandler<typeof routes.listAuditEvents, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const page = await searchAuditTrail(tenantOf(c), {
    actorId: q.actor_id,
    action: q.action,
    resourceType: q.resource_type,
    resourceId: q.resource_id,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
    limit: q.limit,
    cursor: q.cursor,
  });
  return c.json({ items: page.items.map(auditEventView), next_cursor: page.next_cursor }, 200);
};

export const verifyAuditEvents: RouteHandler<typeof routes.verifyAuditEvents, AppEnv> = async (c) => {
  const { checked, firstBreak } = await verifyAuditTrail(tenantOf(c));
  return c.json({ valid: firstBreak === null, checked, first_break: firstBreak }, 200);
};

export const exportAuditEvents: RouteHandler<typeof routes.exportAuditEvents, AppEnv> = async (c) => {
  const { from_seq } = c.req.valid("json");
  const result = await exportAuditTrail(tenantOf(c), contextOf(c).files, from_seq);
  return c.json({ bucket: "FILES", ...result }, 201);
};
