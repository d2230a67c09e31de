import { z } from "@hono/zod-openapi";
import { defineRoute, jsonContent } from "../../openapi";
import { ALERT_KINDS, ALERT_STATUSES } from "../../services/compliance/types";
import { PageQuery, pageSchema } from "../page";
import { IdParam } from "../params";
import { secured } from "../secured";

const tags = ["Compliance"];

export const AlertSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(ALERT_KINDS),
    rule: z.string().openapi({ description: "The code of the rule or scenario that raised the alert." }),
    customer_id: z.uuid().nullable(),
    portfolio_id: z.uuid().nullable(),
    transaction_ids: z.array(z.uuid()),
    score: z.number().int().min(0).max(100).nullable(),
    reasons: z.array(z.object({ code: z.string(), detail: z.string() })),
    status: z.enum(ALERT_STATUSES),
    case_id: z.uuid().nullable(),
    created_at: z.iso.datetime().openapi({ description: "When the alert was raised: its detection." }),
    updated_at: z.iso.datetime(),
  })
  .openapi("ComplianceAlert");

export const listAlerts = defineRoute({
  method: "get",
  path: "/api/v1/compliance/alerts",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("cases:read", { standingInBatch: true }),
  summary: "The tenant's compliance alerts, newest first; filter by status, kind or customer.",
  request: {
    query: PageQuery.extend({
      status: z.enum(ALERT_STATUSES).optional(),
      kind: z.enum(ALERT_KINDS).optional(),
      customer_id: z.uuid().optional(),
    }),
  },
  responses: { 200: { description: "A page of alerts.", ...jsonContent(pageSchema(AlertSchema)) } },
});

export const getAlert = defineRoute({
  method: "get",
  path: "/api/v1/compliance/alerts/{id}",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("cases:read", { standingInBatch: true }),
  summary: "One alert.",
  request: { params: IdParam },
  responses: { 200: { description: "The alert.", ...jsonContent(AlertSchema) } },
});
