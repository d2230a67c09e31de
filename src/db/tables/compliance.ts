/**
 * Financial-crime tables: customers (the persons and entities that own portfolios) and their KYC standing.
 * Personal identity data is sealed by the Worker (`identity_sealed`); see migrations/0018.
 */
import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, tenantRef, updatedAt } from "./columns";

export const CUSTOMER_KINDS = ["person", "entity"] as const;
export type CustomerKind = (typeof CUSTOMER_KINDS)[number];
export const KYC_STATUSES = ["unverified", "pending", "verified", "rejected"] as const;
export type KycStatus = (typeof KYC_STATUSES)[number];
export const RISK_RATINGS = ["low", "medium", "high"] as const;
export type RiskRating = (typeof RISK_RATINGS)[number];

export const customers = pgTable(
  "customers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    kind: text("kind", { enum: CUSTOMER_KINDS }).notNull(),
    /** The institution's own customer number; unique in the tenant when set. */
    reference: text("reference"),
    /** ISO 3166-1 alpha-2: residence for a person, incorporation for an entity. */
    country: text("country").notNull(),
    /** The identity (name, date of birth, national id, address, contact) as one sealed JSON value. */
    identitySealed: text("identity_sealed").notNull(),
    /** A politically exposed person, or an entity controlled by one. */
    pep: boolean("pep").notNull().default(false),
    kycStatus: text("kyc_status", { enum: KYC_STATUSES }).notNull().default("unverified"),
    /** 0 none, 1 basic (identity stated), 2 verified document, 3 enhanced due diligence. */
    kycLevel: integer("kyc_level").notNull().default(0),
    riskRating: text("risk_rating", { enum: RISK_RATINGS }).notNull(),
    /** What the rating was computed from: each factor with its points. */
    riskFactors: jsonb("risk_factors").$type<Array<{ factor: string; points: number }>>().notNull(),
    /** Bumped by every change: a change holds only if the row is still the version it was decided on. */
    version: integer("version").notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("customers_tenant_reference_key").on(t.tenantId, t.reference),
    index("customers_tenant_time_idx").on(t.tenantId, t.createdAt),
    check("customers_kind", sql`${t.kind} IN ('person', 'entity')`),
    check("customers_country_iso", sql`${t.country} ~ '^[A-Z]{2}$'`),
    check("customers_kyc_status", sql`${t.kycStatus} IN ('unverified', 'pending', 'verified', 'rejected')`),
    check("customers_kyc_level", sql`${t.kycLevel} BETWEEN 0 AND 3`),
    check("customers_risk_rating", sql`${t.riskRating} IN ('low', 'medium', 'high')`),
    check("customers_identity_sealed", sql`${t.identitySealed} LIKE 'v1.%'`),
  ],
);

export const SANCTIONS_LIST_STATUSES = ["processing", "ready", "failed"] as const;
export type SanctionsListStatus = (typeof SANCTIONS_LIST_STATUSES)[number];
export const SANCTIONS_MATCH_STATUSES = ["open", "confirmed", "dismissed"] as const;
export type SanctionsMatchStatus = (typeof SANCTIONS_MATCH_STATUSES)[number];
/** What screened the customer: its onboarding, a change of its name, or a new list (the rescreen). */
export const SANCTIONS_MATCH_ORIGINS = ["onboarding", "change", "list"] as const;
export type SanctionsMatchOrigin = (typeof SANCTIONS_MATCH_ORIGINS)[number];
const ACTOR_TYPES = ["user", "api_key", "system"] as const;

