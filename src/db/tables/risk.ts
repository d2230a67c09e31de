/**
 * Risk scoring tables: companies and their statements, predictions (append-only, with the inputs and the
 * model that produced them), bulk scoring jobs, tenants' own model versions and activations, and the daily
 * inference counters. Every row carries its tenant; row-level security keeps tenants apart
 * (migrations/0004_risk.sql).
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  date,
  doublePrecision,
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

// Statement amounts are money: exact decimals, never floats.
const money = (name: string) => numeric(name, { precision: 22, scale: 2 });

export const PERIOD_TYPES = ["annual", "quarterly"] as const;
export type PeriodType = (typeof PERIOD_TYPES)[number];
export const PREDICTION_KINDS = ["annual", "quarterly", "credit"] as const;
export type PredictionKind = (typeof PREDICTION_KINDS)[number];
export const JOB_STATUSES = [
  "queued",
  "running",
  "completed",
  "failed",
  "partially_failed",
  "cancelled",
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const MODEL_SOURCES = ["platform", "tenant"] as const;
export type ModelSource = (typeof MODEL_SOURCES)[number];

export const companies = pgTable(
  "companies",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    name: text("name").notNull(),
    /** Exchange ticker or the institution's own identifier; unique in the tenant when set. */
    ticker: text("ticker"),
    country: text("country"),
    industry: text("industry"),
    /** ISO 4217 reporting currency; every statement of the company is in it. */
    currency: text("currency").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("companies_tenant_ticker_key").on(t.tenantId, t.ticker),
    index("companies_tenant_time_idx").on(t.tenantId, t.createdAt),
    check("companies_currency_iso", sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

/** One filed statement: an annual one, or one fiscal quarter. Flows cover the period, stocks its end. */
export const financialStatements = pgTable(
  "financial_statements",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    companyId: uuid("company_id")
      .notNull()
      .references(() => companies.id),
    periodType: text("period_type", { enum: PERIOD_TYPES }).notNull(),
    fiscalYear: integer("fiscal_year").notNull(),
    /** 1-4 for a quarter, null for an annual statement. */
    fiscalQuarter: integer("fiscal_quarter"),
    periodEnd: date("period_end").notNull(),
    currency: text("currency").notNull(),
    totalAssets: money("total_assets").notNull(),
    totalLiabilities: money("total_liabilities").notNull(),
    currentAssets: money("current_assets").notNull(),
    currentLiabilities: money("current_liabilities").notNull(),
    workingCapital: money("working_capital"),
    netIncome: money("net_income").notNull(),
    /** Annual only: the prior year's net income, when no statement of that year is on file. */
    netIncomePrior: money("net_income_prior"),
    fundsFromOperations: money("funds_from_operations"),
    revenue: money("revenue"),
    ebit: money("ebit"),
    ebitda: money("ebitda"),
    interestExpense: money("interest_expense"),
    sgaExpense: money("sga_expense"),
    longTermDebt: money("long_term_debt"),
    totalDebt: money("total_debt"),
    totalEquity: money("total_equity"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("financial_statements_period_key").on(
      t.companyId,
      t.periodType,
      t.fiscalYear,
      sql`coalesce(${t.fiscalQuarter}, 0)`,
    ),
    uniqueIndex("financial_statements_period_end_key").on(t.companyId, t.periodType, t.periodEnd),
    index("financial_statements_tenant_idx").on(t.tenantId),
    check(
      "financial_statements_quarter",
      sql`(${t.periodType} = 'annual' and ${t.fiscalQuarter} is null) or (${t.periodType} = 'quarterly' and ${t.fiscalQuarter} between 1 and 4)`,
    ),
    check(
      "financial_statements_balance",
      sql`${t.totalAssets} > 0 and ${t.currentAssets} >= 0 and ${t.currentAssets} <= ${t.totalAssets} and ${t.totalLiabilities} >= 0 and ${t.currentLiabilities} >= 0 and ${t.currentLiabilities} <= ${t.totalLiabilities}`,
    ),
    check(
      "financial_statements_non_negative",
      sql`coalesce(${t.revenue}, 0) >= 0 and coalesce(${t.interestExpense}, 0) >= 0 and coalesce(${t.sgaExpense}, 0) >= 0 and coalesce(${t.longTermDebt}, 0) >= 0 and coalesce(${t.totalDebt}, 0) >= 0 and coalesce(${t.longTermDebt}, 0) <= coalesce(${t.totalDebt}, ${t.longTermDebt}, 0)`,
    ),
  ],
);

/** A scored request, kept with everything needed to explain it later. Append-only. */
export const predictions = pgTable(
  "predictions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    kind: text("kind", { enum: PREDICTION_KINDS }).notNull(),
    companyId: uuid("company_id").references(() => companies.id),
    /** The stored statements scored (none for inline input), most recent first. */
    statementIds: uuid("statement_ids").array(),
    modelName: text("model_name").notNull(),
    modelVersion: text("model_version").notNull(),
    modelSha256: text("model_sha256").notNull(),
    modelSource: text("model_source", { enum: MODEL_SOURCES }).notNull(),
    probability: doublePrecision("probability").notNull(),
    band: text("band").notNull(),
    /** Feature -> contribution in logit units, by the manifest's reason-code method. */
    contributions: jsonb("contributions").$type<Record<string, number>>().notNull(),
    ratios: jsonb("ratios").$type<Record<string, { value: number | null; reason: string | null }>>(),
    /** The model's input tensor row, column by column (the manifest's `vector`). */
    features: jsonb("features").$type<Record<string, number>>().notNull(),
    rawInput: jsonb("raw_input").$type<Record<string, unknown>>().notNull(),
    reference: text("reference"),
    actorType: text("actor_type", { enum: ["user", "api_key", "system"] }).notNull(),
    actorId: uuid("actor_id"),
    requestId: text("request_id"),
    createdAt: createdAt(),
  },
  (t) => [
    index("predictions_company_time_idx").on(t.tenantId, t.companyId, t.createdAt),
    index("predictions_tenant_time_idx").on(t.tenantId, t.createdAt),
    check("predictions_probability_range", sql`${t.probability} >= 0 and ${t.probability} <= 1`),
  ],
);

