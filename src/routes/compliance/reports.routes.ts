import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent } from "../../openapi";
import { FRAUD_CATEGORIES } from "../../services/compliance/fraud-reports";
import { COMPLIANCE_RESOURCE_TYPES, REPORT_MAX_DAYS } from "../../services/compliance/reports";
import { AuditEventSchema } from "../audit/audit.routes";
import { text } from "../fields";
import { PageQuery, pageSchema } from "../page";
import { secured } from "../secured";

const tags = ["Compliance"];

const Ageing = z
  .object({ age_0_7: z.number().int(), age_8_30: z.number().int(), age_over_30: z.number().int() })
  .openapi("ComplianceAgeing", { description: "What is still open at the report's time, by days waiting." });

export const ComplianceReportSchema = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    generated_at: z.iso.datetime(),
    alerts: z.object({
      raised: z.number().int(),
      raised_by_kind: z.record(z.string(), z.number().int()),
      open: z.number().int(),
      open_without_case: z.number().int(),
      open_ageing: Ageing,
    }),
    cases: z.object({
      opened: z.number().int(),
      closed_no_action: z.number().int(),
      closed_sar_filed: z.number().int(),
      open: z.number().int(),
      overdue: z.number().int(),
      open_ageing: Ageing,
    }),
    sars: z.object({
      drafted: z.number().int(),
      approved: z.number().int(),
      filed: z.number().int(),
      filed_late: z.number().int(),
      unfiled: z.number().int(),
      unfiled_overdue: z.number().int(),
      unfiled_ageing: Ageing,
    }),
    ctrs: z
      .object({
        created: z.number().int(),
        automatic: z.number().int(),
        filed: z.number().int(),
        filed_late: z.number().int(),
        open: z.number().int(),
        open_overdue: z.number().int(),
        open_ageing: Ageing,
      })
      .openapi({
        description: "Currency transaction reports: made, filed (late: after the deadline) and still open.",
      }),
  })
  .openapi("ComplianceReport");

const Instant = z.iso.datetime({ offset: true });

export const complianceReport = defineRoute({
  method: "get",
  path: "/api/v1/compliance/reports",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("compliance:oversight", { standingInBatch: true }),
  summary: `Counts of alerts, cases and SARs raised, opened, closed and filed in [from, to) (default the last 30 days; at most ${REPORT_MAX_DAYS}), and the ageing of what is still open.`,
  request: { query: z.object({ from: Instant.optional(), to: Instant.optional() }) },
  responses: { 200: { description: "The report.", ...jsonContent(ComplianceReportSchema) } },
});

export const complianceAuditLog = defineRoute({
  method: "get",
  path: "/api/v1/compliance/audit-logs",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("compliance:oversight", { standingInBatch: true }),
  summary:
    "The audit trail of the compliance domain (cases, SARs, fraud reports, customers), newest first, for examiners; filter by action, resource type, actor and time.",
  request: {
    query: PageQuery.extend({
      action: z.string().max(100).optional(),
      resource_type: z.enum(COMPLIANCE_RESOURCE_TYPES).optional(),
      actor_id: z.uuid().optional(),
      from: Instant.optional(),
      to: Instant.optional(),
    }),
  },
  responses: {
    200: { description: "A page of audit events.", ...jsonContent(pageSchema(AuditEventSchema)) },
  },
});

export const reportFraud = defineRoute({
  method: "post",
  path: "/api/v1/security/report-fraud",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("fraud:report", { standingInBatch: true }),
  summary:
    "Report suspected fraud on a portfolio, transaction or customer one can see: it raises an alert and opens a case for the compliance team. The reporter gains no access to cases.",
  request: {
    body: jsonBody(
      z
        .object({
          subject: z
            .object({ type: z.enum(["portfolio", "transaction", "customer"]), id: z.uuid() })
            .strict(),
          category: z.enum(FRAUD_CATEGORIES),
          description: text(5_000),
        })
        .strict(),
    ),
  },
  responses: {
    201: {
      description: "The report, received.",
      ...jsonContent(
        z
          .object({ id: z.uuid(), category: z.enum(FRAUD_CATEGORIES), created_at: z.iso.datetime() })
          .openapi("FraudReport"),
      ),
    },
    404: { description: "No such portfolio, transaction or customer (or not visible to the caller)." },
  },
});
