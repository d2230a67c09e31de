/**
 * A user's second factor as statements of the caller's batch (one transaction, one round trip): a code's use
 * is claimed in the same transaction as the change it allows, and a claim that finds nothing to claim - a
 * TOTP step already used, a backup code spent or never issued - aborts the whole batch (`finedge_require`).
 */

import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { backupCodes, oneTimeTokens, users } from "../schema";
import { databaseJson } from "../well-formed";

/** The requirement code of a refused claim: the code offered does not hold (any more). */
export const CODE_REFUSED = "code_refused";

/** Claims TOTP `step` - newer than the last step the user's codes used - or aborts the batch. */
export function totpStepClaim(db: Querier, userId: string, step: number) {
  return db.execute(sql`
    with claimed as (
      update ${users} set totp_last_step = ${step}
       where id = ${userId}::uuid and (totp_last_step is null or totp_last_step < ${step})
      returning id)
    select finedge_require(exists (select 1 from claimed), ${CODE_REFUSED})`);
}

/**
 * Spends one unused backup code of the user, given the forms the typed code may be stored in (one per pepper,
 * and the legacy unsalted hash; a user's codes are unique, so at most one matches), or aborts the batch.
 */
export function backupCodeSpend(db: Querier, userId: string, codeHashes: string[], now: Date) {
  return db.execute(sql`
    with spent as (
      update ${backupCodes} set used_at = ${now.toISOString()}::timestamptz
       where user_id = ${userId}::uuid and used_at is null
         and code_hash in (select jsonb_array_elements_text(${databaseJson(codeHashes)}::jsonb))
      returning id)
    select finedge_require(exists (select 1 from spent), ${CODE_REFUSED})`);
}

/** The user's backup codes replaced by `codeHashes` (none: every code removed). */
export function backupCodesReplaced(db: Querier, userId: string, codeHashes: string[]) {
  return db.execute(sql`
    with removed as (delete from ${backupCodes} where user_id = ${userId}::uuid)
    insert into ${backupCodes} (user_id, code_hash)
    select ${userId}::uuid, hash from jsonb_array_elements_text(${databaseJson(codeHashes)}::jsonb) as hash`);
}

/** A new secret, not yet active, in place of any earlier one (2FA stays off until a code proves it). */
export function pendingTotpSecret(db: Querier, userId: string, sealedSecret: string) {
  return db.execute(sql`
    update ${users} set totp_secret = ${sealedSecret}, totp_enabled_at = null, totp_last_step = null
     where id = ${userId}::uuid and totp_enabled_at is null`);
}

/**
 * Turns 2FA on with the secret the caller read and proved, or aborts the batch as `stale` when it was turned on
 * or enrolled again meanwhile.
 */
export function totpEnabled(db: Querier, userId: string, sealedSecret: string, now: Date) {
  return db.execute(sql`
    with enabled as (
      update ${users} set totp_enabled_at = ${now.toISOString()}::timestamptz
       where id = ${userId}::uuid and totp_enabled_at is null and totp_secret = ${sealedSecret}
      returning id)
    select finedge_require(exists (select 1 from enabled), 'stale')`);
}

/** A sign-in challenge (a single-use token, stored hashed) for the caller's batch. */
export function challengeStatement(
  db: Querier,
  input: { userId: string; tokenHash: string; expiresAt: Date },
) {
  return db.insert(oneTimeTokens).values({ ...input, purpose: "mfa" });
}

/** Whether a sign-in challenge is still open: issued, unused, unexpired. */
export function openChallenge(db: Querier, tokenHash: string, now: Date) {
  return db
    .select({ userId: oneTimeTokens.userId })
    .from(oneTimeTokens)
    .where(
      and(
        eq(oneTimeTokens.tokenHash, tokenHash),
        eq(oneTimeTokens.purpose, "mfa"),
        isNull(oneTimeTokens.usedAt),
        gt(oneTimeTokens.expiresAt, now),
      ),
    )
    .limit(1);
}

/** The requirement code of a challenge answered meanwhile (or expired since it was read). */
export const CHALLENGE_SPENT = "challenge_spent";

/** Spends a sign-in challenge in the caller's batch, or aborts it. */
export function challengeSpend(db: Querier, tokenHash: string, now: Date) {
  const at = now.toISOString();
  return db.execute(sql`
    with spent as (
      update ${oneTimeTokens} set used_at = ${at}::timestamptz
       where token_hash = ${tokenHash} and purpose = 'mfa' and used_at is null and expires_at > ${at}::timestamptz
      returning id)
    select finedge_require(exists (select 1 from spent), ${CHALLENGE_SPENT})`);
}
