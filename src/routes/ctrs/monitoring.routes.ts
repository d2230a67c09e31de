import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent, problems } from "../../openapi";
import { SCENARIOS } from "../../services/money-checks/monitoring";
import { Instant } from "../decimal";
import { secured } from "../secured";

export const runMonitoring = defineRoute({
  method: "post",
  path: "/api/v1/compliance/monitoring/runs",
  "x-rate-limit": "tenant_api",
  tags: ["Compliance"],
  ...secured("monitoring:run"),
  summary:
    "Run the monitoring scenarios (structuring, rapid in and out, round amounts, dormant then active, fan in then out) over the `days` (1-31) up to `to` of customers' settled cash movements; each hit ending in the window is raised as an alert, once.",
  request: {
    body: jsonBody(
      z
        .object({
          to: Instant.optional().openapi({
            description: "The window's end, not in the future; now if omitted.",
          }),
          days: z.number().int().min(1).max(31).default(1).openapi({
            description:
              "The window's length in days, up to `to` (the scenarios look back 30 days before it).",
          }),
        })
        .strict(),
    ),
  },
  responses: {
    200: {
      description: "What the run found.",
      ...jsonContent(
        z
          .object({
            from: z.iso.datetime(),
            to: z.iso.datetime(),
            movements: z
              .number()
              .int()
              .openapi({ description: "Cash movements read, the look-back included." }),
            hits: z.array(
              z.object({
                scenario: z.enum(SCENARIOS),
                customer_id: z.uuid(),
                transaction_ids: z.array(z.uuid()),
                amount: z.string(),
                reasons: z.array(z.object({ code: z.string(), detail: z.string() })),
                at: z.iso.datetime(),
                alert_id: z
                  .uuid()
                  .nullable()
                  .openapi({ description: "null: an earlier run raised it already." }),
              }),
            ),
          })
          .openapi("MonitoringRun"),
      ),
    },
    422: problems[422],
  },
});
