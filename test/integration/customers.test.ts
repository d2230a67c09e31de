/**
 * Customers through the HTTP API: onboarding with a risk rating from stated factors, identity sealed at rest,
 * domain checks (dates in range, fields of the right kind, KYC status and level that agree), a change's history
 * without personal values, the round trips each takes, and tenants kept apart.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { databaseCalls, problemOf } from "./helpers";
import { addUser, createTenant, query } from "./tenancy-fixtures";

interface Customer {
  id: string;
  kind: string;
  reference: string | null;
  country: string;
  identity: Record<string, unknown>;
  pep: boolean;
  kyc_status: string;
  kyc_level: number;
  risk_rating: string;
  risk_factors: Array<{ factor: string; points: number }>;
  version: number;
}

const person = {
  kind: "person",
  country: "GB",
  identity: {
    name: "Ada Quill Marlowe",
    date_of_birth: "1984-03-15",
    national_id: "QQ123456C",
    address: { line1: "1 Example Row", city: "London", postal_code: "N1 9XX", country: "GB" },
    email: "ada.marlowe@example.com",
    phone: "+442071234567",
  },
};

async function onboard(token: string, body: Record<string, unknown> = person) {
  const response = await api("/api/v1/customers", { token, body });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json<Customer>();
}

describe("customers", () => {
  it("onboards a person unverified, rates the risk from its factors, and seals the identity at rest", async () => {
    const tenant = await createTenant("kyc");
    const created = await onboard(tenant.admin.token, { ...person, reference: "C-0001" });
    expect(created).toMatchObject({
      kind: "person",
      reference: "C-0001",
      kyc_status: "unverified",
      kyc_level: 1,
      risk_rating: "low",
      identity: person.identity,
    });
    expect(created.risk_factors).toEqual([{ factor: "kyc_unverified", points: 15 }]);
    const [row] = await query<{ identity_sealed: string }>(
      sql`select identity_sealed from customers where id = ${created.id}`,
    );
    expect(row?.identity_sealed.startsWith("v1.")).toBe(true);
    expect(row?.identity_sealed).not.toContain("Marlowe");
    const read = await api(`/api/v1/customers/${created.id}`, { token: tenant.admin.token });
    expect(await read.json<Customer>()).toMatchObject({ identity: person.identity });

    // A politically exposed person in a jurisdiction under increased monitoring is high risk.
    const exposed = await onboard(tenant.admin.token, { ...person, country: "VN", pep: true });
    expect(exposed.risk_rating).toBe("high");
    expect(exposed.risk_factors.map((f) => f.factor).sort()).toEqual([
      "country_increased_monitoring",
      "kyc_unverified",
      "politically_exposed",
    ]);
    const highs = await api("/api/v1/customers?risk_rating=high", { token: tenant.admin.token });
    expect((await highs.json<{ items: Customer[] }>()).items.map((c) => c.id)).toEqual([exposed.id]);

    const taken = await api("/api/v1/customers", {
      token: tenant.admin.token,
      body: { ...person, reference: "C-0001" },
    });
    expect(taken.status).toBe(409);
  });

  it("refuses what cannot be true: a birth in the future or 130 years ago, a person's field on an entity", async () => {
    const tenant = await createTenant("kyc");
    const future = new Date(Date.now() + 86_400_000 * 2).toISOString().slice(0, 10);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...person, identity: { ...person.identity, date_of_birth: future } }, "/identity/date_of_birth"],
      [
        { ...person, identity: { ...person.identity, date_of_birth: "1890-01-01" } },
        "/identity/date_of_birth",
      ],
      [
        { kind: "entity", country: "DE", identity: { name: "Beispiel GmbH", date_of_birth: "1990-01-01" } },
        "/identity/date_of_birth",
      ],
      [
        { kind: "entity", country: "DE", identity: { name: "Beispiel GmbH", incorporated_on: future } },
        "/identity/incorporated_on",
      ],
    ];
    for (const [body, pointer] of cases) {
      const response = await api("/api/v1/customers", { token: tenant.admin.token, body });
      expect(response.status).toBe(422);
      expect((await problemOf(response)).errors?.map((e) => e.pointer)).toContain(pointer);
    }
    for (const body of [
      { ...person, country: "gb" },
      { ...person, identity: { ...person.identity, phone: "020 7123 4567" } },
      { ...person, identity: { ...person.identity, favourite_colour: "blue" } },
      { ...person, kind: "trust" },
    ]) {
      expect((await api("/api/v1/customers", { token: tenant.admin.token, body })).status).toBe(422);
    }
    expect(
      Number(
        (
          await query<{ n: string }>(sql`select count(*) as n from customers where tenant_id = ${tenant.id}`)
        )[0]?.n,
      ),
    ).toBe(0);
  });

  it("changes a customer in two calls, rates it again, and keeps a history that names changed identity fields only", async () => {
    const tenant = await createTenant("kyc");
    const created = await onboard(tenant.admin.token);
    const requestId = `kyc-${crypto.randomUUID()}`;
    const changed = await api(`/api/v1/customers/${created.id}`, {
      method: "PATCH",
      token: tenant.admin.token,
      headers: { "X-Request-Id": requestId },
      body: {
        kyc_status: "verified",
        kyc_level: 2,
        identity: { ...person.identity, address: { line1: "2 Example Row", city: "Leeds", country: "GB" } },
      },
    });
    expect(changed.status, await changed.clone().text()).toBe(200);
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    const after = await changed.json<Customer>();
    expect(after).toMatchObject({ kyc_status: "verified", kyc_level: 2, risk_rating: "low", version: 2 });
    expect(after.risk_factors).toEqual([]);

    const inconsistent = await api(`/api/v1/customers/${created.id}`, {
      method: "PATCH",
      token: tenant.admin.token,
      body: { kyc_level: 1 },
    });
    expect(inconsistent.status).toBe(422);
    expect((await problemOf(inconsistent)).errors?.[0]?.pointer).toBe("/kyc_level");

    const history = await api(`/api/v1/customers/${created.id}/history`, { token: tenant.admin.token });
    const events = (
      await history.json<{ items: Array<{ action: string; summary: Record<string, unknown> }> }>()
    ).items;
    expect(events.map((e) => e.action)).toEqual(["customer.updated", "customer.created"]);
    expect(events[0]?.summary).toMatchObject({
      before: { kycStatus: "unverified", kycLevel: 1 },
      after: { kycStatus: "verified", kycLevel: 2, identityChanged: ["address"] },
    });
    expect(JSON.stringify(events)).not.toContain("Leeds");
    expect(JSON.stringify(events)).not.toContain("Marlowe");
  });

  it("keeps tenants apart and personal data from viewers", async () => {
    const mine = await createTenant("kyc");
    const theirs = await createTenant("kyc");
    const created = await onboard(mine.admin.token);
    for (const path of [`/api/v1/customers/${created.id}`, `/api/v1/customers/${created.id}/history`]) {
      expect((await api(path, { token: theirs.admin.token })).status).toBe(404);
    }
    const patched = await api(`/api/v1/customers/${created.id}`, {
      method: "PATCH",
      token: theirs.admin.token,
      body: { pep: true },
    });
    expect(patched.status).toBe(404);
    const listed = await api("/api/v1/customers", { token: theirs.admin.token });
    expect((await listed.json<{ items: Customer[] }>()).items).toEqual([]);

    const viewer = await addUser(mine, "viewer");
    expect((await api(`/api/v1/customers/${created.id}`, { token: viewer.token })).status).toBe(403);
    const analyst = await addUser(mine, "analyst");
    expect((await api(`/api/v1/customers/${created.id}`, { token: analyst.token })).status).toBe(200);
  });

  it("is created in two calls (the active sanctions list, then the write) and read in one, over HTTP", async () => {
    const tenant = await createTenant("kyc");
    const requestId = `kyc-${crypto.randomUUID()}`;
    const response = await api("/api/v1/customers", {
      token: tenant.admin.token,
      headers: { "X-Request-Id": requestId },
      body: person,
    });
    expect(response.status).toBe(201);
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    const { id } = await response.json<Customer>();
    const readId = `kyc-${crypto.randomUUID()}`;
    await api(`/api/v1/customers/${id}`, { token: tenant.admin.token, headers: { "X-Request-Id": readId } });
    expect(await databaseCalls(readId)).toEqual({ http: 1, websocket: 0 });
  });
});
