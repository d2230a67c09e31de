import { z } from "@hono/zod-openapi";
import { defineRoute, jsonContent } from "../../openapi";
import { PageQuery, pageSchema } from "../page";
import { secured } from "../secured";

const tags = ["Audit"];

export const TenantSecurityEventSchema = z
  .object({
    id: z.uuid(),
    user_id: z.uuid().nullable(),
    type: z.string(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    created_at: z.iso.datetime(),
  })
  .openapi("TenantSecurityEvent");

export const listSecurityEvents = defineRoute({
  method: "get",
  path: "/api/v1/security-events",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("audit:read", { standingInBatch: true }),
  summary: "The tenant's authentication and account-security events, newest first.",
  request: {
    query: PageQuery.extend({
      user_id: z.uuid().optional(),
      type: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,63}$/)
        .optional()
        .openapi({ description: "An event type, such as `login_failure`.", example: "login_failure" }),
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
    }),
  },
  responses: {
    200: { description: "A page of events.", ...jsonContent(pageSchema(TenantSecurityEventSchema)) },
  },
});
