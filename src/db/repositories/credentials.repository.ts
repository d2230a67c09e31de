import { and, eq, gt, isNotNull, isNull, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { backupCodes, knownDevices, oneTimeTokens, securityEvents } from "../schema";
import { keyset, type TimePosition } from "./keyset";

/** Records a device as seen now, as a statement of the caller's batch (first seen now if new). */
export function deviceSeenStatement(db: Querier, userId: string, fingerprint: string, now: Date) {
  return db
    .insert(knownDevices)
    .values({ userId, fingerprint, firstSeenAt: now, lastSeenAt: now })
    .onConflictDoUpdate({
      target: [knownDevices.userId, knownDevices.fingerprint],
      set: { lastSeenAt: now },
    });
}

export type SecurityEventRow = typeof securityEvents.$inferSelect;

/** Appends a security event. */
export function securityEventStatement(db: Querier, event: typeof securityEvents.$inferInsert) {
  return db.insert(securityEvents).values(event);
}

const ownEvents = keyset(securityEvents.createdAt, securityEvents.id);

/** A user's own security events, newest first, keyed by (created_at, id). */
export function listSecurityEvents(
  db: Querier,
  userId: string,
  options: { before?: TimePosition | undefined; limit: number },
) {
  return db
    .select()
    .from(securityEvents)
    .where(and(eq(securityEvents.userId, userId), ownEvents.before(options.before)))
    .orderBy(...ownEvents.order)
    .limit(options.limit);
}

/**
 * Replaces the password the caller read with a new one, as a statement of its batch, spending every
 * outstanding single-use token of the user in the same statement - no link e-mailed before the change (a
 * second reset link, a magic link) works after it. Aborts the batch as `stale` if the password changed since
 * it was read.
 */
export function passwordReplaced(
  db: Querier,
  input: { userId: string; readHash: string | null; passwordHash: string; now: Date },
) {
  const at = input.now.toISOString();
  return db.execute(sql`
    with spent as (
      update ${oneTimeTokens} set used_at = ${at}::timestamptz where user_id = ${input.userId} and used_at is null
    ), changed as (
      update users set password_hash = ${input.passwordHash}, password_changed_at = ${at}::timestamptz
       where id = ${input.userId} and password_hash is not distinct from ${input.readHash}
      returning id)
    select finedge_require(exists (select 1 from changed), 'stale')`);
}

/**
 * Stores an address-change token with the address it confirms; an earlier unconfirmed change of the same
 * user is spent in the same statement, so only the latest link works.
 */
export function emailChangeTokenStatement(
  db: Querier,
  input: { userId: string; tokenHash: string; newEmail: string; expiresAt: Date; now: Date },
) {
  return db.execute(sql`
    with replaced as (
      update ${oneTimeTokens} set used_at = ${input.now.toISOString()}::timestamptz
       where user_id = ${input.userId} and purpose = 'change_email' and used_at is null
    )
    insert into ${oneTimeTokens} (user_id, purpose, token_hash, expires_at, new_email)
    values (${input.userId}, 'change_email', ${input.tokenHash}, ${input.expiresAt.toISOString()}::timestamptz,
            ${input.newEmail})`);
}

/** The address an unused, unexpired change link of the user's would change it to (a list of one row, or none). */
export function emailChangeToken(db: Querier, input: { userId: string; tokenHash: string; now: Date }) {
  return db
    .select({ newEmail: oneTimeTokens.newEmail })
    .from(oneTimeTokens)
    .where(
      and(
        eq(oneTimeTokens.tokenHash, input.tokenHash),
        eq(oneTimeTokens.purpose, "change_email"),
        eq(oneTimeTokens.userId, input.userId),
        isNull(oneTimeTokens.usedAt),
        gt(oneTimeTokens.expiresAt, input.now),
        isNotNull(oneTimeTokens.newEmail),
      ),
    )
    .limit(1);
}

/**
 * Replaces the address with the change link's and marks it verified, spending every other outstanding link of
 * the account with it (links sent to the old address die too), as a statement of a batch - which it fails with
 * `stale` unless the link was still good and the account active. An address taken meanwhile fails the unique
 * index, and the whole batch with it (the link stays unused).
 */
export function confirmEmailChange(db: Querier, input: { userId: string; tokenHash: string; now: Date }) {
  const now = sql`${input.now.toISOString()}::timestamptz`;
  return db.execute(sql`
    with presented as (
      select user_id, new_email from ${oneTimeTokens}
       where token_hash = ${input.tokenHash} and purpose = 'change_email' and user_id = ${input.userId}
         and used_at is null and expires_at > ${now} and new_email is not null
    ), spent as (
      update ${oneTimeTokens} t set used_at = ${now}
       where t.user_id = (select user_id from presented) and t.used_at is null
      returning t.token_hash
    ), changed as (
      update users u set email = p.new_email, email_verified_at = ${now}
        from presented p
       where u.id = p.user_id and u.status = 'active'
         and exists (select 1 from spent where spent.token_hash = ${input.tokenHash})
      returning u.email)
    select finedge_require(exists (select 1 from changed), 'stale')`);
}

/**
 * Takes a user's second factor away (an administrator's reset): the TOTP secret and every backup code, in
 * one statement inside the caller's tenant transaction. False when the user is not in the tenant.
 */
/**
 * Clears a user's second factor - the TOTP secret and every backup code - as a statement of a batch, which it
 * fails with `code` unless the user had one to clear.
 */
export function clearedSecondFactor(db: Querier, tenantId: string, userId: string, code: string) {
  return db.execute(sql`
    with codes as (delete from ${backupCodes} where user_id = ${userId}),
    cleared as (
      update users set totp_secret = null, totp_enabled_at = null, totp_last_step = null
       where id = ${userId} and tenant_id = ${tenantId} and totp_enabled_at is not null
      returning id)
    select finedge_require(exists (select 1 from cleared), ${code})`);
}
