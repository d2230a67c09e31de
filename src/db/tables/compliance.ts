/**
 * Financial-crime tables: customers (the persons and entities that own portfolios) and their KYC standing.
 * Personal identity data is sealed by the Worker (`identity_sealed`); see migrations/0018.
 */
import { sql } from "drizzle-orm";
import { boolean, check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
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
