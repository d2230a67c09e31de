import { read } from "../../db/batch";
import {
  type CompanyFields,
  type CompanyRow,
  companyById,
  findCompany,
  insertCompany,
  listCompanies as listRows,
  updateCompany as updateRow,
} from "../../db/repositories/companies.repository";
import {
  insertStatements,
  listStatements as listStatementRows,
  type NewStatement,
  type StatementRow,
} from "../../db/repositories/statements.repository";
import type { PeriodType } from "../../db/tables/risk";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import { recordAudit } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { STATEMENT_AMOUNTS, type StatementInput, statementProblems } from "./statement-rules";

export const companyNotFound = () => new AppError("not_found", "No such company.");

const summaryOf = (row: CompanyRow) => ({ name: row.name, ticker: row.ticker, currency: row.currency });

/** Runs a write whose ticker may collide with another company's: the unique index is the judge. */
const uniqueTicker = <T>(ticker: string | null | undefined, work: () => Promise<T>): Promise<T> =>
  unlessDuplicate(
    ["companies_tenant_ticker_key"],
    () => new AppError("conflict", `A company with ticker ${ticker} exists.`),
    work,
  );

export async function listCompanies(
  ctx: TenantContext,
  options: { limit: number; cursor?: string | undefined; q?: string | undefined },
) {
  const before = timeCursor(options.cursor);
  const rows = await ctx.readOne((db) =>
    listRows(db, ctx.tenantId, { q: options.q, before, limit: options.limit + 1 }),
  );
  return pageOf(rows, options.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

export async function createCompany(ctx: TenantContext, fields: CompanyFields): Promise<CompanyRow> {
  return uniqueTicker(fields.ticker, () =>
    ctx.transaction(async (tx) => {
      const row = await insertCompany(tx, ctx.tenantId, fields);
      await recordAudit(tx, ctx, {
        action: "company.created",
        resourceType: "company",
        resourceId: row.id,
        after: summaryOf(row),
      });
      return row;
    }),
  );
}

export async function getCompany(ctx: TenantContext, id: string): Promise<CompanyRow> {
  const [row] = await ctx.readOne((db) => companyById(db, ctx.tenantId, id));
  if (!row) throw companyNotFound();
  return row;
}

export async function updateCompany(
  ctx: TenantContext,
  id: string,
  patch: Partial<CompanyFields>,
): Promise<CompanyRow> {
  return uniqueTicker(patch.ticker, () =>
    ctx.transaction(async (tx) => {
      const before = await findCompany(tx, ctx.tenantId, id, true);
      if (!before) throw companyNotFound();
      const after = Object.keys(patch).length > 0 ? await updateRow(tx, ctx.tenantId, id, patch) : before;
      if (!after) throw companyNotFound();
      await recordAudit(tx, ctx, {
        action: "company.updated",
        resourceType: "company",
        resourceId: id,
        before: summaryOf(before),
        after: summaryOf(after),
      });
      return after;
    }),
  );
}

const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Files statements for a company, all or none: 422 on impossible figures, 409 on a period already filed. */
export async function fileStatements(
  ctx: TenantContext,
  companyId: string,
  inputs: StatementInput[],
): Promise<StatementRow[]> {
  const today = ctx.now().toISOString().slice(0, 10);
  return unlessDuplicate(
    ["financial_statements_period_key", "financial_statements_period_end_key"],
    () => new AppError("conflict", "A statement for one of these periods is already on file."),
    () =>
      ctx.transaction(async (tx) => {
        const company = await findCompany(tx, ctx.tenantId, companyId, true);
        if (!company) throw companyNotFound();
        const errors = inputs.flatMap((s, i) =>
          statementProblems(s, `/statements/${i}`, today, company.currency),
        );
        if (errors.length > 0)
          throw new AppError("validation_failed", "The statements are not consistent.", { errors });
        const values = inputs.map((s): NewStatement => {
          const amounts = Object.fromEntries(STATEMENT_AMOUNTS.map((name) => [camel(name), s[name] ?? null]));
          return {
            ...(amounts as unknown as Pick<
              NewStatement,
              "totalAssets" | "totalLiabilities" | "currentAssets" | "currentLiabilities" | "netIncome"
            >),
            tenantId: ctx.tenantId,
            companyId,
            periodType: s.period_type,
            fiscalYear: s.fiscal_year,
            fiscalQuarter: s.fiscal_quarter ?? null,
            periodEnd: s.period_end,
            currency: s.currency,
          } as NewStatement;
        });
        const rows = await insertStatements(tx, values);
        await recordAudit(tx, ctx, {
          action: "statements.filed",
          resourceType: "company",
          resourceId: companyId,
          after: {
            periods: rows.map(
              (r) => `${r.periodType} ${r.fiscalYear}${r.fiscalQuarter ? ` Q${r.fiscalQuarter}` : ""}`,
            ),
          },
        });
        return rows;
      }),
  );
}

/** A company's statements, latest period first. */
export async function listStatements(
  ctx: TenantContext,
  companyId: string,
  options: { limit: number; cursor?: string | undefined; periodType?: PeriodType | undefined },
) {
  const before = timeCursor(options.cursor);
  const found = await ctx.read((db) => ({
    company: read(companyById(db, ctx.tenantId, companyId), (rows) => rows[0]),
    rows: read(
      listStatementRows(db, ctx.tenantId, companyId, {
        periodType: options.periodType,
        before,
        limit: options.limit + 1,
      }),
    ),
  }));
  if (!found.company) throw companyNotFound();
  const { rows } = found;
  // The cursor's time is the period end (midnight UTC): statements page by period, not by filing time.
  return pageOf(rows, options.limit, (row) => ({
    createdAt: new Date(`${row.periodEnd}T00:00:00Z`),
    id: row.id,
  }));
}
