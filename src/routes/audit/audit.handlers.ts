import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { contextOf } from "../../middleware/request-context";
import { exportAuditTrail, searchAuditTrail, verifyAuditTrail } from "../../services/tenancy/audit-trail";
import { pageBody } from "../page";
import type * as routes from "./audit.routes";
import { auditEventView } from "./views";

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
  return c.json(pageBody(page, auditEventView), 200);
};

export const verifyAuditEvents: RouteHandler<typeof routes.verifyAuditEvents, AppEnv> = async (c) => {
  const { checked, firstBreak, startsAfter } = await verifyAuditTrail(tenantOf(c));
  const starts_after = startsAfter && {
    seq: startsAfter.afterSeq,
    hash: startsAfter.hash,
    purged_before: startsAfter.purgedBefore.toISOString(),
  };
  return c.json({ valid: firstBreak === null, checked, first_break: firstBreak, starts_after }, 200);
};

export const exportAuditEvents: RouteHandler<typeof routes.exportAuditEvents, AppEnv> = async (c) => {
  const { from_seq } = c.req.valid("json");
  const result = await exportAuditTrail(tenantOf(c), contextOf(c).files, from_seq);
  return c.json(
    {
      bucket: "FILES",
      key: result.key,
      events: result.events,
      first_seq: result.firstSeq,
      last_seq: result.lastSeq,
      last_hash: result.lastHash,
      sha256: result.sha256,
      next_from_seq: result.nextFromSeq,
    },
    201,
  );
};
