/**
 * The drizzle schema: every table, one file per area under ./tables, re-exported here so the rest of the code
 * imports one module. drizzle-kit diffs it against migrations/meta to write SQL. Shared SQL helpers (the
 * triggers some tables attach) live in the hand-written baseline migration.
 */
export * from "./tables/compliance";
export * from "./tables/compliance-cases";
export * from "./tables/email";
export * from "./tables/federation";
export * from "./tables/identity";
export * from "./tables/identity-verification";
export * from "./tables/money";
export * from "./tables/portfolios";
export * from "./tables/risk";
export * from "./tables/tenancy";
export * from "./tables/tenants";
export * from "./tables/webhooks";
