import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { problemOf } from "./helpers";
import { annualStatement, createCompany, eightQuarters, fileStatements } from "./risk-fixtures";
import { addUser, createApiKey, createTenant, query } from "./tenancy-fixtures";

interface Company {
  id: string;
  name: string;
  ticker: string | null;
  country: string | null;
  industry: string | null;
  currency: string;
}
interface Statement {
  id: string;
  period_type: string;
  fiscal_year: number;
  fiscal_quarter: number | null;
  total_assets: string;
  revenue: string | null;
  working_capital: string | null;
}

const statementCount = async (companyId: string) =>
  Number(
    (
      await query<{ n: string }>(
        sql`select count(*) as n from financial_statements where company_id = ${companyId}`,
      )
    )[0]?.n,
  );

describe("companies", () => {
  it("are created, read, listed, renamed - each change audited - and hidden from other tenants", async () => {
    const tenant = await createTenant("companies");
    const created = await api("/api/v1/companies", {
      token: tenant.admin.token,
      body: { name: " Acme Holdings ", ticker: "acme", country: "US", industry: "Industrials" },
    });
    expect(created.status).toBe(201);
    const company = await created.json<Company>();
    expect(company).toMatchObject({ name: "Acme Holdings", ticker: "ACME", country: "US", currency: "USD" });

    const renamed = await api(`/api/v1/companies/${company.id}`, {
      method: "PATCH",
      token: tenant.admin.token,
      body: { name: "Acme Group", industry: null },
    });
    expect(renamed.status).toBe(200);
    expect(await renamed.json<Company>()).toMatchObject({
      name: "Acme Group",
      industry: null,
      ticker: "ACME",
    });

    const list = await api("/api/v1/companies?q=acme", { token: tenant.admin.token });
    expect((await list.json<{ items: Company[] }>()).items.map((c) => c.id)).toEqual([company.id]);

    const actions = await query<{ action: string }>(
      sql`select action from audit_events where tenant_id = ${tenant.id} and resource_id = ${company.id} order by seq`,
    );
    expect(actions.map((a) => a.action)).toEqual(["company.created", "company.updated"]);

    const other = await createTenant("companies");
    for (const path of [`/api/v1/companies/${company.id}`, `/api/v1/companies/${company.id}/financials`]) {
      const response = await api(path, { token: other.admin.token });
      expect(response.status, path).toBe(404);
      expect((await problemOf(response)).code).toBe("not_found");
    }
    const theirs = await api("/api/v1/companies", { token: other.admin.token });
    expect(await theirs.text()).not.toContain(company.id);
  });

  it("refuses a duplicate ticker (409), unknown fields (422), and writes by viewers (403)", async () => {
    const tenant = await createTenant("companies");
    await createCompany(tenant.admin.token, { ticker: "DUP" });
    const dup = await api("/api/v1/companies", {
      token: tenant.admin.token,
      body: { name: "Other", ticker: "dup" },
    });
    expect(dup.status).toBe(409);
    const extra = await api("/api/v1/companies", {
      token: tenant.admin.token,
      body: { name: "X", tenant_id: tenant.id },
    });
    expect(extra.status).toBe(422);
    const viewer = await addUser(tenant, "viewer");
    const refused = await api("/api/v1/companies", { token: viewer.token, body: { name: "Nope" } });
    expect(refused.status).toBe(403);
    expect((await api("/api/v1/companies", { token: viewer.token })).status).toBe(200);
    const key = await createApiKey(tenant, { scopes: ["predictions:write"] });
    expect((await api("/api/v1/companies", { token: key.key, body: { name: "By key" } })).status).toBe(201);
  });
});

