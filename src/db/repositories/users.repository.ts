import { and, eq, isNull, sql } from "drizzle-orm";
import { type Read, read, reusable } from "../batch";
import type { HttpDatabase, Querier } from "../client";
import { type tenants, users } from "../schema";

export type UserRow = typeof users.$inferSelect;
export type TenantRow = typeof tenants.$inferSelect;

/** The user with this e-mail address, if any, as one statement of a batch. */
export function userByEmail(db: HttpDatabase, email: string): Read<UserRow | undefined> {
  return read(userByEmailStatement(db, { email }), (rows) => rows[0]);
}
const userByEmailStatement = reusable((db, { email }: { email: string }) =>
  db.select().from(users).where(eq(users.email, email)).limit(1),
);

/** The user with this id, if any, as one statement of a batch. */
export function userById(db: HttpDatabase, id: string): Read<UserRow | undefined> {
  return read(userStatement(db, { id }), (rows) => rows[0]);
}
const userStatement = reusable((db, { id }: { id: string }) =>
  db.select().from(users).where(eq(users.id, id)).limit(1),
);

/** What a user's own profile shows, and what decides whether the account may still sign in: no secrets. */
const profileColumns = {
  id: users.id,
  tenantId: users.tenantId,
  email: users.email,
  emailVerifiedAt: users.emailVerifiedAt,
  displayName: users.displayName,
  role: users.role,
  status: users.status,
  totpEnabledAt: users.totpEnabledAt,
  createdAt: users.createdAt,
};
export type UserProfile = Pick<UserRow, keyof typeof profileColumns>;

/** The profile of the user with this id, if any, as one statement of a batch. */
export function profileById(db: HttpDatabase, id: string): Read<UserProfile | undefined> {
  return read(profileStatement(db, { id }), (rows) => rows[0]);
}
const profileStatement = reusable((db, { id }: { id: string }) =>
  db.select(profileColumns).from(users).where(eq(users.id, id)).limit(1),
);

/** Updates profile fields a user may change themselves. */
export function updateProfile(db: Querier, id: string, fields: { displayName?: string | null }) {
  return db.update(users).set(fields).where(eq(users.id, id)).returning();
}

/**
 * A rehash with new parameters, as a statement of the sign-in's batch: the hash read is replaced only while
 * it is still the account's (a password changed meanwhile is left alone).
 */
export function passwordRehash(
  db: Querier,
  user: Pick<UserRow, "id" | "passwordHash">,
  passwordHash: string,
) {
  const read =
    user.passwordHash === null ? isNull(users.passwordHash) : eq(users.passwordHash, user.passwordHash);
  return db
    .update(users)
    .set({ passwordHash })
    .where(and(eq(users.id, user.id), read));
}

/** An account that lost its address for never verifying it (see `addressRelease`). */
export interface ReleasedAccount {
  id: string;
  tenantId: string;
  /** Sessions revoked with it. */
  sessions: number;
  /** Its tenant had no other active user, so the tenant was suspended with it. */
  tenantSuspended: boolean;
}

/**
 * Frees `email` from an account that never verified it and was created at or before `createdBefore`, in one
 * statement of a batch (so the common case - nothing to free - costs one round trip, and the rest commits or fails
 * together). Nothing is deleted: security and audit events point at the account and are append-only. The
 * account keeps its id and becomes a tombstone - status `expired`, address `expired-<id>@expired.invalid`,
 * no password, name or second factor - its sessions and unused e-mailed tokens are revoked, its tenant is
 * suspended if no other active user is left in it, and the tenant's audit trail and the security events
 * record the release.
 */
export function addressRelease(
  db: HttpDatabase,
  input: {
    email: string;
    createdBefore: Date;
    now: Date;
    claimedBy: string;
    requestId: string;
    ip: string | null;
    userAgent: string | null;
  },
): Read<ReleasedAccount | undefined> {
  const now = input.now.toISOString();
  const statement = db.execute<ReleasedAccount & Record<string, unknown>>(sql`
    with held as (
      select id, status from users
       where email = ${input.email} and email_verified_at is null
         and created_at <= ${input.createdBefore.toISOString()}::timestamptz
         for update
    ), released as (
      update users u
         set email = 'expired-' || u.id::text || '@expired.invalid', status = 'expired', password_hash = null,
             display_name = null, totp_secret = null, totp_enabled_at = null, totp_last_step = null
        from held h
       where u.id = h.id
      returning u.id, u.tenant_id, u.created_at, h.status as previous_status
    ), ended as (
      update sessions set revoked_at = ${now}::timestamptz, revoked_reason = 'account_expired'
       where user_id in (select id from released) and revoked_at is null
      returning id
    ), unused as (
      update one_time_tokens set used_at = ${now}::timestamptz
       where user_id in (select id from released) and used_at is null
    ), orphaned as (
      update tenants t set status = 'suspended'
       where t.id in (select tenant_id from released) and t.status = 'active'
         and not exists (select 1 from users u
                          where u.tenant_id = t.id and u.status = 'active'
                            and u.id not in (select id from released))
      returning t.id
    ), audited as (
      insert into audit_events (tenant_id, actor_type, action, resource_type, resource_id, summary,
                                request_id, ip, seq, prev_hash, hash)
      select r.tenant_id, 'system', 'user.expired', 'user', r.id::text,
             jsonb_build_object(
               'before', jsonb_build_object('email', ${input.email}::text, 'status', r.previous_status),
               'after', jsonb_build_object(
                 'email', 'expired-' || r.id::text || '@expired.invalid', 'status', 'expired',
                 'reason', 'email_never_verified', 'claimedBy', ${input.claimedBy}::text,
                 'tenantSuspended', exists (select 1 from orphaned))),
             ${input.requestId}, ${input.ip}::inet, 0, '', ''
        from released r
    ), noted as (
      insert into security_events (type, user_id, tenant_id, ip, user_agent, details)
      select 'account_expired', r.id, r.tenant_id, ${input.ip}::inet, ${input.userAgent},
             jsonb_build_object('reason', 'email_never_verified', 'claimedBy', ${input.claimedBy}::text,
                                'createdAt', r.created_at, 'sessions', (select count(*) from ended),
                                'tenantSuspended', exists (select 1 from orphaned))
        from released r
    )
    -- Every data-modifying part above runs to completion whether or not this select reads it.
    select r.id, r.tenant_id as "tenantId", (select count(*) from ended)::int as sessions,
           exists (select 1 from orphaned) as "tenantSuspended"
      from released r`);
  return read(statement, (result) => {
    const row = result.rows[0];
    return (
      row && {
        id: row.id,
        tenantId: row.tenantId,
        sessions: row.sessions,
        tenantSuspended: row.tenantSuspended,
      }
    );
  });
}
