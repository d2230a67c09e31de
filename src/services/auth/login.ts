import { read } from "../../db/batch";
import {
  consumeBackupCode,
  consumeOneTimeToken,
  createOneTimeToken,
  deviceSeenStatement,
} from "../../db/repositories/credentials.repository";
import { sessionStatements } from "../../db/repositories/sessions.repository";
import {
  claimTotpStep,
  findUserById,
  setPasswordHash,
  type UserRow,
  userByEmail,
} from "../../db/repositories/users.repository";
import { knownDevices, securityEvents } from "../../db/schema";
import { AppError } from "../../errors";
import { afterResponse } from "../after-response";
import { sendEmail } from "../email/outbox";
import { renderEmail } from "../email/templates";
import type { AuthServices } from "./context";
import { describeDevice } from "./devices";
import { logSecurityEvent, recordSecurityEvent } from "./events";
import { issueMfaToken, verifyMfaToken } from "./jwt";
import { failAttempt, lockoutKey, refuseIfLocked } from "./lockout";
import { hashingOf, hashPassword, verifyPassword } from "./passwords";
import { hashToken } from "./secrets";
import { firstPair, openingSession, type TokenPair } from "./sessions";
import { backupCodeCandidates, readTotpSecret } from "./stored-factors";
import { verifyTotp } from "./totp";
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
export async function completeLogin(ctx: AuthServices, user: UserRow, method: string) {
  const session = await openingSession(ctx, user);
  const now = ctx.now();
  const details = { method, sessionId: session.row.id };
  const [written] = await Promise.all([
    ctx.database.read({ tenantId: user.tenantId }, (db) => {
      const [row, token] = sessionStatements(db, session.row, session.refreshHash);
      return {
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

/** Tells the owner of a sign-in from a device never seen before: a security event and an e-mail. */
async function alertNewDevice(ctx: AuthServices, user: UserRow) {
  const device = describeDevice(ctx.client);
  await recordSecurityEvent(ctx, {
    type: "new_device",
    userId: user.id,
    tenantId: user.tenantId,
    details: { device },
  });
  await sendEmail(ctx.db, await ctx.mailer(), {
    tenantId: user.tenantId,
    userId: user.id,
    to: user.email,
    template: "new_device",
    ...renderEmail("new_device", {
      userAgent: ctx.client.userAgent,
      ip: ctx.client.ip,
      country: ctx.client.country,
      city: ctx.client.city,
      at: ctx.now(),
    }),
  });
}

/** Issues the second-factor challenge; its id is stored hashed so the token works once. */
export async function challengeSecondFactor(ctx: AuthServices, user: UserRow): Promise<LoginResult> {
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
  await createOneTimeToken(ctx.db, {
    userId: user.id,
    purpose: "mfa",
    tokenHash: await hashToken(mfa.jti),
    expiresAt: mfa.expiresAt,
  });
  await recordSecurityEvent(ctx, {
    type: "mfa_challenge",
    userId: user.id,
    tenantId: user.tenantId,
  });
  return {
    mfaRequired: true,
    mfaToken: mfa.token,
    methods: ["totp", "backup_code"],
    expiresIn: MFA_TOKEN_SECONDS,
  };
}

/** Password sign-in (ASVS 6.3): lockout first, the same work and answer for unknown and known e-mails. */
export async function login(ctx: AuthServices, email: string, password: string): Promise<LoginResult> {
  const { user } = await ctx.database.read("platform", (db) => ({ user: userByEmail(db, email) }));
  await refuseIfLocked(ctx, lockoutKey(user, email));
  const hashing = hashingOf(ctx.config);
  const { valid, needsRehash } = await verifyPassword(password, user?.passwordHash ?? null, hashing);
  if (!user || !valid || !maySignIn(user, ctx.now()))
    return failAttempt(ctx, email, user, "password", { path: "login" });
  if (needsRehash) await setPasswordHash(ctx.db, user.id, await hashPassword(password, hashing), false);
  if (user.totpEnabledAt) return challengeSecondFactor(ctx, user);
  return completeLogin(ctx, user, "password");
}

/** The second factor: a TOTP code (never the same step twice) or a single-use backup code. */
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
  const user = await findUserById(ctx.db, claims.sub);
  if (user?.status !== "active" || !user.totpEnabledAt || !user.totpSecret) {
    throw new AppError("unauthorized", "The sign-in challenge is invalid or expired.");
  }
  await refuseIfLocked(ctx, lockoutKey(user, user.email));
  const now = ctx.now();
  let accepted = false;
  if ("totp" in factor) {
    const result = verifyTotp({
      secret: (await readTotpSecret(await ctx.secretsAtRest(), user)) ?? "",
      code: factor.totp,
      now: now.getTime(),
      lastUsedStep: user.totpLastStep,
    });
    accepted = result.valid && (await claimTotpStep(ctx.db, user.id, result.step));
  } else {
    accepted = await consumeBackupCode(
      ctx.db,
      user.id,
      await backupCodeCandidates(await ctx.secretsAtRest(), user.id, factor.backupCode),
      now,
    );
    if (accepted)
      await recordSecurityEvent(ctx, {
        type: "backup_code_used",
        userId: user.id,
        tenantId: user.tenantId,
      });
  }
  if (!accepted)
    return failAttempt(ctx, user.email, user, "totp" in factor ? "totp" : "backup_code", {
      path: "totp" in factor ? "login/2fa" : "2fa/backup-code",
    });
  if (!(await consumeOneTimeToken(ctx.db, "mfa", await hashToken(claims.jti), now))) {
    throw new AppError("unauthorized", "The sign-in challenge is invalid or expired.");
  }
  return completeLogin(ctx, user, "totp" in factor ? "totp" : "backup_code");
}
