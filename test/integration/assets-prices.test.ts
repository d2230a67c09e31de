import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { problemOf } from "./helpers";
import { type Asset, createAsset, ingestPrices, uniqueSymbol } from "./portfolio-fixtures";
import { addOrganization, addUser, createApiKey, createTenant, query } from "./tenancy-fixtures";

interface PricesView {
  symbol: string;
  latest: { price: string; at: string; source: string } | null;
  items: Array<{ price: string; at: string }>;
  next_cursor: string | null;
}

const at = (iso: string) => new Date(iso).toISOString();

async function pricesOf(token: string, symbol: string, query = "") {
  const response = await api(`/api/v1/prices/${symbol}${query}`, { token });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<PricesView>();
}

async function storedPrices(assetId: string) {
  return query<{ price: string; at: Date }>(
    sql`select price::text, at from asset_prices where asset_id = ${assetId} order by at`,
  );
}

describe("assets", () => {
  it("are created by tenant admins, read by every role, and never by another tenant", async () => {
    const tenant = await createTenant("assets");
    const org = await addOrganization(tenant);
    const viewer = await addUser(tenant, "viewer", [{ organizationId: org.id, role: "viewer" }]);
    const analyst = await addUser(tenant, "analyst", [{ organizationId: org.id, role: "analyst" }]);
    const symbol = uniqueSymbol("a");
    const created = await api("/api/v1/assets", {
      token: tenant.admin.token,
      body: {
        symbol: ` ${symbol.toLowerCase()} `,
        name: "Acme",
        asset_class: "etf",
        currency: "EUR",
        quantity_scale: 4,
      },
    });
    expect(created.status).toBe(201);
    const asset = await created.json<Asset & { exchange: string | null; feed_symbol: string | null }>();
    expect(asset).toMatchObject({
      symbol,
      currency: "EUR",
      quantity_scale: 4,
      exchange: null,
      feed_symbol: null,
    });

    for (const member of [viewer, analyst]) {
      const read = await api(`/api/v1/assets/${asset.id}`, { token: member.token });
      expect(read.status).toBe(200);
      const create = await api("/api/v1/assets", {
        token: member.token,
        body: { symbol: uniqueSymbol(), name: "X", asset_class: "stock", currency: "USD", quantity_scale: 0 },
      });
      expect(create.status).toBe(403);
      expect((await problemOf(create)).code).toBe("forbidden");
    }
    const duplicate = await api("/api/v1/assets", {
      token: tenant.admin.token,
      body: { symbol, name: "Again", asset_class: "stock", currency: "USD", quantity_scale: 0 },
    });
    expect(duplicate.status).toBe(409);

    const stranger = await createTenant("assets");
    expect((await api(`/api/v1/assets/${asset.id}`, { token: stranger.admin.token })).status).toBe(404);
    const patched = await api(`/api/v1/assets/${asset.id}`, {
      method: "PATCH",
      token: stranger.admin.token,
      body: { name: "Hijacked" },
    });
    expect(patched.status).toBe(404);
    // The other tenant may use the same symbol for its own asset.
    await createAsset(stranger, { symbol });
  });

  it("change their description; the precision only grows and symbol and currency are fixed", async () => {
    const tenant = await createTenant("assets");
    const asset = await createAsset(tenant, { quantity_scale: 2 });
    const path = `/api/v1/assets/${asset.id}`;
    const grown = await api(path, {
      method: "PATCH",
      token: tenant.admin.token,
      body: { name: "Renamed", quantity_scale: 4, exchange: "XNYS", feed_symbol: "ibm" },
    });
    expect(grown.status).toBe(200);
    expect(await grown.json()).toMatchObject({
      name: "Renamed",
      quantity_scale: 4,
      exchange: "XNYS",
      feed_symbol: "IBM",
    });

    const shrunk = await api(path, {
      method: "PATCH",
      token: tenant.admin.token,
      body: { quantity_scale: 1 },
    });
    expect(shrunk.status).toBe(422);
    expect((await problemOf(shrunk)).errors?.[0]?.pointer).toBe("/quantity_scale");
    const resymbol = await api(path, { method: "PATCH", token: tenant.admin.token, body: { symbol: "NEW" } });
    expect(resymbol.status).toBe(422);
    const [row] = await query<{ symbol: string; quantity_scale: number }>(
      sql`select symbol, quantity_scale from assets where id = ${asset.id}`,
    );
    expect(row).toEqual({ symbol: asset.symbol, quantity_scale: 4 });
  });

  it("are listed newest first, searched by symbol or name, and paged", async () => {
    const tenant = await createTenant("assets");
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await createAsset(tenant, { symbol: uniqueSymbol(`L${i}`) }));
    const first = await api("/api/v1/assets?limit=2", { token: tenant.admin.token });
    const page = await first.json<{ items: Asset[]; next_cursor: string | null }>();
    expect(page.items.map((a) => a.id)).toEqual([made[2]?.id, made[1]?.id]);
    const second = await api(`/api/v1/assets?limit=2&cursor=${page.next_cursor}`, {
      token: tenant.admin.token,
    });
    expect((await second.json<{ items: Asset[] }>()).items.map((a) => a.id)).toEqual([made[0]?.id]);
    const found = await api(`/api/v1/assets?q=${made[1]?.symbol.slice(0, 6).toLowerCase()}`, {
      token: tenant.admin.token,
    });
    expect((await found.json<{ items: Asset[] }>()).items.map((a) => a.id)).toEqual([made[1]?.id]);
  });
});

