/**
 * Single-use links e-mailed to an account (password reset, magic link, address verification) as statements
 * of one batch: the link's account is read without spending it, and the link is spent in the same batch as
 * the change it allows - a link spent meanwhile aborts that batch (`finedge_require`).
 */
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { type Read, read } from "../batch";
import type { HttpDatabase, Querier } from "../client";
import { oneTimeTokens, securityEvents, users } from "../schema";
import type { UserRow } from "./users.repository";

type TokenPurpose = (typeof oneTimeTokens.$inferInsert)["purpose"];

/** The requirement code of a link spent (or expired) since it was read. */
export const LINK_SPENT = "link_spent";

/** A link's token (stored hashed), as a statement of the caller's batch. */
export function linkStatement(
  db: Querier,
  input: { userId: string; purpose: TokenPurpose; tokenHash: string; expiresAt: Date },
) {
  return db.insert(oneTimeTokens).values(input);
}

/** The account a link names while the link is unused and unexpired; reading it spends nothing. */
export function linkHolder(
  db: HttpDatabase,
  purpose: TokenPurpose,
  tokenHash: string,
  now: Date,
): Read<UserRow | undefined> {
  return read(
    db
      .select({ user: users })
      .from(oneTimeTokens)
      .innerJoin(users, eq(users.id, oneTimeTokens.userId))
      .where(
        and(
          eq(oneTimeTokens.tokenHash, tokenHash),
          eq(oneTimeTokens.purpose, purpose),
          isNull(oneTimeTokens.usedAt),
          gt(oneTimeTokens.expiresAt, now),
        ),
      )
      .limit(1),
    (rows) => rows[0]?.user,
  );
}

/** Spends a link in the caller's batch, or aborts the batch when it was spent or expired meanwhile. */
export function linkSpend(db: Querier, purpose: TokenPurpose, tokenHash: string, now: Date) {
  const at = now.toISOString();
  return db.execute(sql`
    with spent as (
      update ${oneTimeTokens} set used_at = ${at}::timestamptz
       where token_hash = ${tokenHash} and purpose = ${purpose} and used_at is null and expires_at > ${at}::timestamptz
      returning id)
    select finedge_require(exists (select 1 from spent), ${LINK_SPENT})`);
}

/**
 * Confirms an address with its verification link in one statement: the link spent, the account's address
 * marked verified (the first confirmation's time kept) and the `email_verified` security event recorded.
 * Returns the account, none when the link was unknown, used or expired.
 */
export function addressVerified(
  db: Querier,
  input: { tokenHash: string; now: Date; ip: string | null; userAgent: string | null },
) {
  const at = input.now.toISOString();
  return db.execute(sql`
    with spent as (
      update ${oneTimeTokens} set used_at = ${at}::timestamptz
       where token_hash = ${input.tokenHash} and purpose = 'verify_email' and used_at is null
         and expires_at > ${at}::timestamptz
      returning user_id),
    verified as (
      update ${users} set email_verified_at = ${at}::timestamptz
       where id = (select user_id from spent)
      returning id, tenant_id),
    recorded as (
      insert into ${securityEvents} (tenant_id, user_id, type, ip, user_agent, details)
      select tenant_id, id, 'email_verified', ${input.ip}::inet, ${input.userAgent}, '{}'::jsonb from verified
      returning id)
    select id, tenant_id from verified`);
}
