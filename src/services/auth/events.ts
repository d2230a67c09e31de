import { read } from "../../db/batch";
import type { Querier } from "../../db/client";
import type { NewAuditEvent } from "../../db/repositories/audit.repository";
import { listSecurityEvents, securityEventStatement } from "../../db/repositories/credentials.repository";
import { log } from "../../logger";
import { pageOf, timeCursor } from "../pagination";
import { redact } from "../tenancy/audit";
import type { AuthServices } from "./context";

/** The security events recorded (ASVS 16.3.1): every authentication decision and account-security change. */
export type SecurityEventType =
  | "register"
  | "login_success"
  | "login_failure"
  | "mfa_challenge"
  | "mfa_failure"
  | "account_locked"
  | "new_device"
  | "refresh_token_reuse"
  | "logout"
  | "token_refreshed"
  | "session_revoked"
  | "sessions_revoked"
  | "password_changed"
  | "password_reset"
  | "password_reset_requested"
  | "mfa_enrolment_started"
  | "mfa_enabled"
  | "mfa_disabled"
  | "backup_codes_regenerated"
  | "backup_code_used"
  | "email_verification_requested"
  | "email_verified"
  | "magic_link_requested"
  | "step_up"
  | "email_change_requested"
  | "email_changed"
  | "mfa_reset"
  | "identity_linked"
  | "identity_unlinked";

/**
 * Appends a security event - one call over HTTP, no connection to open - and writes the same as a JSON log
 * line; never includes secrets.
 */
export async function recordSecurityEvent(
  ctx: Pick<AuthServices, "database" | "config" | "requestId" | "client">,
  event: {
    type: SecurityEventType;
    userId?: string | null;
    tenantId?: string | null;
    details?: Record<string, unknown>;
  },
): Promise<void> {
  const { type, userId = null, tenantId = null, details = {} } = event;
  const { client } = ctx;
  await ctx.database.read("platform", (db) => ({
    recorded: read(
      securityEventStatement(db, {
        type,
        userId,
        tenantId,
        ip: client.ip,
        userAgent: client.userAgent?.slice(0, 512) ?? null,
        details,
      }),
    ),
  }));
  logSecurityEvent(ctx, { type, userId, tenantId, details });
}

/** Where a security event came from: the request's address and (bounded) user agent. */
export const eventOrigin = (client: Pick<AuthServices["client"], "ip" | "userAgent">) => ({
  ip: client.ip,
  userAgent: client.userAgent?.slice(0, 512) ?? null,
});

/** A security event of the account's own, for a batch (`securityEventInsert`) and its log line after. */
export const accountEvent = (
  user: { id: string; tenantId: string },
  type: SecurityEventType,
  details: Record<string, unknown> = {},
) => ({ type, userId: user.id, tenantId: user.tenantId, details });

/** A security event as a statement of the caller's own batch, from the request's client; log it once committed. */
export function securityEventInsert(
  db: Querier,
  ctx: Pick<AuthServices, "client">,
  event: { type: SecurityEventType; userId: string; tenantId: string; details?: Record<string, unknown> },
) {
  return securityEventStatement(db, {
    type: event.type,
    userId: event.userId,
    tenantId: event.tenantId,
    ...eventOrigin(ctx.client),
    details: event.details ?? {},
  });
}

/** The log line of a security event, for one the database recorded itself (in the write that caused it). */
export function logSecurityEvent(
  ctx: Pick<AuthServices, "config" | "requestId" | "client">,
  event: {
    type: SecurityEventType;
    userId: string | null;
    tenantId: string | null;
    details: Record<string, unknown>;
  },
): void {
  const { type } = event;
  log(ctx.config.LOG_LEVEL, type.endsWith("failure") || type.includes("reuse") ? "warn" : "info", {
    msg: "security event",
    event: type,
    requestId: ctx.requestId,
    userId: event.userId,
    tenantId: event.tenantId,
    ip: ctx.client.ip,
    ...event.details,
  });
}

/** A page of the user's own security events, newest first; `cursor` is the previous page's position. */
export async function listOwnSecurityEvents(
  ctx: Pick<AuthServices, "database">,
  caller: { userId: string; tenantId: string },
  page: { limit: number; cursor?: string | undefined },
) {
  const before = timeCursor(page.cursor);
  const { rows } = await ctx.database.read({ tenantId: caller.tenantId }, (db) => ({
    rows: read(listSecurityEvents(db, caller.userId, { before, limit: page.limit + 1 })),
  }));
  return pageOf(rows, page.limit, (e) => ({ createdAt: e.createdAt, id: e.id }));
}

type AccountAuditEntry = { action: string; before: Record<string, unknown>; after: Record<string, unknown> };

/**
 * The audit event of a change the user made to their own account (a profile field, the address) - data the
 * tenant's administrators see, so it belongs in the trail beside their own changes, with before and after of
 * the fields changed - for the batch that makes the change.
 */
export function accountAuditEvent(
  user: { id: string; tenantId: string },
  ctx: Pick<AuthServices, "requestId" | "client">,
  entry: AccountAuditEntry,
): NewAuditEvent {
  return {
    tenantId: user.tenantId,
    actorType: "user",
    actorId: user.id,
    action: entry.action,
    resourceType: "user",
    resourceId: user.id,
    summary: { before: redact(entry.before), after: redact(entry.after) },
    requestId: ctx.requestId,
    ip: ctx.client.ip,
  };
}
