import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { Database } from "../client";
import { type Role, tenants, users } from "../schema";

export type UserRow = typeof users.$inferSelect;
export type TenantRow = typeof tenants.$inferSelect;

/** Postgres unique_violation, as drizzle surfaces it (the driver error is the cause). */
export const isUniqueViolation = (error: unknown): boolean =>
  (error as { code?: string })?.code === "23505" ||
  ((error as { cause?: { code?: string } })?.cause?.code ?? "") === "23505";

/** Creates a tenant and its first user (its tenant_admin) in one transaction. */
export async function createTenantWithAdmin(
  db: Database,
  input: { tenantName: string; email: string; displayName: string | null; passwordHash: string; role: Role },
): Promise<{ tenant: TenantRow; user: UserRow }> {
  return db.transaction(async (tx) => {
    const [tenant] = await tx.insert(tenants).values({ name: input.tenantName }).returning();
    if (!tenant) throw new Error("tenant insert returned nothing");
    const [user] = await tx
      .insert(users)
      .values({
        tenantId: tenant.id,
        email: input.email,
        displayName: input.displayName,
        passwordHash: input.passwordHash,
        passwordChangedAt: new Date(),
        role: input.role,
      })
      .returning();
    if (!user) throw new Error("user insert returned nothing");
    return { tenant, user };
  });
}

/** The user with this (lower-cased) e-mail, if any. */
export async function findUserByEmail(db: Database, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.email, email)).limit(1);
  return row;
}

/** The user with this id, if any. */
export async function findUserById(db: Database, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row;
}

/** The tenant with this id, if any. */
export async function findTenantById(db: Database, id: string): Promise<TenantRow | undefined> {
  const [row] = await db.select().from(tenants).where(eq(tenants.id, id)).limit(1);
  return row;
}

/** Updates profile fields a user may change themselves. */
export async function updateProfile(db: Database, id: string, fields: { displayName?: string | null }) {
  const [row] = await db.update(users).set(fields).where(eq(users.id, id)).returning();
  return row;
}

/** Replaces the password hash (a change, a reset, or a rehash with new parameters). */
export async function setPasswordHash(db: Database, id: string, passwordHash: string, changed: boolean) {
  await db
    .update(users)
    .set(changed ? { passwordHash, passwordChangedAt: new Date() } : { passwordHash })
    .where(eq(users.id, id));
}

/** Marks the e-mail address verified. */
export async function markEmailVerified(db: Database, id: string, at: Date) {
  await db.update(users).set({ emailVerifiedAt: at }).where(eq(users.id, id));
}

/** Stores a TOTP secret awaiting confirmation (2FA stays off until it is confirmed). */
export async function setPendingTotpSecret(db: Database, id: string, secret: string) {
  await db
    .update(users)
    .set({ totpSecret: secret, totpEnabledAt: null, totpLastStep: null })
    .where(eq(users.id, id));
}

/** Turns 2FA on or off. */
export async function setTotpEnabled(db: Database, id: string, enabledAt: Date | null) {
  await db
    .update(users)
    .set(
      enabledAt
        ? { totpEnabledAt: enabledAt }
        : { totpEnabledAt: null, totpSecret: null, totpLastStep: null },
    )
    .where(eq(users.id, id));
}

/**
 * Records `step` as the last accepted TOTP step, only if it is newer than the stored one. False means a
 * concurrent or earlier use of the same code won: the caller must refuse it (ASVS 6.5.1).
 */
export async function claimTotpStep(db: Database, id: string, step: number): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ totpLastStep: step })
    .where(and(eq(users.id, id), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
    .returning({ id: users.id });
  return rows.length === 1;
}
