import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { reportFraud as report } from "../../services/compliance/fraud-reports";
import * as reports from "../../services/compliance/reports";
import { auditEventView } from "../audit/views";
import { pageBody } from "../page";
import type * as routes from "./reports.routes";

const dateOf = (value: string | undefined) => (value === undefined ? undefined : new Date(value));

export const complianceReport: RouteHandler<typeof routes.complianceReport, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const r = await reports.complianceReport(tenantOf(c), { from: dateOf(q.from), to: dateOf(q.to) });
  return c.json(
    {
      from: r.from.toISOString(),
      to: r.to.toISOString(),
      generated_at: r.generatedAt.toISOString(),
      alerts: r.alerts,
      cases: r.cases,
      sars: r.sars,
      ctrs: r.ctrs,
    },
    200,
  );
};

export const complianceAuditLog: RouteHandler<typeof routes.complianceAuditLog, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const page = await reports.complianceAuditLog(tenantOf(c), {
    limit: q.limit,
    cursor: q.cursor,
    action: q.action,
    resourceType: q.resource_type,
    actorId: q.actor_id,
    from: dateOf(q.from),
    to: dateOf(q.to),
  });
  return c.json(pageBody(page, auditEventView), 200);
};

export const reportFraud: RouteHandler<typeof routes.reportFraud, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const received = await report(tenantOf(c), body);
  return c.json(
    { id: received.id, category: received.category, created_at: received.createdAt.toISOString() },
    201,
  );
};
