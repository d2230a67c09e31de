import { sql } from "drizzle-orm";
import { read } from "../../db/batch";
import type { HttpDatabase } from "../../db/client";
import { clearedSecondFactor } from "../../db/repositories/credentials.repository";
import {
  backupCodesReplaced,
  pendingTotpSecret,
  totpEnabled,
} from "../../db/repositories/second-factor.repository";
import type { UserRow } from "../../db/repositories/users.repository";
import { meetingRequirements, requirement } from "../../db/requirements";
import { AppError } from "../../errors";
import { queuedNotice } from "../email/outbox";
import { currentUser } from "./account";
import type { AuthServices } from "./context";
import { accountEvent, logSecurityEvent, securityEventInsert } from "./events";
import { withCode } from "./factor-claims";
import { generateBackupCodes } from "./secrets";
import { requireStepUp, type StepUpCaller } from "./step-up-rule";
import { backupCodeHash, sealTotpSecret } from "./stored-factors";
import { generateTotpSecret, totpKeyUri, totpQrSvg } from "./totp";

const ISSUER = "FinEdge";

const isOn = () => new AppError("conflict", "Two-factor authentication is already on.");
const isOff = () => new AppError("conflict", "Two-factor authentication is off.");

/** Ten new backup codes, and the hashes they are stored as. */
async function newBackupCodes(ctx: AuthServices, userId: string) {
  const codes = generateBackupCodes(10);
  const secrets = await ctx.secretsAtRest();
  return { codes, hashes: await Promise.all(codes.map((c) => backupCodeHash(secrets, userId, c))) };
}

/** The e-mail telling the owner 2FA went on or off, queued in the change's batch and sent after the answer. */
const notice = (ctx: AuthServices, user: UserRow, template: "mfa_enabled" | "mfa_disabled") =>
  queuedNotice(ctx, user, template, { at: ctx.now() });

/** Aborts the batch unless the user's 2FA is still on. */
const stillOn = (db: HttpDatabase, userId: string) =>
  requirement(
    db,
    sql`exists (select 1 from users where id = ${userId}::uuid and totp_enabled_at is not null)`,
    "two_factor_off",
  );

/** A started enrolment: the new secret, its otpauth:// URI and that URI as an SVG QR code. */
export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
  qrSvg: string;
}

/**
 * Starts enrolment: a new secret (not yet active), its otpauth:// URI and a QR code. Needs a fresh
 * step-up, so a stolen access token alone cannot enrol its holder's authenticator.
 */
export async function beginTotpEnrolment(ctx: AuthServices, caller: StepUpCaller): Promise<TotpEnrolment> {
  const user = await currentUser(ctx, caller.userId);
  if (user.totpEnabledAt) throw isOn();
  requireStepUp(caller, ctx.now(), user);
  const secret = generateTotpSecret();
  const sealed = await sealTotpSecret(await ctx.secretsAtRest(), user.id, secret);
  const event = accountEvent(user, "mfa_enrolment_started");
  await ctx.database.read("platform", (db) => ({
    secret: read(pendingTotpSecret(db, user.id, sealed)),
    event: read(securityEventInsert(db, ctx, event)),
  }));
  logSecurityEvent(ctx, event);
  const uri = totpKeyUri({ secret, accountName: user.email, issuer: ISSUER });
  return { secret, otpauthUri: uri, qrSvg: totpQrSvg(uri) };
}

/**
 * Confirms enrolment with a first code (fresh step-up required); returns 10 backup codes, shown once.
 * From then on a step-up must be made with the second factor: the other sessions' password step-ups are
 * forgotten, and this session's counts as a TOTP one, since it has just proven the new secret.
 */
