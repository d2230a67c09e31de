/**
 * Personal data off (GDPR Art. 17): a user's personal data deleted or removed everywhere it is stored, in one
 * transaction (finedge_erase_user, migrations/0025), while what the law makes the institution keep stays,
 * pseudonymised: the account remains as a tombstone id that names nobody, so the ledger, cases, SARs and the
 * audit trail keep their references, and the trail still verifies (its chain covers a digest of each event's
 * content, which stays). A user erases themselves (after a step-up, typing their address), or a tenant admin
 * a member on a data-subject request. Refused (409 `legal_hold`) while the user is assigned an open compliance
 * case, and for the tenant's last active admin. Every session ends at once. Two round trips: the read (the
 * caller's standing in it), the erasure.
 */
import { jsonResult, read } from "../../db/batch";
import {
  openCasesAssigned,
  personalProfile,
  userErased,
} from "../../db/repositories/personal-data.repository";
import { activeTenantAdmins } from "../../db/repositories/tenant-users.repository";
import { AppError } from "../../errors";
import { describeError, log } from "../../logger";
import type { RequestContext } from "../context";
import { auditEventJson, eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { type OutboxRow, outboxStatement, tellAuthorities } from "../tenancy/edge-standing";
import { exportPrefix } from "./export";

export interface ErasureRequest {
  userId: string;
  /** The account's address, typed by whoever asks: an erasure is never made on a guessed or stale id. */
  confirmEmail: string;
  /** The data-subject request's reference, when an admin erases a member. */
  reference: string | null;
  /** Throws unless the caller re-authenticated lately; judged once the user is found (another tenant's is 404). */
  requireStepUp: () => void;
}

type Outcome =
  | { outcome: "done"; redacted: number; security_events: number; sessions: unknown[] }
  | { outcome: "not_found" | "erased" }
  | { outcome: "legal_hold"; cases: number };

const legalHold = (cases: number) =>
  new AppError(
    "legal_hold",
    `The user is assigned ${cases} open compliance case(s): their records are kept while the case is open. Reassign or close the case first.`,
  );

/** Erases the user's personal data; returns how many audit events lost their content. */
export async function eraseUser(ctx: TenantContext, request: RequestContext, wanted: ErasureRequest) {
  const self = ctx.actor.type === "user" && ctx.actor.id === wanted.userId;
  const permission = self ? "personal_data:own" : "personal_data:manage";
  const found = await ctx.read((db) => ({
    profile: read(personalProfile(db, ctx.tenantId, wanted.userId)),
    cases: read(openCasesAssigned(db, ctx.tenantId, wanted.userId)),
    admins: read(activeTenantAdmins(db, ctx.tenantId)),
  }));
  const [user] = found.profile;
  if (!user) throw new AppError("not_found", "No such user.");
  wanted.requireStepUp();
  if (user.status === "erased")
    throw new AppError("conflict", "This account's personal data was already erased.");
  if (user.role === "super_admin" && ctx.access.role !== "super_admin")
    throw new AppError("forbidden", "Only a super admin may erase a super admin.");
  if (user.email !== wanted.confirmEmail.trim().toLowerCase())
    throw new AppError("conflict", "confirm_email is not the account's e-mail address: nothing was erased.");
  const cases = Number(found.cases[0]?.n ?? 0);
  if (cases > 0) throw legalHold(cases);
  const otherAdmins = found.admins.filter((admin) => admin.id !== user.id).length;
  if (user.role === "tenant_admin" && user.status === "active" && otherAdmins === 0)
    throw new AppError(
      "conflict",
      "The tenant's last active admin cannot be erased; appoint another admin first.",
    );

  const now = ctx.now();
  const event = eventOf(ctx, {
    action: "user.erased",
    resourceType: "user",
    resourceId: user.id,
    after: { by: self ? "self" : "tenant_admin", reference: wanted.reference },
  });
  // The erased user's address in their own request's trail would be personal data again.
  const audit = auditEventJson({ ...event, ip: null });
  const written = await ctx.write(permission, null, (db) => ({
    erased: read(
      userErased(db, { tenantId: ctx.tenantId, userId: user.id, now, event: audit }),
      jsonResult<Outcome>(),
    ),
    outbox: read(outboxStatement(db, ctx.tenantId)),
  }));
  const result = written.erased;
  if (result.outcome === "legal_hold") throw legalHold(result.cases);
  if (result.outcome !== "done") throw new AppError("conflict", "The account changed meanwhile; retry.");
  ctx.audited += 1;
  // Every token of the user is refused from the next request on; the edge forgets the standing and the keys.
  await request.sessionAuthority(user.id).revokeAll(Math.floor(now.getTime() / 1000));
  await tellAuthorities(request, { outboxRows: written.outbox as OutboxRow[] });
  await removeExports(request, ctx.tenantId, user.id);
  return {
    redacted: result.redacted,
    securityEvents: result.security_events,
    sessions: result.sessions.length,
  };
}

/** Deletes the user's exports from R2 (a failure is logged: the links expire in minutes regardless). */
async function removeExports(request: RequestContext, tenantId: string, userId: string) {
  try {
    const listed = await request.files.list({ prefix: exportPrefix(tenantId, userId) });
    if (listed.objects.length > 0) await request.files.delete(listed.objects.map((object) => object.key));
  } catch (error) {
    log(request.config.LOG_LEVEL, "error", {
      msg: "personal exports not removed",
      requestId: request.requestId,
      error: describeError(error),
    });
  }
}
