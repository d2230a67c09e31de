import { type Reads, read } from "../../db/batch";
import type { HttpDatabase } from "../../db/client";
import { deviceSeenStatement } from "../../db/repositories/credentials.repository";
import { ssoRequiredFor } from "../../db/repositories/federation.repository";
import {
  CHALLENGE_SPENT,
  challengeSpend,
  challengeStatement,
  openChallenge,
} from "../../db/repositories/second-factor.repository";
import { sessionStatements } from "../../db/repositories/sessions.repository";
import { passwordRehash, type UserRow, userByEmail, userById } from "../../db/repositories/users.repository";
import { meetingRequirements } from "../../db/requirements";
import { knownDevices, securityEvents } from "../../db/schema";
import { AppError } from "../../errors";
import { afterResponse } from "../after-response";
import { queuedNotice } from "../email/outbox";
import type { AuthServices } from "./context";
import { describeDevice } from "./devices";
import { logSecurityEvent, securityEventInsert } from "./events";
import { withCode } from "./factor-claims";
import { issueMfaToken, verifyMfaToken } from "./jwt";
import { failAttempt, lockoutKey, refuseIfLocked } from "./lockout";
import { hashingOf, hashPassword, verifyPassword } from "./passwords";
import { hashToken } from "./secrets";
import { firstPair, openingSession, type TokenPair } from "./sessions";
import { maySignIn } from "./unverified";

/** The second-factor challenge: a short-lived, single-use, typed token and the factors that answer it. */
export interface MfaChallenge {
  mfaRequired: true;
  mfaToken: string;
  methods: ["totp", "backup_code"];
  /** Seconds the challenge token lives. */
  expiresIn: number;
}

/** A login either completes (a token pair and the user) or asks for the second factor. */
export type LoginResult = ({ mfaRequired?: undefined } & TokenPair & { user: UserRow }) | MfaChallenge;

const MFA_TOKEN_SECONDS = 300;

/**
 * The last step of every sign-in: reset the failure count, open the session, notice a new device. One call
 * to the database (the session, the device, the security event), beside the lockout object's reset; a new
 * device's alert - its event and e-mail - goes out once the answer has.
 */
export async function completeLogin(
  ctx: AuthServices,
  user: UserRow,
  method: string,
  proof?: (db: HttpDatabase) => Reads,
) {
  const session = await openingSession(ctx, user);
  const now = ctx.now();
  const details = { method, sessionId: session.row.id };
  const [written] = await Promise.all([
    ctx.database.read({ tenantId: user.tenantId }, (db) => {
      const [row, token] = sessionStatements(db, session.row, session.refreshHash);
      return {
        // What the sign-in proved first (a second factor's claim, its challenge spent): if it no longer
        // holds, nothing else is written.
        ...proof?.(db),
        device: read(
          deviceSeenStatement(db, user.id, session.row.deviceFingerprint, now).returning({
            firstSeenAt: knownDevices.firstSeenAt,
          }),
          (rows) => rows[0]?.firstSeenAt.getTime() === now.getTime(),
        ),
        session: read(row),
        token: read(token),
        event: read(
          db.insert(securityEvents).values({
            type: "login_success",
            userId: user.id,
            tenantId: user.tenantId,
            ip: ctx.client.ip,
            userAgent: ctx.client.userAgent?.slice(0, 512) ?? null,
            details,
          }),
        ),
      };
    }),
    ctx.accountGuard(lockoutKey(user, user.email)).recordSuccess(),
  ]);
  logSecurityEvent(ctx, { type: "login_success", userId: user.id, tenantId: user.tenantId, details });
  if (written.device) afterResponse(ctx, "new device alert", () => alertNewDevice(ctx, user));
  return { ...(await firstPair(ctx, user, session)), user };
}

/**
 * Tells the owner of a sign-in from a device never seen before (after the answer): the security event and the
 * e-mail in one call, then the e-mail handed to the provider.
 */
async function alertNewDevice(ctx: AuthServices, user: UserRow) {
  const event = {
    type: "new_device" as const,
    userId: user.id,
    tenantId: user.tenantId,
    details: { device: describeDevice(ctx.client) },
  };
  const email = await queuedNotice(ctx, user, "new_device", {
    userAgent: ctx.client.userAgent,
    ip: ctx.client.ip,
    country: ctx.client.country,
    city: ctx.client.city,
    at: ctx.now(),
  });
  await ctx.database.read("platform", (db) => ({
    event: read(securityEventInsert(db, ctx, event)),
    email: read(email.statement(db)),
  }));
  logSecurityEvent(ctx, event);
  await email.deliver(ctx.database);
}