/** A sanctions list a tenant uploaded: its files in R2 (FILES), its standing; see migrations/0020. */
export const sanctionsLists = pgTable(
  "sanctions_lists",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    /** 1, 2, ... per tenant, in the order of upload. */
    version: integer("version").notNull(),
    source: text("source", { enum: ["ofac_sdn"] })
      .notNull()
      .default("ofac_sdn"),
    status: text("status", { enum: SANCTIONS_LIST_STATUSES }).notNull().default("processing"),
    entries: integer("entries").notNull(),
    aliases: integer("aliases").notNull(),
    sdnKey: text("sdn_key").notNull(),
    altKey: text("alt_key"),
    sdnSha256: text("sdn_sha256").notNull(),
    altSha256: text("alt_sha256"),
    bytes: integer("bytes").notNull(),
    /** Set when the rescreen of every customer against the list is done. */
    customersScreened: integer("customers_screened"),
    matchesFound: integer("matches_found"),
    failure: text("failure"),
    actorType: text("actor_type", { enum: ACTOR_TYPES }).notNull(),
    actorId: uuid("actor_id"),
    readyAt: timestamp("ready_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("sanctions_lists_tenant_version_key").on(t.tenantId, t.version),
    index("sanctions_lists_tenant_time_idx").on(t.tenantId, t.createdAt),
    index("sanctions_lists_tenant_ready_idx").on(t.tenantId, t.createdAt).where(sql`${t.status} = 'ready'`),
    check("sanctions_lists_status", sql`${t.status} IN ('processing', 'ready', 'failed')`),
    check("sanctions_lists_source", sql`${t.source} IN ('ofac_sdn')`),
    check("sanctions_lists_version", sql`${t.version} >= 1`),
    check("sanctions_lists_actor_type", sql`${t.actorType} IN ('user', 'api_key', 'system')`),
    check("sanctions_lists_ready", sql`(${t.status} = 'ready') = (${t.readyAt} IS NOT NULL)`),
    check("sanctions_lists_failure", sql`(${t.status} = 'failed') = (${t.failure} IS NOT NULL)`),
  ],
);

/** A potential match of a customer with a listed party, and an analyst's decision on it. */
export const sanctionsMatches = pgTable(
  "sanctions_matches",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    customerId: uuid("customer_id")
      .notNull()
      .references(() => customers.id),
    listId: uuid("list_id")
      .notNull()
      .references(() => sanctionsLists.id),
    origin: text("origin", { enum: SANCTIONS_MATCH_ORIGINS }).notNull(),
    /** The listed party: its ent_num, name as listed, type and programs. */
    entryUid: integer("entry_uid").notNull(),
    entryName: text("entry_name").notNull(),
    entryType: text("entry_type").notNull(),
    programs: jsonb("programs").$type<string[]>().notNull(),
    /** The listed name or alias the customer's name matched. */
    matchedName: text("matched_name").notNull(),
    aliasType: text("alias_type"),
    weak: boolean("weak").notNull().default(false),
    score: doublePrecision("score").notNull(),
    status: text("status", { enum: SANCTIONS_MATCH_STATUSES }).notNull().default("open"),
    /** When a later screening of the customer no longer found it (or found it again on a newer list). */
    supersededAt: timestamp("superseded_at", { withTimezone: true }),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    decidedByType: text("decided_by_type", { enum: ACTOR_TYPES }),
    decidedById: uuid("decided_by_id"),
    decisionReason: text("decision_reason"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("sanctions_matches_customer_list_entry_key").on(
      t.tenantId,
      t.customerId,
      t.listId,
      t.entryUid,
    ),
    index("sanctions_matches_tenant_time_idx").on(t.tenantId, t.createdAt),
    index("sanctions_matches_customer_idx").on(t.tenantId, t.customerId, t.status),
    check("sanctions_matches_status", sql`${t.status} IN ('open', 'confirmed', 'dismissed')`),
    check("sanctions_matches_origin", sql`${t.origin} IN ('onboarding', 'change', 'list')`),
    check("sanctions_matches_score", sql`${t.score} > 0 AND ${t.score} <= 1`),
    check("sanctions_matches_decided", sql`(${t.status} = 'open') = (${t.decidedAt} IS NULL)`),
    check("sanctions_matches_reason", sql`(${t.status} = 'open') = (${t.decisionReason} IS NULL)`),
  ],
);