describe("financial statements", () => {
  it("files annual and quarterly statements, amounts kept exact, listed latest period first", async () => {
    const tenant = await createTenant("statements");
    const company = await createCompany(tenant.admin.token);
    const filed = await fileStatements(tenant.admin.token, company.id, [
      annualStatement(2022, { total_assets: "1234567890123.45", revenue: 4_200_000 }),
      ...eightQuarters(2024),
    ]);
    expect(filed.status, await filed.clone().text()).toBe(201);
    const { items } = await filed.json<{ items: Statement[] }>();
    expect(items).toHaveLength(9);
    expect(items[0]).toMatchObject({
      total_assets: "1234567890123.45",
      revenue: "4200000.00",
      working_capital: null,
    });

    const first = await api(`/api/v1/companies/${company.id}/financials?limit=5`, {
      token: tenant.admin.token,
    });
    const page = await first.json<{ items: Statement[]; next_cursor: string }>();
    expect(page.items.map((s) => [s.fiscal_year, s.fiscal_quarter])).toEqual([
      [2024, 4],
      [2024, 3],
      [2024, 2],
      [2024, 1],
      [2023, 4],
    ]);
    const rest = await api(`/api/v1/companies/${company.id}/financials?limit=5&cursor=${page.next_cursor}`, {
      token: tenant.admin.token,
    });
    const second = await rest.json<{ items: Statement[]; next_cursor: string | null }>();
    expect(second.items).toHaveLength(4);
    expect(second.next_cursor).toBeNull();
    const annual = await api(`/api/v1/companies/${company.id}/financials?period_type=annual`, {
      token: tenant.admin.token,
    });
    expect((await annual.json<{ items: Statement[] }>()).items.map((s) => s.fiscal_year)).toEqual([2022]);
  });

  it("refuses impossible figures and periods with 422, per field, and stores none of the batch", async () => {
    const tenant = await createTenant("statements");
    const company = await createCompany(tenant.admin.token);
    const bad = [
      annualStatement(2020),
      annualStatement(2021, { total_assets: "-5.00" }),
      annualStatement(2022, { current_assets: "6000000000.00" }),
      annualStatement(2019, { period_end: "2023-12-31" }),
      { ...annualStatement(2018), period_type: "quarterly" },
      annualStatement(2017, { currency: "EUR" }),
      annualStatement(2016, { long_term_debt: "9000000000.00" }),
      annualStatement(new Date().getUTCFullYear() + 1, {
        period_end: `${new Date().getUTCFullYear() + 1}-12-31`,
      }),
    ];
    const response = await fileStatements(tenant.admin.token, company.id, bad);
    expect(response.status).toBe(422);
    const problem = await problemOf(response);
    expect(problem.code).toBe("validation_failed");
    expect(problem.errors?.map((e) => e.pointer)).toEqual([
      "/statements/1/total_assets",
      "/statements/1/current_assets",
      "/statements/2/current_assets",
      "/statements/3/period_end",
      "/statements/4/fiscal_quarter",
      "/statements/5/currency",
      "/statements/6/long_term_debt",
      "/statements/7/period_end",
    ]);
    expect(await statementCount(company.id)).toBe(0);

    const schema = await fileStatements(tenant.admin.token, company.id, [
      annualStatement(2020, { total_assets: "12.345" }),
    ]);
    expect(schema.status).toBe(422);
    expect((await problemOf(schema)).errors?.[0]?.pointer).toBe("/statements/0/total_assets");
  });

  it("refuses a period already on file with 409, also within one batch, leaving what was there", async () => {
    const tenant = await createTenant("statements");
    const company = await createCompany(tenant.admin.token);
    expect((await fileStatements(tenant.admin.token, company.id, [annualStatement(2022)])).status).toBe(201);
    const again = await fileStatements(tenant.admin.token, company.id, [
      annualStatement(2021),
      annualStatement(2022),
    ]);
    expect(again.status).toBe(409);
    expect((await problemOf(again)).code).toBe("conflict");
    const twice = await fileStatements(tenant.admin.token, company.id, [
      annualStatement(2020),
      annualStatement(2020),
    ]);
    expect(twice.status).toBe(409);
    expect(await statementCount(company.id)).toBe(1);
  });
});
