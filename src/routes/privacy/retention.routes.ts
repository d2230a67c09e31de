import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent } from "../../openapi";
import { RETENTION_BOUNDS } from "../../services/privacy/retention";
import { secured } from "../secured";

const tags = ["Privacy"];
const { securityEventsDays, auditEventsDays } = RETENTION_BOUNDS;

export const RetentionSchema = z
  .object({
    security_events_days: z.number().int(),
    audit_events_days: z.number().int(),
  })
  .openapi("Retention");

export const getRetention = defineRoute({
  method: "get",
  path: "/api/v1/retention",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("tenants:read", { standingInBatch: true }),
  summary: "How long the tenant keeps security events and audit events, in days.",
  responses: { 200: { description: "The settings in force.", ...jsonContent(RetentionSchema) } },
});

export const setRetention = defineRoute({
  method: "put",
  path: "/api/v1/retention",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("tenants:update"),
  summary: "Set how long the tenant keeps security events and audit events, within the platform's bounds.",
  request: {
    body: jsonBody(
      z
        .object({
          security_events_days: z.number().int().min(securityEventsDays.min).max(securityEventsDays.max),
          audit_events_days: z.number().int().min(auditEventsDays.min).max(auditEventsDays.max),
        })
        .strict(),
    ),
  },
  responses: { 200: { description: "The settings now in force.", ...jsonContent(RetentionSchema) } },
});
