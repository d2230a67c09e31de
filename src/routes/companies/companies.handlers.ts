import type { RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { tenantOf } from "../../middleware/authorize";
import * as companies from "../../services/risk/companies";
import { STATEMENT_AMOUNTS, type StatementInput } from "../../services/risk/statement-rules";
import type { Company, Statement } from "../../services/risk/types";
import { pageBody } from "../page";
import type * as routes from "./companies.routes";
import type { StatementSchema } from "./statements.schemas";

export const toCompanyView = (row: Company): z.infer<typeof routes.CompanySchema> => ({
  id: row.id,
  name: row.name,
  ticker: row.ticker,
  country: row.country,
  industry: row.industry,
  currency: row.currency,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export const toStatementView = (row: Statement): z.infer<typeof StatementSchema> => {
  const values = row as unknown as Record<string, string | null>;
  return {
    id: row.id,
    company_id: row.companyId,
    period_type: row.periodType,
    fiscal_year: row.fiscalYear,
    fiscal_quarter: row.fiscalQuarter,
    period_end: row.periodEnd,
    currency: row.currency,
    ...(Object.fromEntries(STATEMENT_AMOUNTS.map((name) => [name, values[camel(name)] ?? null])) as Record<
      (typeof STATEMENT_AMOUNTS)[number],
      string | null
    >),
    created_at: row.createdAt.toISOString(),
  };
};

export const listCompanies: RouteHandler<typeof routes.listCompanies, AppEnv> = async (c) => {
  const { limit, cursor, q } = c.req.valid("query");
  const page = await companies.listCompanies(tenantOf(c), { limit, cursor, q });
  return c.json(pageBody(page, toCompanyView), 200);
};

export const createCompany: RouteHandler<typeof routes.createCompany, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const row = await companies.createCompany(tenantOf(c), {
    name: body.name,
    ticker: body.ticker ?? null,
    country: body.country ?? null,
    industry: body.industry ?? null,
    currency: body.currency,
  });
  return c.json(toCompanyView(row), 201);
};

export const getCompany: RouteHandler<typeof routes.getCompany, AppEnv> = async (c) => {
  return c.json(toCompanyView(await companies.getCompany(tenantOf(c), c.req.valid("param").id)), 200);
};

export const updateCompany: RouteHandler<typeof routes.updateCompany, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const patch = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
  const row = await companies.updateCompany(tenantOf(c), c.req.valid("param").id, patch);
  return c.json(toCompanyView(row), 200);
};

export const fileStatements: RouteHandler<typeof routes.fileStatements, AppEnv> = async (c) => {
  const { statements } = c.req.valid("json");
  const rows = await companies.fileStatements(
    tenantOf(c),
    c.req.valid("param").id,
    statements as StatementInput[],
  );
  return c.json({ items: rows.map(toStatementView) }, 201);
};

export const listStatements: RouteHandler<typeof routes.listStatements, AppEnv> = async (c) => {
  const { limit, cursor, period_type } = c.req.valid("query");
  const page = await companies.listStatements(tenantOf(c), c.req.valid("param").id, {
    limit,
    cursor,
    periodType: period_type,
  });
  return c.json(pageBody(page, toStatementView), 200);
};
