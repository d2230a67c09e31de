import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { searchSecurityEvents } from "../../services/tenancy/security-events";
import type { SecurityEvent } from "../../services/tenancy/types";
import { pageBody } from "../page";
import type * as routes from "./security-events.routes";

export const toSecurityEventView = (
  row: SecurityEvent,
): z.infer<typeof routes.TenantSecurityEventSchema> => ({
  id: row.id,
  user_id: row.userId,
  type: row.type,
  ip: row.ip,
  user_agent: row.userAgent,
  details: row.details,
  created_at: row.createdAt.toISOString(),
});

export const listSecurityEvents: RouteHandler<typeof routes.listSecurityEvents, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const page = await searchSecurityEvents(tenantOf(c), {
    userId: q.user_id,
    type: q.type,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
    limit: q.limit,
    cursor: q.cursor,
  });
  return c.json(pageBody(page, toSecurityEventView), 200);
};