/** Issues the second-factor challenge; its id is stored hashed so the token works once. */
export async function challengeSecondFactor(
  ctx: AuthServices,
  user: UserRow,
  proof?: (db: HttpDatabase) => Reads,
): Promise<LoginResult> {
  const mfa = await issueMfaToken(
    await ctx.signingKeys(),
    { userId: user.id, tenantId: user.tenantId },
    {
      issuer: ctx.config.JWT_ISSUER,
      audience: ctx.config.JWT_AUDIENCE,
      now: ctx.now(),
      ttlSeconds: MFA_TOKEN_SECONDS,
    },
  );
  const event = { type: "mfa_challenge" as const, userId: user.id, tenantId: user.tenantId, details: {} };
  const tokenHash = await hashToken(mfa.jti);
  await ctx.database.read("platform", (db) => ({
    ...proof?.(db),
    challenge: read(challengeStatement(db, { userId: user.id, tokenHash, expiresAt: mfa.expiresAt })),
    event: read(securityEventInsert(db, ctx, event)),
  }));
  logSecurityEvent(ctx, event);
  return {
    mfaRequired: true,
    mfaToken: mfa.token,
    methods: ["totp", "backup_code"],
    expiresIn: MFA_TOKEN_SECONDS,
  };
}

/** Password sign-in (ASVS 6.3): lockout first, the same work and answer for unknown and known e-mails. */
export async function login(ctx: AuthServices, email: string, password: string): Promise<LoginResult> {
  const { user, ssoOnly } = await ctx.database.read("platform", (db) => ({
    user: userByEmail(db, email),
    ssoOnly: ssoRequiredFor(db, email),
  }));
  await refuseIfLocked(ctx, lockoutKey(user, email));
  const hashing = hashingOf(ctx.config);
  const { valid, needsRehash } = await verifyPassword(password, user?.passwordHash ?? null, hashing);
  if (!user || !valid || !maySignIn(user, ctx.now()))
    return failAttempt(ctx, email, user, "password", { path: "login" });
  // Said only to whoever knows the password: a wrong one is the same 401 as anywhere else (no oracle).
  if (ssoOnly) {
    throw new AppError(
      "sso_required",
      "Accounts with this address sign in through the tenant's identity provider.",
    );
  }
  // A hash made with older parameters is replaced in the sign-in's own batch - unless the password changed
  // since it was read, which wins.
  const rehashed = needsRehash ? await hashPassword(password, hashing) : null;
  const rehash = rehashed
    ? (db: HttpDatabase) => ({ rehash: read(passwordRehash(db, user, rehashed)) })
    : undefined;
  if (user.totpEnabledAt) return challengeSecondFactor(ctx, user, rehash);
  return completeLogin(ctx, user, "password", rehash);
}

/**
 * The second factor: a TOTP code (never the same step twice) or a single-use backup code. Two round trips:
 * the account read with its challenge, then the sign-in's batch, which claims the code and spends the
 * challenge before it opens the session - a code or challenge used meanwhile refuses it whole.
 */
export async function loginSecondFactor(
  ctx: AuthServices,
  mfaToken: string,
  factor: { totp: string } | { backupCode: string },
) {
  const claims = await verifyMfaToken(await ctx.signingKeys(), mfaToken, {
    issuer: ctx.config.JWT_ISSUER,
    audience: ctx.config.JWT_AUDIENCE,
    now: ctx.now(),
  });
  const now = ctx.now();
  const challengeHash = await hashToken(claims.jti);
  const invalid = () => new AppError("unauthorized", "The sign-in challenge is invalid or expired.");
  const { user, challenge } = await ctx.database.read("platform", (db) => ({
    user: userById(db, claims.sub),
    challenge: read(openChallenge(db, challengeHash, now), (rows) => rows[0]),
  }));
  if (user?.status !== "active" || !user.totpEnabledAt || !user.totpSecret || challenge?.userId !== user.id) {
    throw invalid();
  }
  const backup = "backupCode" in factor;
  const code = backup ? factor.backupCode : factor.totp;
  const used = { type: "backup_code_used" as const, userId: user.id, tenantId: user.tenantId, details: {} };
  const signedIn = await withCode(
    ctx,
    user,
    { code, accepts: backup ? "backup_code" : "totp", path: backup ? "2fa/backup-code" : "login/2fa" },
    (claim) =>
      meetingRequirements({ [CHALLENGE_SPENT]: invalid }, () =>
        completeLogin(ctx, user, backup ? "backup_code" : "totp", (db) => ({
          ...(claim ? { claim: read(claim(db)) } : {}),
          challenge: read(challengeSpend(db, challengeHash, now)),
          ...(backup ? { used: read(securityEventInsert(db, ctx, used)) } : {}),
        })),
      ),
  );
  if (backup) logSecurityEvent(ctx, used);
  return signedIn;
}
