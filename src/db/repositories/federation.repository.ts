/** Federated sign-in's SQL: tenant settings, linked identities, mobile one-time codes. */
import { and, desc, eq, sql } from "drizzle-orm";
import { type Read, read, reusable } from "../batch";
import type { HttpDatabase, Querier } from "../client";
import {
  type FederatedProvider,
  federatedCodes,
  federatedIdentities,
  type LinkingPolicy,
  tenantSsoSettings,
  users,
} from "../schema";

export type SsoSettingsRow = typeof tenantSsoSettings.$inferSelect;
export type FederatedIdentityRow = typeof federatedIdentities.$inferSelect;
export type UserRow = typeof users.$inferSelect;

/** A tenant's federated sign-in settings, if it has any, as one statement of a batch. */
export function ssoSettingsOf(db: HttpDatabase, tenantId: string): Read<SsoSettingsRow | undefined> {
  return read(settingsStatement(db, { tenantId }), (rows) => rows[0]);
}
const settingsStatement = reusable((db, { tenantId }: { tenantId: string }) =>
  db.select().from(tenantSsoSettings).where(eq(tenantSsoSettings.tenantId, tenantId)).limit(1),
);

/** The settings a tenant administrator writes (the whole row but its timestamps). */
export interface SsoSettingsWrite {
  tenantId: string;
  redirectUris: string[];
  linkingPolicy: LinkingPolicy;
  ssoRequiredDomains: string[];
  /** undefined: the provider stays as it is; null: removed. */
  oidc: { issuer: string; clientId: string; clientSecret: string } | null | undefined;
}

/** Creates or replaces a tenant's settings; returns the row as written. */
export function ssoSettingsUpsert(db: Querier, values: SsoSettingsWrite) {
  const { oidc, ...rest } = values;
  const provider =
    oidc === undefined
      ? {}
      : {
          oidcIssuer: oidc?.issuer ?? null,
          oidcClientId: oidc?.clientId ?? null,
          oidcClientSecret: oidc?.clientSecret ?? null,
        };
  return db
    .insert(tenantSsoSettings)
    .values({ ...rest, ...provider })
    .onConflictDoUpdate({ target: tenantSsoSettings.tenantId, set: { ...rest, ...provider } })
    .returning();
}

/**
 * Whether password sign-in is refused for this address: its account's tenant requires SSO for the address's
 * domain. One statement, for the sign-in's own batch.
 */
export function ssoRequiredFor(db: HttpDatabase, email: string): Read<boolean> {
  const domain = email.slice(email.lastIndexOf("@") + 1);
  return read(ssoRequiredStatement(db, { email, domain }), (rows) => rows.length > 0);
}
const ssoRequiredStatement = reusable((db, { email, domain }: { email: string; domain: string }) =>
  db
    .select({ tenantId: tenantSsoSettings.tenantId })
    .from(users)
    .innerJoin(tenantSsoSettings, eq(tenantSsoSettings.tenantId, users.tenantId))
    .where(and(eq(users.email, email), sql`${tenantSsoSettings.ssoRequiredDomains} ? ${domain}`))
    .limit(1),
);

/** The account an external identity signs in as, with the identity's id, if it is linked. */
export function identityAccount(
  db: HttpDatabase,
  key: { provider: FederatedProvider; issuer: string; subject: string },
): Read<{ identityId: string; user: UserRow } | undefined> {
  return read(identityStatement(db, key), (rows) => {
    const row = rows[0];
    return row ? { identityId: row.identityId, user: row.user } : undefined;
  });
}
const identityStatement = reusable(
  (db, { provider, issuer, subject }: { provider: FederatedProvider; issuer: string; subject: string }) =>
    db
      .select({ identityId: federatedIdentities.id, user: users })
      .from(federatedIdentities)
      .innerJoin(users, eq(users.id, federatedIdentities.userId))
      .where(
        and(
          eq(federatedIdentities.provider, provider),
          eq(federatedIdentities.issuer, issuer),
          eq(federatedIdentities.subject, subject),
        ),
      )
      .limit(1),
);

/** Links an external identity to an account. */
export function identityInsert(
  db: Querier,
  values: typeof federatedIdentities.$inferInsert & { tenantId: string; userId: string },
) {
  return db.insert(federatedIdentities).values(values).returning();
}

/** Notes a sign-in through a linked identity (and the address the provider gave this time). */
export function identityUsed(db: Querier, id: string, email: string | null, at: Date) {
  return db.update(federatedIdentities).set({ lastUsedAt: at, email }).where(eq(federatedIdentities.id, id));
}

/** A user's linked identities, newest first. */
export function identitiesOf(db: HttpDatabase, userId: string) {
  return db
    .select()
    .from(federatedIdentities)
    .where(eq(federatedIdentities.userId, userId))
    .orderBy(desc(federatedIdentities.createdAt), desc(federatedIdentities.id));
}

/**
 * Unlinks one of a user's identities only if a way to sign in remains - another identity, or a password the
 * account may use (its domain not SSO-only) - decided and done in one statement, so two unlinks at once cannot
 * both take the last way. `found` tells a missing identity from a refused unlink.
 */
export function identityUnlink(db: Querier, input: { id: string; userId: string }) {
  return db.execute<{ found: boolean; unlinked: boolean; provider: string | null }>(sql`
    with target as (
      select id, provider from federated_identities where id = ${input.id} and user_id = ${input.userId}
    ), remains as (
      select 1 from federated_identities where user_id = ${input.userId} and id <> ${input.id}
      union all
      select 1 from users u where u.id = ${input.userId} and u.password_hash is not null
        and not exists (select 1 from tenant_sso_settings s
          where s.tenant_id = u.tenant_id and s.sso_required_domains ? split_part(u.email, '@', 2))
    ), gone as (
      delete from federated_identities where id in (select id from target) and exists (select 1 from remains)
      returning id
    )
    select exists (select 1 from target) as found, exists (select 1 from gone) as unlinked,
      (select provider from target) as provider`);
}

/** Stores a mobile sign-in's one-time code (hashed). */
export function codeInsert(db: Querier, values: typeof federatedCodes.$inferInsert & { tenantId: string }) {
  return db.insert(federatedCodes).values(values);
}

/**
 * Redeems a one-time code: spent only by the verifier its challenge was made from, once, before it expires;
 * returns the account it signs in as.
 */
export function codeRedeem(db: HttpDatabase, input: { codeHash: string; challenge: string; now: Date }) {
  return read(
    db.execute<{ user_id: string; provider: FederatedProvider }>(sql`
      update federated_codes set used_at = ${input.now.toISOString()}::timestamptz
      where code_hash = ${input.codeHash} and code_challenge = ${input.challenge}
        and used_at is null and expires_at > ${input.now.toISOString()}::timestamptz
      returning user_id, provider`),
    (raw) => (raw as { rows: Array<{ user_id: string; provider: FederatedProvider }> }).rows[0],
  );
}

/** The account a code was issued for (read in the batch that redeems it; used only if it was redeemed). */
export function codeOwner(db: HttpDatabase, codeHash: string): Read<UserRow | undefined> {
  return read(
    db
      .select()
      .from(users)
      .where(
        eq(
          users.id,
          sql`(select ${federatedCodes.userId} from ${federatedCodes} where ${federatedCodes.codeHash} = ${codeHash})`,
        ),
      )
      .limit(1),
    (rows) => rows[0],
  );
}
