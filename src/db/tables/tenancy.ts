/**
 * Tenancy tables: organizations and their members, invitations, machine API keys and the audit trail.
 * Every row carries its tenant; row-level security (migrations/0002_tenancy.sql) keeps each tenant's rows
 * out of every other tenant's transactions.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
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
import { users } from "./identity";
import { tenants } from "./tenants";

/** Roles a membership can grant inside one organization. */
export const ORG_ROLES = ["org_admin", "analyst", "viewer"] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export const organizations = pgTable(
  "organizations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    name: text("name").notNull(),
    description: text("description"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("organizations_tenant_name_key").on(t.tenantId, sql`lower(${t.name})`)],
);

export const memberships = pgTable(
  "memberships",
  {
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    tenantId: tenantRef(),
    role: text("role", { enum: ORG_ROLES }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.userId] }),
    index("memberships_user_idx").on(t.userId),
    index("memberships_tenant_idx").on(t.tenantId),
  ],
);

/** A single-use, expiring invitation to join the tenant (and optionally an organization), sent by e-mail. */
export const invitations = pgTable(
  "invitations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    organizationId: uuid("organization_id").references(() => organizations.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    role: text("role", { enum: ["tenant_admin", ...ORG_ROLES] }).notNull(),
    tokenHash: text("token_hash").notNull(),
    invitedBy: uuid("invited_by").references(() => users.id),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    acceptedAt: timestamp("accepted_at", { withTimezone: true }),
    acceptedUserId: uuid("accepted_user_id").references(() => users.id),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("invitations_token_hash_key").on(t.tokenHash),
    index("invitations_tenant_idx").on(t.tenantId, t.createdAt),
    // At most one open invitation per address and place (the tenant itself, or one organization).
    uniqueIndex("invitations_one_open_key")
      .on(
        t.tenantId,
        t.email,
        sql`coalesce(${t.organizationId}, '00000000-0000-0000-0000-000000000000'::uuid)`,
      )
      .where(sql`${t.acceptedAt} is null and ${t.revokedAt} is null`),
    // A sender's open invitations, found when the sender's authority shrinks (services/tenancy/authority).
    index("invitations_open_sender_idx")
      .on(t.tenantId, t.invitedBy)
      .where(sql`${t.acceptedAt} is null and ${t.revokedAt} is null`),
  ],
);

/** Machine credentials: the secret is shown once and stored only as its SHA-256. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    organizationId: uuid("organization_id").references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** The first characters of the key, shown in listings so a key can be recognised. */
    prefix: text("prefix").notNull(),
    secretHash: text("secret_hash").notNull(),
    scopes: text("scopes").array().notNull(),
    createdBy: uuid("created_by").references(() => users.id),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("api_keys_secret_hash_key").on(t.secretHash),
    index("api_keys_tenant_idx").on(t.tenantId, t.createdAt),
    // A creator's live keys, found when the creator's authority shrinks (services/tenancy/authority).
    index("api_keys_live_creator_idx").on(t.tenantId, t.createdBy).where(sql`${t.revokedAt} is null`),
  ],
);

/**
 * The audit trail: append-only and hash-chained per tenant. `seq`, `prev_hash`, `hash` and `created_at`
 * are set by a trigger under a per-tenant lock, so concurrent writers still form one chain.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    actorType: text("actor_type", { enum: ["user", "api_key", "system"] }).notNull(),
    actorId: uuid("actor_id"),
    action: text("action").notNull(),
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id"),
    summary: jsonb("summary").$type<{ before?: unknown; after?: unknown }>().notNull().default({}),
    requestId: text("request_id"),
    ip: inet("ip"),
    createdAt: createdAt(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
    /**
     * A random value and the SHA-256 of it with the summary and address: the chain covers the digest, not the
     * content, so erasure removes the content and the salt and the chain still verifies (migrations/0025).
     */
    contentSalt: text("content_salt"),
    contentDigest: text("content_digest"),
    /** When the content was erased (the summary is then `{"erased": true}`). */
    erasedAt: timestamp("erased_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("audit_events_tenant_seq_key").on(t.tenantId, t.seq),
    index("audit_events_tenant_time_idx").on(t.tenantId, t.createdAt),
    index("audit_events_tenant_actor_idx").on(t.tenantId, t.actorId),
    index("audit_events_tenant_resource_idx").on(t.tenantId, t.resourceId),
  ],
);

/** Where a tenant's trail starts after its oldest part was purged (written only by finedge_purge_history). */
export const auditCheckpoints = pgTable(
  "audit_checkpoints",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    throughSeq: bigint("through_seq", { mode: "number" }).notNull(),
    throughHash: text("through_hash").notNull(),
    purgedBefore: timestamp("purged_before", { withTimezone: true }).notNull(),
    eventsPurged: bigint("events_purged", { mode: "number" }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("audit_checkpoints_tenant_seq_key").on(t.tenantId, t.throughSeq)],
);

/** The head of each tenant's audit chain: the row the append trigger locks. */
export const auditChainHeads = pgTable("audit_chain_heads", {
  tenantId: uuid("tenant_id")
    .primaryKey()
    .references(() => tenants.id),
  lastSeq: bigint("last_seq", { mode: "number" }).notNull(),
  lastHash: text("last_hash").notNull(),
});

/**
 * Changes to what the edge's Durable Objects keep a copy of (a user's standing, a tenant's status, quotas and
 * models), written by triggers (migrations/0011_authority_outbox.sql) and deleted once the object is told.
 */
export const authorityOutbox = pgTable(
  "authority_outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind", { enum: ["user", "tenant"] }).notNull(),
    target: uuid("target").notNull(),
    tenantId: uuid("tenant_id").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("authority_outbox_target_idx").on(t.kind, t.target)],
);
