import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { problemOf } from "./helpers";
import {
  createAsset,
  createPortfolio,
  holdings,
  type Portfolio,
  portfolioIn,
  postTransaction,
  transact,
} from "./portfolio-fixtures";
import { addOrganization, addUser, createApiKey, createTenant, query } from "./tenancy-fixtures";

const path = (id: string, rest = "") => `/api/v1/portfolios/${id}${rest}`;

async function auditActions(tenantId: string, resourceId: string) {
  const rows = await query<{ action: string }>(
    sql`select action from audit_events where tenant_id = ${tenantId} and resource_id = ${resourceId} order by seq`,
  );
  return rows.map((row) => row.action);
}

describe("portfolios", () => {
  it("are created, read, renamed, archived and deleted, each change audited", async () => {
    const tenant = await createTenant("pf");
    const org = await addOrganization(tenant);
    const created = await createPortfolio(tenant.admin.token, { organization_id: org.id, name: " Core " });
    expect(created).toMatchObject({
      name: "Core",
      organization_id: org.id,
      owner_id: tenant.admin.id,
      base_currency: "USD",
      allow_negative_cash: false,
      status: "active",
    });
    const read = await api(path(created.id), { token: tenant.admin.token });
    expect(await read.json()).toEqual(created);

    const renamed = await api(path(created.id), {
      method: "PATCH",
      token: tenant.admin.token,
      body: { name: "Core equity", status: "archived" },
    });
    expect(renamed.status).toBe(200);
    expect(await renamed.json()).toMatchObject({ name: "Core equity", status: "archived" });

    const deleted = await api(path(created.id), { method: "DELETE", token: tenant.admin.token });
    expect(deleted.status).toBe(204);
    expect((await api(path(created.id), { token: tenant.admin.token })).status).toBe(404);
    expect(await auditActions(tenant.id, created.id)).toEqual([
      "portfolio.created",
      "portfolio.updated",
      "portfolio.deleted",
    ]);
  });

  it("follow the organization's roles: viewers read, analysts write, outsiders see nothing", async () => {
    const tenant = await createTenant("pf");
    const desk = await addOrganization(tenant);
    const other = await addOrganization(tenant);
    const viewer = await addUser(tenant, "viewer", [{ organizationId: desk.id, role: "viewer" }]);
    const analyst = await addUser(tenant, "analyst", [{ organizationId: desk.id, role: "analyst" }]);
    // An analyst on another desk who only views this one.
    const mixed = await addUser(tenant, "viewer", [
      { organizationId: other.id, role: "analyst" },
      { organizationId: desk.id, role: "viewer" },
    ]);
    const outsider = await addUser(tenant, "analyst", [{ organizationId: other.id, role: "analyst" }]);

    const mine = await createPortfolio(analyst.token, { organization_id: desk.id });
    expect(mine.organization_id).toBe(desk.id);
    const asViewer = await api("/api/v1/portfolios", {
      token: viewer.token,
      body: { organization_id: desk.id, name: "x", base_currency: "USD" },
    });
    expect(asViewer.status).toBe(403);

    for (const reader of [viewer, mixed, analyst]) {
      expect((await api(path(mine.id), { token: reader.token })).status).toBe(200);
      expect((await api(path(mine.id, "/holdings"), { token: reader.token })).status).toBe(200);
    }
    for (const weak of [viewer, mixed]) {
      const rename = await api(path(mine.id), {
        method: "PATCH",
        token: weak.token,
        body: { name: "mine now" },
      });
      expect(rename.status).toBe(403);
      const deposit = await postTransaction(weak.token, mine.id, { type: "deposit", amount: "10.00" });
      expect(deposit.status).toBe(403);
      expect((await problemOf(deposit)).code).toBe("forbidden");
    }
    // The mixed user may write on its own desk, not this one, even by naming it in a new portfolio.
    const elsewhere = await api("/api/v1/portfolios", {
      token: mixed.token,
      body: { organization_id: desk.id, name: "x", base_currency: "USD" },
    });
    expect(elsewhere.status).toBe(403);

    for (const probe of [
      path(mine.id),
      path(mine.id, "/holdings"),
      path(mine.id, "/ledger"),
      path(mine.id, "/transactions"),
    ]) {
      const response = await api(probe, { token: outsider.token });
      expect(response.status, probe).toBe(404);
    }
    expect((await postTransaction(outsider.token, mine.id, { type: "deposit", amount: "1.00" })).status).toBe(
      404,
    );
    const hidden = await api("/api/v1/portfolios", {
      token: outsider.token,
      body: { organization_id: desk.id, name: "x", base_currency: "USD" },
    });
    expect(hidden.status).toBe(404);

    const listed = async (token: string, query = "") =>
      (await (await api(`/api/v1/portfolios${query}`, { token })).json<{ items: Portfolio[] }>()).items.map(
        (p) => p.id,
      );
    expect(await listed(viewer.token)).toEqual([mine.id]);
    expect(await listed(outsider.token)).toEqual([]);
    expect(await listed(outsider.token, `?organization_id=${desk.id}`)).toEqual([]);
    expect(await listed(tenant.admin.token, `?organization_id=${desk.id}`)).toEqual([mine.id]);
  });

  it("answer 404 to another tenant, users and API keys alike", async () => {
    const tenant = await createTenant("pf");
    const { portfolio } = await portfolioIn(tenant);
    const stranger = await createTenant("pf");
    const key = await createApiKey(stranger, { scopes: ["portfolios:read", "portfolios:write"] });
    for (const credential of [stranger.admin.token, key.key]) {
      expect((await api(path(portfolio.id), { token: credential })).status).toBe(404);
      expect(
        (await postTransaction(credential, portfolio.id, { type: "deposit", amount: "5.00" })).status,
      ).toBe(404);
      const orgOfOther = await api("/api/v1/portfolios", {
        token: credential,
        body: { organization_id: portfolio.organization_id, name: "x", base_currency: "USD" },
      });
      expect(orgOfOther.status).toBe(404);
    }
    const [count] = await query<{ n: string }>(
      sql`select count(*) as n from portfolio_transactions where portfolio_id = ${portfolio.id}`,
    );
    expect(Number(count?.n)).toBe(0);
  });

  it("with history are archived, not deleted; archived ones take no new transactions", async () => {
    const tenant = await createTenant("pf");
    const token = tenant.admin.token;
    const { portfolio } = await portfolioIn(tenant);
    await transact(token, portfolio.id, { type: "deposit", amount: "100.00" });

    const deleted = await api(path(portfolio.id), { method: "DELETE", token });
    expect(deleted.status).toBe(409);
    expect((await problemOf(deleted)).detail).toMatch(/archive/i);

    await api(path(portfolio.id), { method: "PATCH", token, body: { status: "archived" } });
    const refused = await postTransaction(token, portfolio.id, { type: "deposit", amount: "1.00" });
    expect(refused.status).toBe(409);
    expect((await problemOf(refused)).detail).toMatch(/archived/);
    expect((await holdings(token, portfolio.id)).cash.balance).toBe("100.00");

    await api(path(portfolio.id), { method: "PATCH", token, body: { status: "active" } });
    await transact(token, portfolio.id, { type: "deposit", amount: "1.00" });
    expect((await holdings(token, portfolio.id)).cash.balance).toBe("101.00");
  });

  it("may allow negative cash, and forbid it again only while cash is not negative", async () => {
    const tenant = await createTenant("pf");
    const token = tenant.admin.token;
    const asset = await createAsset(tenant);
    const { portfolio } = await portfolioIn(tenant, { allow_negative_cash: true });
    await transact(token, portfolio.id, { type: "buy", asset_id: asset.id, quantity: "3", price: "10" });
    expect((await holdings(token, portfolio.id)).cash.balance).toBe("-30.00");

    const forbid = await api(path(portfolio.id), {
      method: "PATCH",
      token,
      body: { allow_negative_cash: false },
    });
    expect(forbid.status).toBe(409);
    await transact(token, portfolio.id, { type: "deposit", amount: "30.00" });
    const now = await api(path(portfolio.id), {
      method: "PATCH",
      token,
      body: { allow_negative_cash: false },
    });
    expect(now.status).toBe(200);
    const overdraw = await postTransaction(token, portfolio.id, { type: "withdrawal", amount: "0.01" });
    expect(overdraw.status).toBe(422);
    expect((await problemOf(overdraw)).code).toBe("insufficient_funds");
  });

  it("belong to their organization, which is not deleted while it has any", async () => {
    const tenant = await createTenant("pf");
    const { org } = await portfolioIn(tenant);
    const response = await api(`/api/v1/organizations/${org.id}`, {
      method: "DELETE",
      token: tenant.admin.token,
    });
    expect(response.status).toBe(409);
    expect((await problemOf(response)).detail).toMatch(/portfolio/);
  });
});
