/**
 * Identity verifications (migrations/0023): a customer's document-and-selfie check at the verification
 * provider, from the session opened there to the provider's decision and, where the result needs one, an
 * analyst's review. The outcome keeps the checks' results, never the document's personal values.
 */
import { sql } from "drizzle-orm";
import { check, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, tenantRef, updatedAt } from "./columns";
import { customers } from "./compliance";
import { users } from "./identity";

export const VERIFICATION_STATUSES = [
  "pending",
  "verified",
  "rejected",
  "needs_review",
  "resubmission_requested",
  "expired",
] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];

/** What the provider's checks found, as kept: results and agreements, no personal values. */
export interface VerificationOutcome {
  decision: "approved" | "declined" | "resubmission_requested" | "expired";
  document: {
    result: "clear" | "consider";
    type: string;
    issuingCountry: string;
    expired: boolean;
  } | null;
  selfie: { result: "clear" | "consider"; liveness: "clear" | "consider"; similarity: number } | null;
  /** How alike the document's name is to the customer's (0-1), and whether the dates of birth agree. */
  nameSimilarity: number | null;
  dateOfBirthMatches: boolean | null;
  /** Why the result is what it is: the provider's reasons and this side's own findings. */
  reasons: string[];
}

export const identityVerifications = pgTable(
  "identity_verifications",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    customerId: uuid("customer_id")
      .notNull()
      .references(() => customers.id),
    status: text("status", { enum: VERIFICATION_STATUSES }).notNull().default("pending"),
    providerSessionId: text("provider_session_id").notNull(),
    /** Where the customer completes the check (the provider's page); shown while the session is pending. */
    sessionUrl: text("session_url").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    outcome: jsonb("outcome").$type<VerificationOutcome>(),
    /** The provider's event that decided it: a repeated delivery of it changes nothing. */
    providerEventId: text("provider_event_id"),
    startedByType: text("started_by_type", { enum: ["user", "api_key"] }).notNull(),
    startedBy: uuid("started_by"),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    reviewedBy: uuid("reviewed_by").references(() => users.id),
    reviewedAt: timestamp("reviewed_at", { withTimezone: true }),
    reviewNote: text("review_note"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("identity_verifications_session_key").on(t.providerSessionId),
    uniqueIndex("identity_verifications_one_open_key")
      .on(t.tenantId, t.customerId)
      .where(sql`${t.status} IN ('pending', 'needs_review')`),
    index("identity_verifications_tenant_time_idx").on(t.tenantId, t.createdAt),
    index("identity_verifications_customer_time_idx").on(t.tenantId, t.customerId, t.createdAt),
    check(
      "identity_verifications_status",
      sql`${t.status} IN ('pending', 'verified', 'rejected', 'needs_review', 'resubmission_requested', 'expired')`,
    ),
    check("identity_verifications_decided", sql`(${t.status} = 'pending') = (${t.decidedAt} IS NULL)`),
    check("identity_verifications_reviewed", sql`(${t.reviewedAt} IS NULL) = (${t.reviewedBy} IS NULL)`),
    check("identity_verifications_started_by_type", sql`${t.startedByType} IN ('user', 'api_key')`),
  ],
);
