import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { type RetentionInForce, readRetention, setRetention as set } from "../../services/privacy/retention";
import type * as routes from "./retention.routes";

const retentionView = (retention: RetentionInForce) => ({
  security_events_days: retention.securityEventsDays,
  audit_events_days: retention.auditEventsDays,
});

export const getRetention: RouteHandler<typeof routes.getRetention, AppEnv> = async (c) =>
  c.json(retentionView(await readRetention(tenantOf(c))), 200);

export const setRetention: RouteHandler<typeof routes.setRetention, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const retention = await set(tenantOf(c), {
    securityEventsDays: body.security_events_days,
    auditEventsDays: body.audit_events_days,
  });
  return c.json(retentionView(retention), 200);
};
