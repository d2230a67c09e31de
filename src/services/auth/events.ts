import { insertSecurityEvent, listSecurityEvents } from "../../db/repositories/credentials.repository";
import { log } from "../../logger";
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
  | "session_revoked"
  | "sessions_revoked"
  | "password_changed"
  | "password_reset"
  | "password_reset_requested"
  | "mfa_enabled"
  | "mfa_disabled"
  | "backup_codes_regenerated"
  | "backup_code_used"
  | "email_verified"
  | "magic_link_requested"
  | "step_up"
  | "email_change_requested"
  | "email_changed"
  | "mfa_reset";

/** Appends a security event and writes the same as a JSON log line; never includes secrets. */
export async function recordSecurityEvent(
  ctx: Pick<AuthServices, "db" | "config" | "requestId" | "client">,
  event: {
    type: SecurityEventType;
    userId?: string | null;
    tenantId?: string | null;
    details?: Record<string, unknown>;
  },
): Promise<void> {
  const { type, userId = null, tenantId = null, details = {} } = event;
  const { client } = ctx;
  await insertSecurityEvent(ctx.db, {
    type,
    userId,
    tenantId,
    ip: client.ip,
    userAgent: client.userAgent?.slice(0, 512) ?? null,
    details,
  });
  log(ctx.config.LOG_LEVEL, type.endsWith("failure") || type.includes("reuse") ? "warn" : "info", {
    msg: "security event",
    event: type,
    requestId: ctx.requestId,
    userId,
    tenantId,
    ip: client.ip,
    ...details,
  });
}

/** A page of the user's own security events, newest first, older than `before` when given. */
export function listOwnSecurityEvents(
  ctx: Pick<AuthServices, "db">,
  userId: string,
  page: { limit: number; before?: Date | undefined },
) {
  return listSecurityEvents(ctx.db, userId, page.limit, page.before);
}
