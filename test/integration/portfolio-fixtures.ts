/**
 * Portfolio fixtures: assets, prices, portfolios and transactions made through the API, as clients make
 * them, so every fixture also exercises the contract it relies on.
 */
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { api } from "./auth-helpers";
import { problemOf } from "./helpers";
import { addOrganization, createTenant, query, type TenantFixture } from "./tenancy-fixtures";

export interface Asset {
  id: string;
  symbol: string;
  currency: string;
  quantity_scale: number;
}
export interface Portfolio {
  id: string;
  organization_id: string;
  base_currency: string;
  status: string;
  allow_negative_cash: boolean;
}
export interface TransactionView {
  id: string;
  type: string;
  status: string;
  quantity: string | null;
  price: string | null;
  price_source: string | null;
  amount: string;
  fees: string;
  executed_at: string;
  reversal_of: string | null;
  reversed_by: string | null;
}
export interface Holdings {
  cash: { balance: string; reserved: string; available: string; weight: string | null };
  positions: Array<{
    asset_id: string;
    symbol: string;
    name: string;
    quantity: string;
    reserved: string;
    available: string;
    average_cost: string | null;
    cost_basis: string;
    price: string | null;
    price_at: string | null;
    price_source: "stored" | "trade" | null;
    market_value: string | null;
    unrealized_pnl: string | null;
    weight: string | null;
  }>;
  total_value: string;
  unrealized_pnl: string;
}

/** A ticker no other test uses. */
export const uniqueSymbol = (prefix = "T") =>
  `${prefix}${crypto.randomUUID().replaceAll("-", "").slice(0, 8)}`.toUpperCase();

export async function createAsset(
  tenant: TenantFixture,
  body: Partial<{
    symbol: string;
    currency: string;
    quantity_scale: number;
    asset_class: string;
    feed_symbol: string;
  }> = {},
): Promise<Asset> {
  const response = await api("/api/v1/assets", {
    token: tenant.admin.token,
    body: {
      symbol: uniqueSymbol(),
      name: "Fixture asset",
      asset_class: "stock",
      currency: "USD",
      quantity_scale: 0,
      ...body,
    },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json<Asset>();
}

export async function createPortfolio(
  token: string,
  body: { organization_id: string; base_currency?: string; allow_negative_cash?: boolean; name?: string },
): Promise<Portfolio> {
  const response = await api("/api/v1/portfolios", {
    token,
    body: { name: "Fixture portfolio", base_currency: "USD", ...body },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json<Portfolio>();
}

/** A tenant's organization and a USD portfolio in it, created by the tenant admin. */
export async function portfolioIn(tenant: TenantFixture, options: { allow_negative_cash?: boolean } = {}) {
  const org = await addOrganization(tenant);
  const portfolio = await createPortfolio(tenant.admin.token, { organization_id: org.id, ...options });
  return { org, portfolio };
}

export const txPath = (portfolioId: string, rest = "") =>
  `/api/v1/portfolios/${portfolioId}/transactions${rest}`;

export function postTransaction(
  token: string,
  portfolioId: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return api(txPath(portfolioId), { token, body, headers });
}

/** Posts a transaction that must succeed. */
export async function transact(token: string, portfolioId: string, body: Record<string, unknown>) {
  const response = await postTransaction(token, portfolioId, body);
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json<TransactionView>();
}

export async function ingestPrices(
  token: string,
  items: Array<{ symbol: string; price: string; currency?: string; at: string }>,
) {
  const response = await api("/api/v1/prices", {
    token,
    body: { items: items.map((item) => ({ currency: "USD", ...item })) },
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<{ received: number; inserted: number; unchanged: number }>();
}

export async function holdings(token: string, portfolioId: string): Promise<Holdings> {
  const response = await api(`/api/v1/portfolios/${portfolioId}/holdings`, { token });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<Holdings>();
}

/** Transition of a transaction: settle, cancel or reverse. */
export const transition = (token: string, portfolioId: string, id: string, action: string) =>
  api(txPath(portfolioId, `/${id}/${action}`), { token, method: "POST" });

/**
 * One of everything the portfolio feature stores, for isolation suites: an asset with a price, a
 * portfolio with a deposit (sent with an Idempotency-Key, so a stored response exists) and a buy.
 */
export async function seedPortfolio(tenant: TenantFixture, org: { id: string }) {
  const token = tenant.admin.token;
  const asset = await createAsset(tenant, { symbol: uniqueSymbol("S") });
  await ingestPrices(token, [{ symbol: asset.symbol, price: "10", at: "2026-01-02T00:00:00Z" }]);
  const portfolio = await createPortfolio(token, { organization_id: org.id });
  const deposit = await postTransaction(
    token,
    portfolio.id,
    { type: "deposit", amount: "100.00", executed_at: "2026-01-01T00:00:00Z" },
    { "Idempotency-Key": crypto.randomUUID() },
  );
  expect(deposit.status, await deposit.clone().text()).toBe(201);
  const transaction = await transact(token, portfolio.id, {
    type: "buy",
    asset_id: asset.id,
    quantity: "1",
    price: "10",
    executed_at: "2026-01-03T00:00:00Z",
  });
  return { asset, portfolio, transaction };
}

/** A tenant with a funded USD portfolio (the deposit dated early in 2025) and a whole-share asset. */
export async function funded(cash = "1000.00", options: { allow_negative_cash?: boolean } = {}) {
  const tenant = await createTenant("tx");
  const asset = await createAsset(tenant, { quantity_scale: 0 });
  const { portfolio } = await portfolioIn(tenant, options);
  const token = tenant.admin.token;
  // Dated well before anything a test backdates, so it funds every point in time.
  if (cash !== "0") {
    await transact(token, portfolio.id, {
      type: "deposit",
      amount: cash,
      executed_at: "2025-01-01T00:00:00Z",
    });
  }
  return { tenant, asset, portfolio, token };
}

/** Checks a refusal: status, problem code and, if given, the offending field. */
export async function refusal(response: Response, status: number, code: string, pointer?: string) {
  const problem = await problemOf(response);
  expect(response.status, JSON.stringify(problem)).toBe(status);
  expect(problem.code).toBe(code);
  if (pointer) expect(problem.errors?.map((e) => e.pointer)).toContain(pointer);
  return problem;
}

/** The database's own message for a refused statement. */
export async function failure(statement: Parameters<typeof query>[0]): Promise<string> {
  try {
    await query(statement);
  } catch (error) {
    return String((error as { cause?: { message?: string } }).cause?.message ?? error);
  }
  return "accepted";
}

export const postingCount = async (portfolioId: string) =>
  Number(
    (
      await query<{ n: string }>(
        sql`select count(*) as n from ledger_postings where portfolio_id = ${portfolioId}`,
      )
    )[0]?.n,
  );
