import { and, eq, ilike, type SQL, sql } from "drizzle-orm";
import type { Querier } from "../client";
import { requirement } from "../requirements";
import { companies } from "../tables/risk";
import { keyset, type TimePosition } from "./keyset";

export type CompanyRow = typeof companies.$inferSelect;
export type CompanyFields = Pick<
  typeof companies.$inferInsert,
  "name" | "ticker" | "country" | "industry" | "currency"
>;

const page = keyset(companies.createdAt, companies.id);

/** The company with this id (a list of one row, or none). */
export function companyById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(companies)
    .where(and(eq(companies.tenantId, tenantId), eq(companies.id, id)))
    .limit(1);
}

const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** The tenant's companies, newest first, optionally those whose name contains `q`. */
export function listCompanies(
  tx: Querier,
  tenantId: string,
  options: { q?: string | undefined; before?: TimePosition | undefined; limit: number },
) {
  const conditions: SQL[] = [eq(companies.tenantId, tenantId)];
  if (options.q) conditions.push(ilike(companies.name, `%${likeLiteral(options.q)}%`) as SQL);
  if (options.before) conditions.push(page.before(options.before));
  return tx
    .select()
    .from(companies)
    .where(and(...conditions))
    .orderBy(...page.order)
    .limit(options.limit);
}

/**
 * A statement that fails its batch with `stale` unless the company is still as read, holding it (a key
 * share: its statements refer to it) until the batch ends.
 */
export function companyAsRead(db: Querier, before: CompanyRow) {
  return requirement(
    db,
    sql`exists (select 1 from ${companies}
                 where ${companies.tenantId} = ${before.tenantId} and ${companies.id} = ${before.id}
                   and ${companies.name} = ${before.name}
                   and ${companies.ticker} is not distinct from ${before.ticker}
                   and ${companies.country} is not distinct from ${before.country}
                   and ${companies.industry} is not distinct from ${before.industry}
                   and ${companies.currency} = ${before.currency}
                 for no key update)`,
    "stale",
  );
}
