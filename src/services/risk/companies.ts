import { and, eq } from "drizzle-orm";
import { read } from "../../db/batch";
import { auditEventStatement } from "../../db/repositories/audit.repository";
import {
  type CompanyFields,
  type CompanyRow,
  companyAsRead,
  companyById,
  listCompanies as listRows,
} from "../../db/repositories/companies.repository";
import {
  listStatements as listStatementRows,
  type NewStatement,
  type StatementRow,
} from "../../db/repositories/statements.repository";
import { asRead } from "../../db/requirements";
import { companies, type PeriodType, financialStatements as statements } from "../../db/tables/risk";
import { unlessDuplicate } from "../../db/unique";
import { AppError } from "../../errors";
import { pageOf, timeCursor } from "../pagination";
import { eventOf } from "../tenancy/audit";
import type { TenantContext } from "../tenancy/context";
import { STATEMENT_AMOUNTS, type StatementInput, statementProblems } from "./statement-rules";

export const companyNotFound = () => new AppError("not_found", "No such company.");

const summaryOf = (row: Pick<CompanyRow, "name" | "ticker" | "currency">) => ({
  name: row.name,
  ticker: row.ticker,
  currency: row.currency,
});

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

/** Creates a company in one round trip, its audit event in the same batch. */
export async function createCompany(ctx: TenantContext, fields: CompanyFields): Promise<CompanyRow> {
  const values = {
    ...fields,
    id: crypto.randomUUID(),
    tenantId: ctx.tenantId,
    ticker: fields.ticker ?? null,
  };
  const event = eventOf(ctx, {
    action: "company.created",
    resourceType: "company",
    resourceId: values.id,
    after: summaryOf(values),
  });
  const written = await uniqueTicker(fields.ticker, () =>
    ctx.write("companies:write", null, (db) => ({
      row: read(db.insert(companies).values(values).returning(), (rows) => rows[0]),
      audit: read(auditEventStatement(db, event)),
    })),
  );
  if (!written.row) throw new Error("company insert returned nothing");
  ctx.audited += 1;
  return written.row;
}

export async function getCompany(ctx: TenantContext, id: string): Promise<CompanyRow> {
  const [row] = await ctx.readOne((db) => companyById(db, ctx.tenantId, id));
  if (!row) throw companyNotFound();
  return row;
}

const STALE = "The company kept changing while this request was made; retry it.";

/** Changes a company: decided on one read, written in a batch that holds only if it is still as read. */
export async function updateCompany(
  ctx: TenantContext,
  id: string,
  patch: Partial<CompanyFields>,
): Promise<CompanyRow> {
  return asRead(STALE, async () => {
    const before = await getCompany(ctx, id);
    const event = eventOf(ctx, {
      action: "company.updated",
      resourceType: "company",
      resourceId: id,
      before: summaryOf(before),
      after: summaryOf({ ...before, ...patch }),
    });
    const changes = Object.keys(patch).length > 0;
    const written = await uniqueTicker(patch.ticker, () =>
      ctx.write("companies:write", null, (db) => ({
        asRead: read(companyAsRead(db, before)),
        ...(changes
          ? {
              row: read(
                db
                  .update(companies)
                  .set(patch)
                  .where(and(eq(companies.tenantId, ctx.tenantId), eq(companies.id, id)))
                  .returning(),
                (rows) => rows[0],
              ),
            }
          : {}),
        audit: read(auditEventStatement(db, event)),
      })),
    );
    ctx.audited += 1;
    return (written.row as CompanyRow | undefined) ?? before;
  });
}

const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Files statements for a company, all or none: 422 on impossible figures, 409 on a period already filed.
 * Judged on one read of the company; filed in one batch that holds only if the company is still as read.
 */
export async function fileStatements(
  ctx: TenantContext,
  companyId: string,
  inputs: StatementInput[],
): Promise<StatementRow[]> {
  const today = ctx.now().toISOString().slice(0, 10);
  return asRead(STALE, async () => {
    const company = await getCompany(ctx, companyId);
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
    const event = eventOf(ctx, {
      action: "statements.filed",
      resourceType: "company",
      resourceId: companyId,
      after: {
        periods: values.map(
          (r) => `${r.periodType} ${r.fiscalYear}${r.fiscalQuarter ? ` Q${r.fiscalQuarter}` : ""}`,
        ),
      },
    });
    const written = await unlessDuplicate(
      ["financial_statements_period_key", "financial_statements_period_end_key"],
      () => new AppError("conflict", "A statement for one of these periods is already on file."),
      () =>
        ctx.write("companies:write", null, (db) => ({
          asRead: read(companyAsRead(db, company)),
          rows: read(db.insert(statements).values(values).returning()),
          audit: read(auditEventStatement(db, event)),
        })),
    );
    ctx.audited += 1;
    return written.rows;
  });
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