describe("prices", () => {
  it("are ingested once per instant: the same price again is a no-op, another is 409 and nothing is stored", async () => {
    const tenant = await createTenant("prices");
    const asset = await createAsset(tenant);
    const token = tenant.admin.token;
    const items = [
      { symbol: asset.symbol, price: "100.50", at: "2026-01-05T21:00:00Z" },
      { symbol: asset.symbol, price: "101", at: "2026-01-06T21:00:00Z" },
    ];
    expect(await ingestPrices(token, items)).toEqual({ received: 2, inserted: 2, unchanged: 0 });
    // "100.5" is the same number as "100.50".
    expect(await ingestPrices(token, [{ ...items[0], price: "100.5" } as (typeof items)[0]])).toEqual({
      received: 1,
      inserted: 0,
      unchanged: 1,
    });

    const conflicting = await api("/api/v1/prices", {
      token,
      body: {
        items: [
          { symbol: asset.symbol, price: "102", currency: "USD", at: "2026-01-07T21:00:00Z" },
          { symbol: asset.symbol, price: "99", currency: "USD", at: "2026-01-06T21:00:00Z" },
        ],
      },
    });
    expect(conflicting.status).toBe(409);
    const problem = await problemOf(conflicting);
    expect(problem.code).toBe("conflict");
    expect(problem.errors?.map((e) => e.pointer)).toEqual(["/items/1/price"]);
    // All or nothing: the valid first item was not kept either.
    expect((await storedPrices(asset.id)).map((p) => p.price)).toEqual([
      "100.500000000000000000",
      "101.000000000000000000",
    ]);
  });

  it("refuse a bad batch naming each bad item, and store none of it", async () => {
    const tenant = await createTenant("prices");
    const asset = await createAsset(tenant);
    const good = { symbol: asset.symbol, price: "10", currency: "USD", at: "2026-02-01T00:00:00Z" };
    const send = (items: unknown[]) => api("/api/v1/prices", { token: tenant.admin.token, body: { items } });

    const malformed = await send([good, good, good, { ...good, price: "1e3" }, { ...good, price: 12.5 }]);
    expect(malformed.status).toBe(422);
    expect((await problemOf(malformed)).errors?.map((e) => e.pointer)).toEqual([
      "/items/3/price",
      "/items/4/price",
    ]);

    const unknown = await send([good, { ...good, symbol: "NOPE" }]);
    expect(unknown.status).toBe(404);
    expect((await problemOf(unknown)).errors?.map((e) => e.pointer)).toEqual(["/items/1/symbol"]);

    const wrong = await send([
      good,
      { ...good, currency: "EUR", at: "2026-02-02T00:00:00Z" },
      { ...good, at: new Date(Date.now() + 3_600_000).toISOString() },
      { ...good, price: "11" },
    ]);
    expect(wrong.status).toBe(422);
    expect((await problemOf(wrong)).errors?.map((e) => e.pointer)).toEqual([
      "/items/1/currency",
      "/items/2/at",
      "/items/3/price",
    ]);
    expect(await storedPrices(asset.id)).toEqual([]);
  });

  it("give the latest price and a paged history, to any role and to API keys", async () => {
    const tenant = await createTenant("prices");
    const org = await addOrganization(tenant);
    const viewer = await addUser(tenant, "viewer", [{ organizationId: org.id, role: "viewer" }]);
    const asset = await createAsset(tenant);
    const feeder = await createApiKey(tenant, { scopes: ["prices:write"] });
    const days = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"];
    await ingestPrices(
      feeder.key,
      days.map((day, i) => ({ symbol: asset.symbol, price: `${50 + i}.25`, at: `${day}T20:00:00Z` })),
    );

    const latest = await pricesOf(viewer.token, asset.symbol.toLowerCase());
    expect(latest).toMatchObject({ symbol: asset.symbol, items: [], next_cursor: null });
    expect(latest.latest).toEqual({ price: "53.25", at: at("2026-03-05T20:00:00Z"), source: "api" });

    const range = "?from=2026-03-03T00:00:00Z&to=2026-03-05T00:00:00Z&limit=1";
    const first = await pricesOf(viewer.token, asset.symbol, range);
    expect(first.items).toEqual([{ price: "52.25", at: at("2026-03-04T20:00:00Z"), source: "api" }]);
    const second = await pricesOf(viewer.token, asset.symbol, `${range}&cursor=${first.next_cursor}`);
    expect(second.items.map((p) => p.price)).toEqual(["51.25"]);
    expect(second.next_cursor).toBeNull();

    // Writing prices is for tenant admins and keys scoped to it.
    const refused = await api("/api/v1/prices", {
      token: viewer.token,
      body: { items: [{ symbol: asset.symbol, price: "1", currency: "USD", at: "2026-03-06T00:00:00Z" }] },
    });
    expect(refused.status).toBe(403);
    const stranger = await createTenant("prices");
    expect((await api(`/api/v1/prices/${asset.symbol}`, { token: stranger.admin.token })).status).toBe(404);
  });
});
