import type { RouteHandler, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import { requireSealing } from "../../services/crypto/secrets-at-rest";
import { Dec } from "../../services/money/decimal";
import * as ctrExports from "../../services/money-checks/ctr-exports";
import * as ctrs from "../../services/money-checks/ctrs";
import { runMonitoring as runMonitoringOver } from "../../services/money-checks/monitoring-run";
import { pageBody } from "../page";
import type * as routes from "./ctrs.routes";
import type * as monitoringRoutes from "./monitoring.routes";

const ctrView =
  (today: string) =>
  (row: ctrs.CtrRow): z.infer<typeof routes.CtrSchema> => ({
    id: row.id,
    customer_id: row.customerId,
    business_day: row.businessDay,
    direction: row.direction,
    currency: row.currency,
    total: new Dec(row.total).toFixed(2),
    transaction_ids: row.transactionIds,
    source: row.source,
    status: row.status,
    due_on: row.dueOn,
    overdue: row.status === "open" && row.dueOn < today,
    note: row.note,
    filed_at: row.filedAt?.toISOString() ?? null,
    filed_by: row.filedBy,
    filing_reference: row.filingReference,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  });

const viewOf = (c: Context<AppEnv>) => ctrView(c.get("context").now().toISOString().slice(0, 10));

export const listCtrs: RouteHandler<typeof routes.listCtrs, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const page = await ctrs.listCtrs(tenantOf(c), {
    limit: q.limit,
    cursor: q.cursor,
    status: q.status,
    customerId: q.customer_id,
  });
  return c.json(pageBody(page, viewOf(c)), 200);
};

export const getCtr: RouteHandler<typeof routes.getCtr, AppEnv> = async (c) =>
  c.json(viewOf(c)(await ctrs.getCtr(tenantOf(c), c.req.valid("param").id)), 200);

export const exportCtr: RouteHandler<typeof routes.exportCtr, AppEnv> = async (c) => {
  const keys = requireSealing(await c.get("context").secretsAtRest());
  const exported = await ctrExports.exportCtr(tenantOf(c), keys, c.req.valid("param").id);
  if (c.req.valid("query").format === "csv") {
    return c.body(ctrExports.ctrCsv(exported), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="ctr-${exported.ctr.id}.csv"`,
    });
  }
  const { ctr, subject } = exported;
  const total = new Dec(ctr.total).toFixed(2);
  return c.json(
    {
      ctr: viewOf(c)(ctr),
      filing_institution: exported.institution,
      subject: {
        type: subject.kind === "person" ? ("individual" as const) : ("entity" as const),
        name: subject.name,
        date_of_birth_or_incorporation: subject.dateOfBirth,
        identification: subject.identification,
        address: subject.address
          ? {
              line1: subject.address.line1,
              city: subject.address.city,
              state: subject.address.region,
              zip: subject.address.postalCode,
              country: subject.address.country,
            }
          : null,
        email: subject.email,
        phone: subject.phone,
      },
      cash_in_total: ctr.direction === "in" ? total : null,
      cash_out_total: ctr.direction === "out" ? total : null,
    },
    200,
  );
};

export const createCtr: RouteHandler<typeof routes.createCtr, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const row = await ctrs.createCtr(tenantOf(c), {
    customerId: body.customer_id,
    businessDay: body.business_day,
    direction: body.direction,
    currency: body.currency,
    total: body.total,
    transactionIds: body.transaction_ids,
    note: body.note ?? null,
  });
  return c.json(viewOf(c)(row), 201);
};

export const fileCtr: RouteHandler<typeof routes.fileCtr, AppEnv> = async (c) => {
  const row = await ctrs.fileCtr(tenantOf(c), c.req.valid("param").id, c.req.valid("json").filing_reference);
  return c.json(viewOf(c)(row), 200);
};

export const runMonitoring: RouteHandler<typeof monitoringRoutes.runMonitoring, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const ctx = tenantOf(c);
  const to = body.to ? new Date(body.to) : ctx.now();
  const from = new Date(to.getTime() - body.days * 86_400_000);
  const result = await runMonitoringOver(ctx, { from, to });
  return c.json(
    {
      from: result.from.toISOString(),
      to: result.to.toISOString(),
      movements: result.movements,
      hits: result.hits.map((hit) => ({
        scenario: hit.scenario,
        customer_id: hit.customerId,
        transaction_ids: hit.transactionIds,
        amount: new Dec(hit.amount).toFixed(2),
        reasons: hit.reasons,
        at: hit.at.toISOString(),
        alert_id: hit.alertId,
      })),
    },
    200,
  );
};
