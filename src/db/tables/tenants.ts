/** The tenants: every other tenant-owned table references this one (see ./columns). */
import { jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, updatedAt } from "./timestamps";

/** Per-tenant limits on top of the per-endpoint ones; absent means the platform default. */
export interface TenantQuotas {
  /** Authenticated requests per minute across the whole tenant. */
  requestsPerMinute?: number;
  /** Scored rows (single and bulk predictions) per day. */
  inferenceRowsPerDay?: number;
}

/** Per-tenant retention in days; absent means the platform default (services/privacy/retention). */
export interface TenantRetention {
  securityEventsDays?: number;
  auditEventsDays?: number;
}

export const tenants = pgTable("tenants", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull(),
  quotas: jsonb("quotas").$type<TenantQuotas>().notNull().default({}),
  retention: jsonb("retention").$type<TenantRetention>().notNull().default({}),
  status: text("status", { enum: ["active", "suspended"] })
    .notNull()
    .default("active"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
