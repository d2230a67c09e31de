import { read } from "../../db/batch";
import { auditEventStatement, type NewAuditEvent } from "../../db/repositories/audit.repository";
import { wellFormed } from "../../db/well-formed";
import type { TenantContext } from "./context";

/** What changed, in the caller's words; summaries are scrubbed of secrets before they are stored. */
export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  /** The platform's own act (a rule applied), not the caller's: recorded with actor type `system`. */
  bySystem?: boolean;
}

// Field names that can carry credentials; their values never reach the trail (ASVS 16.2.5).
const SECRET_FIELD = /pass(word)?|secret|token|hash|otp|totp|code|key$/i;

/** A copy of `value` with secret-looking fields replaced by "[redacted]". */
export function redact(value: unknown, depth = 0): unknown {
  // Stored as jsonb, which refuses lone surrogates a JSON body may carry.
  if (typeof value === "string") return wellFormed(value);
  if (value === null || typeof value !== "object" || depth > 5) return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key,
      SECRET_FIELD.test(key) ? "[redacted]" : redact(item, depth + 1),
    ]),
  );
}

/** The row an entry becomes: scrubbed summary, the context's actor (or the system), request id and IP. */
export function eventOf(ctx: TenantContext, entry: AuditEntry): NewAuditEvent {
  const summary: { before?: unknown; after?: unknown } = {};
  if (entry.before) summary.before = redact(entry.before);
  if (entry.after) summary.after = redact(entry.after);
  return {
    tenantId: ctx.tenantId,
    actorType: entry.bySystem ? "system" : ctx.actor.type,
    actorId: entry.bySystem ? null : ctx.actor.id,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId ?? null,
    summary,
    requestId: ctx.requestId,
    ip: ctx.ip,
  };
}

/** An event as the database's own writes take it (finedge_append_audit): snake_case columns. */
export function auditEventJson(event: NewAuditEvent) {
  return {
    actor_type: event.actorType,
    actor_id: event.actorId,
    action: event.action,
    resource_type: event.resourceType,
    resource_id: event.resourceId,
    summary: event.summary,
    request_id: event.requestId,
    ip: event.ip,
  };
}

/** Appends one event alone, in one call over HTTP (the caller's standing riding in it if still to be read). */
export async function recordAudit(ctx: TenantContext, entry: AuditEntry): Promise<void> {
  const event = eventOf(ctx, entry);
  await ctx.read((db) => ({ audit: read(auditEventStatement(db, event)) }));
  ctx.audited += 1;
}
