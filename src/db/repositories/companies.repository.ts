import { and, eq, ilike, type SQL } from "drizzle-orm";
import type { Querier, Transaction } from "../client";
import { companies } from "../tables/risk";
import { keyset, type TimePosition } from "./keyset";

export type CompanyRow = typeof companies.$inferSelect;
export type CompanyFields = Pick<
  typeof companies.$inferInsert,
  "name" | "ticker" | "country" | "industry" | "currency"
>;

const page = keyset(companies.createdAt, companies.id);

export async function insertCompany(
  tx: Transaction,
  tenantId: string,
  fields: CompanyFields,
): Promise<CompanyRow> {
  const [row] = await tx
    .insert(companies)
    .values({ tenantId, ...fields })
    .returning();
  if (!row) throw new Error("company insert returned nothing");
  return row;
}

/** The tenant's company; `lock` holds it until the transaction ends (statements filed meanwhile wait). */
/** The company with this id (a list of one row, or none). */
export function companyById(db: Querier, tenantId: string, id: string) {
  return db
    .select()
    .from(companies)
    .where(and(eq(companies.tenantId, tenantId), eq(companies.id, id)))
    .limit(1);
}

export async function findCompany(
  tx: Transaction,
  tenantId: string,
  id: string,
  lock = false,
): Promise<CompanyRow | undefined> {
  const query = companyById(tx, tenantId, id);
  const [row] = lock ? await query.for("no key update") : await query;
  return row;
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

export async function updateCompany(
  tx: Transaction,
  tenantId: string,
  id: string,
  fields: Partial<CompanyFields>,
): Promise<CompanyRow | undefined> {
  const [row] = await tx
    .update(companies)
    .set(fields)
    .where(and(eq(companies.tenantId, tenantId), eq(companies.id, id)))
    .returning();
  return row;
}
