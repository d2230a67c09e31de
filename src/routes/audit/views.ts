import type { z } from "@hono/zod-openapi";
import type { AuditEvent } from "../../services/tenancy/types";
import type { AuditEventSchema } from "./audit.routes";

/** An audit event as the API shows it. */
export const auditEventView = (event: AuditEvent): z.infer<typeof AuditEventSchema> => ({
  seq: event.seq,
  id: event.id,
  actor_type: event.actorType,
  actor_id: event.actorId,
  action: event.action,
  resource_type: event.resourceType,
  resource_id: event.resourceId,
  summary: event.summary,
  request_id: event.requestId,
  ip: event.ip,
  created_at: event.createdAt.toISOString(),
  prev_hash: event.prevHash,
  hash: event.hash,
});
