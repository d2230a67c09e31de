/**
 * Compliance alerts, cases, notes, attachments and SARs (migrations/0021). Alerts are raised by rules and
 * scenarios, and by members' reports; a case gathers them; a SAR is drafted from a case and filed after another
 * officer approves it.
 */
import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, tenantRef, updatedAt } from "./columns";
import { customers } from "./compliance";
import { users } from "./identity";

export const ALERT_KINDS = ["fraud", "monitoring", "sanctions", "report"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export const ALERT_STATUSES = ["open", "closed"] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export const CASE_STATUSES = [
  "open",
  "investigating",
  "escalated",
  "closed_no_action",
  "closed_sar_filed",
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export const SAR_STATUSES = ["draft", "approved", "filed"] as const;
export type SarStatus = (typeof SAR_STATUSES)[number];
const ACTOR_TYPES = ["user", "api_key", "system"] as const;

export const complianceCases = pgTable(
  "compliance_cases",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    title: text("title").notNull(),
    status: text("status", { enum: CASE_STATUSES }).notNull().default("open"),
    assigneeId: uuid("assignee_id").references(() => users.id),
    openedByType: text("opened_by_type", { enum: ACTOR_TYPES }).notNull(),
    openedBy: uuid("opened_by"),
    /** When the earliest of its alerts was raised: the 30 days to file a SAR run from here. */
    detectedAt: timestamp("detected_at", { withTimezone: true }),
    dueAt: timestamp("due_at", { withTimezone: true }),
    closedAt: timestamp("closed_at", { withTimezone: true }),
    version: integer("version").notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("compliance_cases_tenant_time_idx").on(t.tenantId, t.createdAt),
    check(
      "compliance_cases_status",
      sql`${t.status} IN ('open', 'investigating', 'escalated', 'closed_no_action', 'closed_sar_filed')`,
    ),
    check("compliance_cases_closed", sql`(${t.status} LIKE 'closed_%') = (${t.closedAt} IS NOT NULL)`),
    check("compliance_cases_opened_by_type", sql`${t.openedByType} IN ('user', 'api_key', 'system')`),
  ],
);

export const complianceAlerts = pgTable(
  "compliance_alerts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    kind: text("kind", { enum: ALERT_KINDS }).notNull(),
    /** The code of the rule or scenario that raised it. */
    rule: text("rule").notNull(),
    customerId: uuid("customer_id").references(() => customers.id),
    portfolioId: uuid("portfolio_id"),
    transactionIds: uuid("transaction_ids").array().notNull().default(sql`'{}'`),
    /** 0-100, where the rule scores. */
    score: integer("score"),
    reasons: jsonb("reasons")
      .$type<Array<{ code: string; detail: string }>>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    status: text("status", { enum: ALERT_STATUSES }).notNull().default("open"),
    caseId: uuid("case_id").references(() => complianceCases.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("compliance_alerts_tenant_time_idx").on(t.tenantId, t.createdAt),
    index("compliance_alerts_case_idx").on(t.caseId),
    check("compliance_alerts_kind", sql`${t.kind} IN ('fraud', 'monitoring', 'sanctions', 'report')`),
    check("compliance_alerts_status", sql`${t.status} IN ('open', 'closed')`),
    check("compliance_alerts_score", sql`${t.score} IS NULL OR ${t.score} BETWEEN 0 AND 100`),
    check("compliance_alerts_reasons", sql`jsonb_typeof(${t.reasons}) = 'array'`),
    check("compliance_alerts_rule", sql`length(${t.rule}) BETWEEN 1 AND 100`),
  ],
);

/** Append-only: the application role may insert and read notes, never change them. */
export const complianceCaseNotes = pgTable(
  "compliance_case_notes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    caseId: uuid("case_id")
      .notNull()
      .references(() => complianceCases.id),
    authorType: text("author_type", { enum: ACTOR_TYPES }).notNull(),
    authorId: uuid("author_id"),
    body: text("body").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index("compliance_case_notes_case_idx").on(t.caseId, t.createdAt),
    check("compliance_case_notes_author_type", sql`${t.authorType} IN ('user', 'api_key', 'system')`),
  ],
);

/** Evidence files; the bytes are in R2 (FILES) under `object_key`. */
export const complianceCaseAttachments = pgTable(
  "compliance_case_attachments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    caseId: uuid("case_id")
      .notNull()
      .references(() => complianceCases.id),
    filename: text("filename").notNull(),
    contentType: text("content_type").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    sha256: text("sha256").notNull(),
    objectKey: text("object_key").notNull(),
    uploadedByType: text("uploaded_by_type", { enum: ACTOR_TYPES }).notNull(),
    uploadedBy: uuid("uploaded_by"),
    createdAt: createdAt(),
  },
  (t) => [
    index("compliance_case_attachments_case_idx").on(t.caseId, t.createdAt),
    check("compliance_case_attachments_size", sql`${t.sizeBytes} > 0`),
  ],
);

export const complianceSars = pgTable(
  "compliance_sars",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    caseId: uuid("case_id")
      .notNull()
      .references(() => complianceCases.id),
    status: text("status", { enum: SAR_STATUSES }).notNull().default("draft"),
    /** The customers the report is about (the case's alerts' customers). */
    subjectIds: uuid("subject_ids").array().notNull().default(sql`'{}'`),
    transactionIds: uuid("transaction_ids").array().notNull().default(sql`'{}'`),
    activityFrom: timestamp("activity_from", { withTimezone: true }).notNull(),
    activityTo: timestamp("activity_to", { withTimezone: true }).notNull(),
    narrative: text("narrative").notNull(),
    detectedAt: timestamp("detected_at", { withTimezone: true }).notNull(),
    /** 30 days from detection (31 CFR 1020.320(b)(3)). */
    dueAt: timestamp("due_at", { withTimezone: true }).notNull(),
    preparedBy: uuid("prepared_by").notNull(),
    approvedBy: uuid("approved_by"),
    approvedAt: timestamp("approved_at", { withTimezone: true }),
    filedBy: uuid("filed_by"),
    filedAt: timestamp("filed_at", { withTimezone: true }),
    /** The BSA identifier FinCEN acknowledged the filing with. */
    filingReference: text("filing_reference"),
    version: integer("version").notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("compliance_sars_case_key").on(t.caseId),
    index("compliance_sars_tenant_time_idx").on(t.tenantId, t.createdAt),
    check("compliance_sars_status", sql`${t.status} IN ('draft', 'approved', 'filed')`),
    check("compliance_sars_window", sql`${t.activityFrom} <= ${t.activityTo}`),
    check("compliance_sars_four_eyes", sql`${t.approvedBy} IS NULL OR ${t.approvedBy} <> ${t.preparedBy}`),
    check("compliance_sars_approved", sql`(${t.status} = 'draft') = (${t.approvedBy} IS NULL)`),
    check("compliance_sars_filed", sql`(${t.status} = 'filed') = (${t.filedAt} IS NOT NULL)`),
  ],
);

/** A SAR's total per currency of its supporting transactions, summed in Postgres numeric. */
export const complianceSarAmounts = pgTable(
  "compliance_sar_amounts",
  {
    tenantId: tenantRef(),
    sarId: uuid("sar_id")
      .notNull()
      .references(() => complianceSars.id),
    currency: text("currency").notNull(),
    total: numeric("total", { precision: 38, scale: 18 }).notNull(),
    transactions: integer("transactions").notNull(),
  },
  (t) => [primaryKey({ name: "compliance_sar_amounts_pkey", columns: [t.sarId, t.currency] })],
);
