/**
 * Identity tables: users and their credentials (second factors, backup codes, one-time tokens), login sessions
 * with their refresh tokens, the devices each user has signed in from, and the security event trail.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  inet,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, tenantRef, updatedAt } from "./columns";
import { tenants } from "./tenants";

/** The five role tiers, highest first. */
export const ROLES = ["super_admin", "tenant_admin", "org_admin", "analyst", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    /** Stored lower-cased; unique across the platform. */
    email: text("email").notNull(),
    emailVerifiedAt: timestamp("email_verified_at", { withTimezone: true }),
    displayName: text("display_name"),
    /** Algorithm and parameters travel with the hash (see services/auth/passwords). Null: no password set. */
    passwordHash: text("password_hash"),
    passwordChangedAt: timestamp("password_changed_at", { withTimezone: true }),
    role: text("role", { enum: ROLES }).notNull(),
    /**
     * `expired`: a tombstone of an account that never verified its address (services/auth/unverified);
     * `erased`: a tombstone of an account whose personal data was erased (services/privacy/erasure).
     */
    status: text("status", { enum: ["active", "disabled", "expired", "erased"] })
      .notNull()
      .default("active"),
    /**
     * The TOTP secret, sealed (`v1.<kid>.<iv>.<ciphertext>`, bound to this user; services/auth/stored-factors);
     * base32 plaintext only in rows from before sealing. Set at enrolment, active once `totpEnabledAt` is set.
     */
    totpSecret: text("totp_secret"),
    totpEnabledAt: timestamp("totp_enabled_at", { withTimezone: true }),
    /** The last accepted RFC 6238 time step: a code is never accepted twice (ASVS 6.5.1). */
    totpLastStep: bigint("totp_last_step", { mode: "number" }),
    erasedAt: timestamp("erased_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("users_email_key").on(t.email),
    index("users_tenant_idx").on(t.tenantId),
    // Rows still in the clear, for the cron's sealing pass (an empty index once all are sealed).
    index("users_totp_secret_plain_idx")
      .on(t.id)
      .where(sql`${t.totpSecret} is not null and ${t.totpSecret} not like 'v1.%'`),
    check("users_email_lower", sql`${t.email} = lower(${t.email})`),
  ],
);

/** A login session: one refresh-token family, with the device it came from. */
export const sessions = pgTable(
  "sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    tenantId: tenantRef(),
    deviceFingerprint: text("device_fingerprint").notNull(),
    userAgent: text("user_agent"),
    ip: inet("ip"),
    country: text("country"),
    city: text("city"),
    asn: bigint("asn", { mode: "number" }),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }).notNull().defaultNow(),
    /** Sliding expiry (7 days after last use), never past the absolute one (30 days after creation). */
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    absoluteExpiresAt: timestamp("absolute_expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    revokedReason: text("revoked_reason"),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

/** Every refresh token ever issued, hashed; a used one presented again revokes its session (RFC 9700). */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id),
    tokenHash: text("token_hash").notNull(),
    createdAt: createdAt(),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("refresh_tokens_hash_key").on(t.tokenHash),
    index("refresh_tokens_session_idx").on(t.sessionId),
  ],
);

export const backupCodes = pgTable(
  "backup_codes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    /** `h1.<pepper id>.<HMAC-SHA-256>`; unsalted SHA-256 hex only in codes issued before peppers. */
    codeHash: text("code_hash").notNull(),
    createdAt: createdAt(),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("backup_codes_user_hash_key").on(t.userId, t.codeHash)],
);

/** Single-use, short-lived tokens sent by e-mail or handed out mid-login, stored hashed. */
export const oneTimeTokens = pgTable(
  "one_time_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    purpose: text("purpose", {
      enum: ["verify_email", "password_reset", "magic_link", "mfa", "change_email"],
    }).notNull(),
    tokenHash: text("token_hash").notNull(),
    /** `change_email` only: the (lower-cased) address the link confirms. */
    newEmail: text("new_email"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("one_time_tokens_hash_key").on(t.tokenHash)],
);

export const knownDevices = pgTable(
  "known_devices",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    fingerprint: text("fingerprint").notNull(),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.fingerprint] })],
);

/** Authentication and account-security events (ASVS 16.3.1); never holds secrets. */
export const securityEvents = pgTable(
  "security_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id").references(() => tenants.id),
    userId: uuid("user_id").references(() => users.id),
    type: text("type").notNull(),
    ip: inet("ip"),
    userAgent: text("user_agent"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index("security_events_user_idx").on(t.userId, t.createdAt)],
);
