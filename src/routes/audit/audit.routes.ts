import { z } from "@hono/zod-openapi";
import { defineRoute, jsonBody, jsonContent } from "../../openapi";
import { PageQuery, pageSchema } from "../page";
import { secured } from "../secured";

const tags = ["Audit"];

export const AuditEventSchema = z
  .object({
    seq: z.number().int(),
    id: z.uuid(),
    actor_type: z.enum(["user", "api_key", "system"]),
    actor_id: z.uuid().nullable(),
    action: z.string(),
    resource_type: z.string(),
    resource_id: z.string().nullable(),
    summary: z.object({ before: z.unknown().optional(), after: z.unknown().optional() }),
    request_id: z.string().nullable(),
    ip: z.string().nullable(),
    created_at: z.iso.datetime(),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .openapi("AuditEvent");

export const listAuditEvents = defineRoute({
  method: "get",
  path: "/api/v1/audit-events",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("audit:read", { standingInBatch: true }),
  summary: "Search the tenant's audit trail, newest first.",
  request: {
    query: PageQuery.extend({
      actor_id: z.uuid().optional(),
      action: z.string().max(100).optional(),
      resource_type: z.string().max(100).optional(),
      resource_id: z.string().max(200).optional(),
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
    }),
  },
  responses: { 200: { description: "A page of events.", ...jsonContent(pageSchema(AuditEventSchema)) } },
});

export const verifyAuditEvents = defineRoute({
  method: "get",
  path: "/api/v1/audit-events/verify",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("audit:read", { standingInBatch: true }),
  summary: "Walk the hash chain and report the first broken link, if any.",
  responses: {
    200: {
      description: "The verdict.",
      ...jsonContent(
        z.object({
          valid: z.boolean(),
          checked: z.number().int(),
          first_break: z
            .object({
              seq: z.number().int(),
              reason: z.enum(["hash_mismatch", "link_mismatch", "sequence_gap", "head_mismatch"]),
            })
            .nullable(),
          starts_after: z
            .object({
              seq: z.number().int(),
              hash: z.string(),
              purged_before: z.iso.datetime(),
            })
            .nullable()
            .openapi({
              description:
                "Null for a whole trail. After a retention purge, the checkpoint the walk starts from: the last " +
                "purged event's position and hash, which the first event left must follow and link to.",
            }),
        }),
      ),
    },
  },
});

export const exportAuditEvents = defineRoute({
  method: "post",
  path: "/api/v1/audit-events/export",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("audit:export", { standingInBatch: true }),
  summary: "Export the trail (from a sequence number on) as NDJSON to long-term object storage.",
  request: {
    body: jsonBody(
      z.object({ from_seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(1) }).strict(),
    ),
  },
  responses: {
    201: {
      description: "Where the export is.",
      ...jsonContent(
        z.object({
          bucket: z.string(),
          key: z.string(),
          events: z.number().int(),
          first_seq: z.number().int(),
          last_seq: z.number().int(),
          last_hash: z.string(),
          sha256: z.string(),
          next_from_seq: z.number().int().nullable(),
        }),
      ),
    },
  },
});
