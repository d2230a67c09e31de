import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import * as alerts from "../../services/compliance/alerts";
import type { AlertRow } from "../../services/compliance/types";
import { pageBody } from "../page";
import type * as routes from "./alerts.routes";

export const toAlertView = (a: AlertRow): z.infer<typeof routes.AlertSchema> => ({
  id: a.id,
  kind: a.kind,
  rule: a.rule,
  customer_id: a.customerId,
  portfolio_id: a.portfolioId,
  transaction_ids: a.transactionIds,
  score: a.score,
  reasons: a.reasons,
  status: a.status,
  case_id: a.caseId,
  created_at: a.createdAt.toISOString(),
  updated_at: a.updatedAt.toISOString(),
});

export const listAlerts: RouteHandler<typeof routes.listAlerts, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const page = await alerts.listAlerts(tenantOf(c), {
    limit: q.limit,
    cursor: q.cursor,
    status: q.status,
    kind: q.kind,
    customerId: q.customer_id,
  });
  return c.json(pageBody(page, toAlertView), 200);
};

export const getAlert: RouteHandler<typeof routes.getAlert, AppEnv> = async (c) =>
  c.json(toAlertView(await alerts.getAlert(tenantOf(c), c.req.valid("param").id)), 200);
