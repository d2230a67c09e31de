/**
 * Federated sign-in: each tenant's settings for it, the external identities linked to accounts, and the
 * one-time codes mobile apps exchange for a token pair (migrations/0024).
 */
import { jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, tenantRef, updatedAt } from "./columns";
import { users } from "./identity";
import { tenants } from "./tenants";

/** The identity providers: three configured per deployment, and each tenant's own OpenID provider. */
export const FEDERATED_PROVIDERS = ["google", "microsoft", "github", "oidc"] as const;
export type FederatedProvider = (typeof FEDERATED_PROVIDERS)[number];

/**
 * How an external identity joins an existing account: only by its owner signed in (`signed_in`), or also on
 * sign-in when both the provider and the account have verified the same address (`verified_email`).
 */
export const LINKING_POLICIES = ["signed_in", "verified_email"] as const;
export type LinkingPolicy = (typeof LINKING_POLICIES)[number];

export const tenantSsoSettings = pgTable("tenant_sso_settings", {
  tenantId: uuid("tenant_id")
    .primaryKey()
    .references(() => tenants.id),
  /** Where a sign-in may send its answer (a mobile app's one-time code): exact URIs, nothing else. */
  redirectUris: jsonb("redirect_uris").$type<string[]>().notNull().default([]),
  linkingPolicy: text("linking_policy", { enum: LINKING_POLICIES }).notNull().default("signed_in"),
  /** Lower-cased e-mail domains whose accounts must sign in through SSO (password sign-in refused). */
  ssoRequiredDomains: jsonb("sso_required_domains").$type<string[]>().notNull().default([]),
  /** The tenant's own OpenID provider: its issuer (discovered), client id and sealed client secret. */
  oidcIssuer: text("oidc_issuer"),
  oidcClientId: text("oidc_client_id"),
  /** `v1.<kid>.<iv>.<ciphertext>`, bound to this tenant (services/crypto/secrets-at-rest). */
  oidcClientSecret: text("oidc_client_secret"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** An external identity (issuer and subject) that signs in as one account; one per provider per account. */
export const federatedIdentities = pgTable(
  "federated_identities",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    provider: text("provider", { enum: FEDERATED_PROVIDERS }).notNull(),
    issuer: text("issuer").notNull(),
    subject: text("subject").notNull(),
    /** The address the provider gave at the last sign-in (shown to the user; never used to find the account). */
    email: text("email"),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("federated_identities_subject_key").on(t.provider, t.issuer, t.subject),
    uniqueIndex("federated_identities_user_provider_key").on(t.userId, t.provider),
  ],
);

/** A mobile sign-in's one-time code, stored hashed, redeemed once with the app's PKCE verifier. */
export const federatedCodes = pgTable(
  "federated_codes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    codeHash: text("code_hash").notNull(),
    /** The app's S256 code challenge, given when it started the sign-in. */
    codeChallenge: text("code_challenge").notNull(),
    redirectUri: text("redirect_uri").notNull(),
    provider: text("provider", { enum: FEDERATED_PROVIDERS }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("federated_codes_hash_key").on(t.codeHash)],
);
