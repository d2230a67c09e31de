import { read } from "../../db/batch";
import { deviceSeenStatement } from "../../db/repositories/credentials.repository";
import { sessionStatements } from "../../db/repositories/sessions.repository";
import { oneTimeTokens, securityEvents, tenants, users } from "../../db/schema";
import { isUniqueViolation, unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { afterResponse } from "../after-response";
import { queuedEmail } from "../email/outbox";
import { renderEmail } from "../email/templates";
import { type AuthServices, EMAIL_TOKEN_SECONDS } from "./context";
import { logSecurityEvent } from "./events";
import { checkPasswordPolicy, hashingOf, hashPassword } from "./passwords";
import { generateOpaqueToken, hashToken } from "./secrets";
import { firstPair, openingSession } from "./sessions";
import { releaseExpiredHolder } from "./unverified";

const EMAIL_KEY = ["users_email_key"];

const emailTaken = () => new AppError("email_taken", "An account with this e-mail already exists.");

/** Refuses a password that breaks the policy, as a 422 on the field that carries it. */
export function assertPasswordPolicy(password: string, email: string, pointer = "/password") {
  const problem = checkPasswordPolicy(password, { email });
  if (problem) {
    throw new AppError("validation_failed", problem.message, {
      errors: [{ location: "body", pointer, message: problem.message, code: problem.code }],
    });
  }
}

/**
 * Self-service registration: a new tenant with the registrant as its tenant_admin, a verification
 * e-mail, and a session on this device - all in one call to the database (ids chosen here); the e-mail is
 * delivered once the answer is out. A taken e-mail is 409 (registration may say so; login may not),
 * unless the account holding it never verified it within a day: that one is released and replaced.
 */
export async function register(
  ctx: AuthServices,
  input: { email: string; password: string; displayName: string | null; tenantName: string | null },
) {
  assertPasswordPolicy(input.password, input.email);
  const passwordHash = await hashPassword(input.password, hashingOf(ctx.config));
  const now = ctx.now();
  const tenant = {
    id: crypto.randomUUID(),
    name: input.tenantName ?? `${input.email.split("@")[1] ?? "new"} workspace`,
  };
  const userId = crypto.randomUUID();
  const session = await openingSession(ctx, { id: userId, tenantId: tenant.id });
  const verification = generateOpaqueToken();
  const email = await queuedEmail(await ctx.mailer(), {
    tenantId: tenant.id,
    userId,
    to: input.email,
    template: "verify_email",
    ...renderEmail("verify_email", { appUrl: ctx.config.APP_URL, token: verification }),
  });
  const verificationHash = await hashToken(verification);
  const { client } = ctx;
  const write = () =>
    ctx.database.read({ tenantId: tenant.id }, (db) => {
      const [sessionRow, refreshToken] = sessionStatements(db, session.row, session.refreshHash);
      return {
        tenant: read(db.insert(tenants).values(tenant).returning(), (rows) => rows[0]),
        user: read(
          db
            .insert(users)
            .values({
              id: userId,
              tenantId: tenant.id,
              email: input.email,
              displayName: input.displayName,
              passwordHash,
              passwordChangedAt: now,
              role: "tenant_admin",
            })
            .returning(),
          (rows) => rows[0],
        ),
        device: read(deviceSeenStatement(db, userId, session.row.deviceFingerprint, now)),
        event: read(
          db.insert(securityEvents).values({
            type: "register",
            userId,
            tenantId: tenant.id,
            ip: client.ip,
            userAgent: client.userAgent?.slice(0, 512) ?? null,
          }),
        ),
        verification: read(
          db.insert(oneTimeTokens).values({
            userId,
            purpose: "verify_email",
            tokenHash: verificationHash,
            expiresAt: new Date(now.getTime() + EMAIL_TOKEN_SECONDS.verify_email * 1000),
          }),
        ),
        email: read(email.statement(db)),
        session: read(sessionRow),
        refreshToken: read(refreshToken),
      };
    });
  let written: Awaited<ReturnType<typeof write>>;
  try {
    written = await write();
  } catch (error) {
    if (!isUniqueViolation(error, EMAIL_KEY)) throw error;
    // Taken - unless only by an account that never verified it in time: that one is released, once.
    if (!(await releaseExpiredHolder(ctx, input.email, "registration"))) throw emailTaken();
    written = await unlessDuplicate(EMAIL_KEY, emailTaken, write);
  }
  const { user } = written;
  if (!written.tenant || !user) throw new Error("registration wrote nothing");
  logSecurityEvent(ctx, { type: "register", userId, tenantId: tenant.id, details: {} });
  afterResponse(ctx, "verification e-mail", async () => {
    await email.deliver(ctx.database);
  });
  return { user, tenant: written.tenant, tokens: await firstPair(ctx, user, session) };
}
