import { and, desc, eq, gt, inArray, isNull, lt } from "drizzle-orm";
import type { Database } from "../client";
import { backupCodes, knownDevices, oneTimeTokens, securityEvents } from "../schema";

type TokenPurpose = (typeof oneTimeTokens.$inferInsert)["purpose"];

/** Replaces a user's backup codes with new ones (peppered hashes only). */
export async function replaceBackupCodes(db: Database, userId: string, codeHashes: string[]) {
  await db.transaction(async (tx) => {
    await tx.delete(backupCodes).where(eq(backupCodes.userId, userId));
    if (codeHashes.length > 0) {
      await tx.insert(backupCodes).values(codeHashes.map((codeHash) => ({ userId, codeHash })));
    }
  });
}

/**
 * Uses a backup code once: true only for the first use of an issued, unused code. `codeHashes` are the
 * forms the typed code may be stored in (one per pepper, and the legacy unsalted hash): one statement
 * tries them all, and a user's codes are unique, so at most one row matches.
 */
export async function consumeBackupCode(db: Database, userId: string, codeHashes: string[], now: Date) {
  if (codeHashes.length === 0) return false;
  const rows = await db
    .update(backupCodes)
    .set({ usedAt: now })
    .where(
      and(
        eq(backupCodes.userId, userId),
        inArray(backupCodes.codeHash, codeHashes),
        isNull(backupCodes.usedAt),
      ),
    )
    .returning({ id: backupCodes.id });
  return rows.length === 1;
}

/** How many unused backup codes a user has left. */
export async function countUnusedBackupCodes(db: Database, userId: string): Promise<number> {
  const rows = await db
    .select({ id: backupCodes.id })
    .from(backupCodes)
    .where(and(eq(backupCodes.userId, userId), isNull(backupCodes.usedAt)));
  return rows.length;
}

/** Stores a single-use token (hashed) for a purpose. */
export async function createOneTimeToken(
  db: Database,
  input: { userId: string; purpose: TokenPurpose; tokenHash: string; expiresAt: Date },
) {
  await db.insert(oneTimeTokens).values(input);
}

/** Consumes a single-use token: the user id on the first use of a live token of that purpose, else undefined. */
export async function consumeOneTimeToken(db: Database, purpose: TokenPurpose, tokenHash: string, now: Date) {
  const [row] = await db
    .update(oneTimeTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(oneTimeTokens.tokenHash, tokenHash),
        eq(oneTimeTokens.purpose, purpose),
        isNull(oneTimeTokens.usedAt),
        gt(oneTimeTokens.expiresAt, now),
      ),
    )
    .returning({ userId: oneTimeTokens.userId });
  return row?.userId;
}

/** Drops expired single-use tokens (housekeeping; they can never be used anyway). */
export async function deleteExpiredOneTimeTokens(db: Database, now: Date) {
  await db.delete(oneTimeTokens).where(lt(oneTimeTokens.expiresAt, now));
}

/** Records a device sighting; true when this user had never been seen on it. */
export async function rememberDevice(db: Database, userId: string, fingerprint: string, now: Date) {
  const inserted = await db
    .insert(knownDevices)
    .values({ userId, fingerprint, firstSeenAt: now, lastSeenAt: now })
    .onConflictDoUpdate({ target: [knownDevices.userId, knownDevices.fingerprint], set: { lastSeenAt: now } })
    .returning({ firstSeenAt: knownDevices.firstSeenAt });
  return inserted[0]?.firstSeenAt.getTime() === now.getTime();
}

export type SecurityEventRow = typeof securityEvents.$inferSelect;

/** Appends a security event. */
export async function insertSecurityEvent(db: Database, event: typeof securityEvents.$inferInsert) {
  await db.insert(securityEvents).values(event);
}

/** A user's own security events, newest first, before an optional cursor time. */
export async function listSecurityEvents(db: Database, userId: string, limit: number, before?: Date) {
  const conditions = [eq(securityEvents.userId, userId)];
  if (before) conditions.push(lt(securityEvents.createdAt, before));
  return db
    .select()
    .from(securityEvents)
    .where(and(...conditions))
    .orderBy(desc(securityEvents.createdAt))
    .limit(limit);
}