export async function confirmTotpEnrolment(ctx: AuthServices, caller: StepUpCaller, code: string) {
  const user = await currentUser(ctx, caller.userId);
  if (user.totpEnabledAt) throw isOn();
  const pending = user.totpSecret;
  if (!pending) throw new AppError("conflict", "Start enrolment first (POST /api/v1/auth/2fa/enable).");
  requireStepUp(caller, ctx.now(), user);
  const { codes, hashes } = await newBackupCodes(ctx, user.id);
  const email = await notice(ctx, user, "mfa_enabled");
  const event = accountEvent(user, "mfa_enabled");
  const now = ctx.now();
  // The code is claimed, 2FA turned on (with the secret just proven), the codes stored, the event and the
  // notice written: one batch. Enabled or enrolled again meanwhile, it is refused whole.
  await withCode(ctx, user, { code, accepts: "totp", path: "2fa/verify" }, (claim) =>
    meetingRequirements(
      { stale: () => new AppError("conflict", "Two-factor authentication changed meanwhile; start again.") },
      () =>
        ctx.database.read("platform", (db) => ({
          ...(claim ? { claim: read(claim(db)) } : {}),
          enabled: read(totpEnabled(db, user.id, pending, now)),
          codes: read(backupCodesReplaced(db, user.id, hashes)),
          event: read(securityEventInsert(db, ctx, event)),
          email: read(email.statement(db)),
        })),
    ),
  );
  logSecurityEvent(ctx, event);
  await ctx
    .sessionAuthority(user.id)
    .clearStepUps(caller.sessionId, caller.stepUp && { ...caller.stepUp, factor: "totp" });
  ctx.database.afterResponse(() => email.deliver(ctx.database));
  return codes;
}

/**
 * Turns 2FA off; needs a fresh step-up with the second factor. A code given as well (TOTP or backup) must
 * be valid: a wrong one counts towards the lockout.
 */
export async function disableTotp(ctx: AuthServices, caller: StepUpCaller, code: string | undefined) {
  const user = await currentUser(ctx, caller.userId);
  if (!user.totpEnabledAt) throw isOff();
  requireStepUp(caller, ctx.now(), user);
  const email = await notice(ctx, user, "mfa_disabled");
  const event = accountEvent(user, "mfa_disabled");
  await withCode(ctx, user, { code, accepts: "either", path: "2fa/disable" }, (claim) =>
    meetingRequirements({ two_factor_off: isOff }, () =>
      ctx.database.read("platform", (db) => ({
        ...(claim ? { claim: read(claim(db)) } : {}),
        // Still on: the secret and every backup code go with it.
        cleared: read(clearedSecondFactor(db, user.tenantId, user.id, "two_factor_off")),
        event: read(securityEventInsert(db, ctx, event)),
        email: read(email.statement(db)),
      })),
    ),
  );
  logSecurityEvent(ctx, event);
  ctx.database.afterResponse(() => email.deliver(ctx.database));
}

/**
 * Replaces the backup codes; needs a fresh step-up with the second factor. A TOTP code given as well must
 * be valid: a wrong one counts towards the lockout.
 */
export async function regenerateBackupCodes(
  ctx: AuthServices,
  caller: StepUpCaller,
  code: string | undefined,
) {
  const user = await currentUser(ctx, caller.userId);
  if (!user.totpEnabledAt) throw isOff();
  requireStepUp(caller, ctx.now(), user);
  const { codes, hashes } = await newBackupCodes(ctx, user.id);
  const event = accountEvent(user, "backup_codes_regenerated");
  await withCode(ctx, user, { code, accepts: "totp", path: "2fa/backup-codes" }, (claim) =>
    meetingRequirements({ two_factor_off: isOff }, () =>
      ctx.database.read("platform", (db) => ({
        ...(claim ? { claim: read(claim(db)) } : {}),
        on: read(stillOn(db, user.id)),
        codes: read(backupCodesReplaced(db, user.id, hashes)),
        event: read(securityEventInsert(db, ctx, event)),
      })),
    ),
  );
  logSecurityEvent(ctx, event);
  return codes;
}