/** A bulk upload being scored through the queue; counters move only in the chunk transactions. */
export const scoringJobs = pgTable(
  "scoring_jobs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    status: text("status", { enum: JOB_STATUSES }).notNull().default("queued"),
    inputFormat: text("input_format", { enum: ["csv", "ndjson"] }).notNull(),
    inputKey: text("input_key").notNull(),
    inputBytes: bigint("input_bytes", { mode: "number" }).notNull(),
    /** CSV only: the header row's column names, which every chunk is parsed with. */
    columns: text("columns").array(),
    modelName: text("model_name").notNull(),
    modelVersion: text("model_version").notNull(),
    modelSha256: text("model_sha256").notNull(),
    modelSource: text("model_source", { enum: MODEL_SOURCES }).notNull(),
    /** Unknown until the upload has been split. */
    rowsTotal: integer("rows_total"),
    chunksTotal: integer("chunks_total"),
    /** Rows per chunk when the job was split, so its chunks can be planned again exactly. */
    chunkRows: integer("chunk_rows"),
    rowsScored: integer("rows_scored").notNull().default(0),
    rowsFailed: integer("rows_failed").notNull().default(0),
    chunksDone: integer("chunks_done").notNull().default(0),
    error: text("error"),
    actorType: text("actor_type", { enum: ["user", "api_key", "system"] }).notNull(),
    actorId: uuid("actor_id"),
    /** The submission's Idempotency-Key and the digest of what was submitted under it (caller, query, file). */
    idempotencyKey: text("idempotency_key"),
    requestSha256: text("request_sha256"),
    createdAt: createdAt(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    completedAt: timestamp("completed_at", { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("scoring_jobs_tenant_time_idx").on(t.tenantId, t.createdAt),
    uniqueIndex("scoring_jobs_idempotency_key").on(t.tenantId, t.idempotencyKey),
    check(
      "scoring_jobs_progress",
      sql`${t.rowsScored} >= 0 and ${t.rowsFailed} >= 0 and ${t.chunksDone} >= 0 and (${t.chunksTotal} is null or ${t.chunksDone} <= ${t.chunksTotal}) and (${t.rowsTotal} is null or ${t.rowsScored} + ${t.rowsFailed} <= ${t.rowsTotal})`,
    ),
  ],
);

/** A scored chunk: its row is the proof it was counted, so a redelivered message counts nothing twice. */
export const scoringJobChunks = pgTable(
  "scoring_job_chunks",
  {
    jobId: uuid("job_id")
      .notNull()
      .references(() => scoringJobs.id),
    chunk: integer("chunk").notNull(),
    tenantId: tenantRef(),
    rowsScored: integer("rows_scored").notNull(),
    rowsFailed: integer("rows_failed").notNull(),
    resultKey: text("result_key").notNull(),
    completedAt: timestamp("completed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.chunk] }), index("scoring_job_chunks_tenant_idx").on(t.tenantId)],
);

/** A row of a bulk job that could not be scored, with its line in the upload and why. Append-only. */
export const scoringJobErrors = pgTable(
  "scoring_job_errors",
  {
    jobId: uuid("job_id")
      .notNull()
      .references(() => scoringJobs.id),
    /** The data row (1 = the first after a CSV header) and the line of the upload it starts on. */
    row: integer("row").notNull(),
    line: integer("line"),
    tenantId: tenantRef(),
    reference: text("reference"),
    errors: jsonb("errors").$type<Array<{ field: string | null; message: string }>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.row] }), index("scoring_job_errors_tenant_idx").on(t.tenantId)],
);

/** A model version a tenant uploaded; its files are in R2 under the tenant's prefix. */
export const modelVersions = pgTable(
  "model_versions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantRef(),
    name: text("name").notNull(),
    version: text("version").notNull(),
    kind: text("kind").notNull(),
    inputKind: text("input_kind").notNull(),
    description: text("description").notNull(),
    sha256: text("sha256").notNull(),
    manifestSha256: text("manifest_sha256").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    /** The dry run that admitted it: per sample, expected and obtained probability. */
    validation: jsonb("validation").$type<Record<string, unknown>>().notNull(),
    metrics: jsonb("metrics").$type<Record<string, unknown> | null>(),
    /** The model card (Markdown), shown in listings without a trip to R2. */
    card: text("card"),
    actorType: text("actor_type", { enum: ["user", "api_key", "system"] }).notNull(),
    actorId: uuid("actor_id"),
    /**
     * Whether its files are all in R2. An upload claims its version with a row not ready and marks it ready
     * once its files are written (migrations/0017); until then no reader sees it. `createdAt` is the claim's time.
     */
    filesReady: boolean("files_ready").notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("model_versions_tenant_name_version_key").on(t.tenantId, t.name, t.version)],
);

/** The version of a model a tenant scores with, when it is not the platform's active one. */
export const modelActivations = pgTable(
  "model_activations",
  {
    tenantId: tenantRef(),
    name: text("name").notNull(),
    version: text("version").notNull(),
    /** The version scored before this one: what keeps serving if this one fails its integrity check. */
    previousVersion: text("previous_version"),
    source: text("source", { enum: MODEL_SOURCES }).notNull(),
    actorType: text("actor_type", { enum: ["user", "api_key", "system"] }).notNull(),
    actorId: uuid("actor_id"),
    activatedAt: timestamp("activated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.name] })],
);

/** Rows scored per tenant per UTC day, against `quotas.inferenceRowsPerDay`. */
export const inferenceUsage = pgTable(
  "inference_usage",
  {
    tenantId: tenantRef(),
    day: date("day").notNull(),
    rows: bigint("rows", { mode: "number" }).notNull().default(0),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.day] }), check("inference_usage_rows", sql`${t.rows} >= 0`)],
);
