import type { RouteHandler } from "@hono/zod-openapi";
import type { AuditEventRow } from "../../db/repositories/audit.repository";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { exportAuditTrail, searchAuditTrail, verifyAuditTrail } from "../../services/tenancy/audit-trail";
import type * as routes from "./audit.routes";

const toView = (row: AuditEventRow) => ({
  seq: row.seq,
  id: row.id,
  actor_type: row.actorType,
  actor_id: row.actorId,
  action: row.action,
  resource_type: row.resourceType,
  resource_id: row.resourceId,
  summary: row.summary,
  request_id: row.requestId,
  ip: row.ip,
  created_at: row.createdAt.toISOString(),
  prev_hash: row.prevHash,
  hash: row.hash,
});

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
  return c.json({ items: page.items.map(toView), next_cursor: page.next_cursor }, 200);
};

export const verifyAuditEvents: RouteHandler<typeof routes.verifyAuditEvents, AppEnv> = async (c) => {
  const { checked, firstBreak } = await verifyAuditTrail(tenantOf(c));
  return c.json({ valid: firstBreak === null, checked, first_break: firstBreak }, 200);
};

export const exportAuditEvents: RouteHandler<typeof routes.exportAuditEvents, AppEnv> = async (c) => {
  const { from_seq } = c.req.valid("json");
  const result = await exportAuditTrail(tenantOf(c), c.env.FILES, from_seq);
  return c.json({ bucket: "FILES", ...result }, 201);
};
