import { describe, expect, it } from "vitest";
import { API_KEY_SCOPES } from "../../src/services/tenancy/permissions";
import { api } from "./auth-helpers";
import { problemOf } from "./helpers";
import { createPortfolio } from "./portfolio-fixtures";
import { addOrganization, addUser, createApiKey, createTenant } from "./tenancy-fixtures";

describe("API keys", () => {
  it("shows the secret once, stores only its hash, and lists keys without secrets", async () => {
    const tenant = await createTenant("keys");
    const response = await api("/api/v1/api-keys", {
      token: tenant.admin.token,
      body: { name: "nightly batch", scopes: ["audit:read", "predictions:write"] },
    });
    expect(response.status).toBe(201);
    const created = await response.json<{ id: string; key: string; prefix: string; scopes: string[] }>();
    expect(created.key).toMatch(/^fek_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created.prefix.length).toBe(12);

    const listed = await api("/api/v1/api-keys", { token: tenant.admin.token });
    expect(listed.status).toBe(200);
    const page = await listed.json<{ items: Array<Record<string, unknown>> }>();
    expect(page.items.map((k) => k.id)).toEqual([created.id]);
    expect(JSON.stringify(page)).not.toContain(created.key);
  });

  it("authenticates within its scopes, refuses beyond them, and is refused at once after revocation", async () => {
    const tenant = await createTenant("keys");
    const reader = await createApiKey(tenant, { scopes: ["audit:read"] });
    const other = await createApiKey(tenant, { scopes: ["portfolios:read"] });

    const ok = await api("/api/v1/audit-events", { token: reader.key });
    expect(ok.status).toBe(200);
    const events = await ok.json<{ items: Array<{ action: string; actor_id: string }> }>();
    expect(events.items.map((e) => e.action)).toContain("api_key.created");

    const outOfScope = await api("/api/v1/audit-events", { token: other.key });
    expect(outOfScope.status).toBe(403);
    expect((await problemOf(outOfScope)).code).toBe("forbidden");

    // Keys never manage keys or accounts: a valid key without the right is 403; account routes take users only.
    const keys = await api("/api/v1/api-keys", { token: reader.key });
    expect(keys.status).toBe(403);
    expect((await problemOf(keys)).code).toBe("forbidden");
    expect((await api("/api/v1/auth/me", { token: reader.key })).status).toBe(401);

    const revoked = await api(`/api/v1/api-keys/${reader.id}`, {
      method: "DELETE",
      token: tenant.admin.token,
    });
    expect(revoked.status).toBe(204);
    const after = await api("/api/v1/audit-events", { token: reader.key });
    expect(after.status).toBe(401);
    expect(after.headers.get("www-authenticate")).toContain("invalid_token");
  });

  it("confined to an organization, reads its organization only and none of the tenant-wide trails", async () => {
    const tenant = await createTenant("keys");
    const [desk, other] = [await addOrganization(tenant), await addOrganization(tenant)];
    const own = await createPortfolio(tenant.admin.token, { organization_id: desk.id });
    const foreign = await createPortfolio(tenant.admin.token, { organization_id: other.id });
    const confined = await createApiKey(tenant, {
      scopes: [...API_KEY_SCOPES],
      organization_id: desk.id,
    });
    const unconfined = await createApiKey(tenant, { scopes: ["audit:read"] });

    for (const path of [
      "/api/v1/audit-events",
      "/api/v1/audit-events/verify",
      "/api/v1/security-events",
      "/api/v1/users",
      "/api/v1/invitations",
      "/api/v1/api-keys",
    ]) {
      const response = await api(path, { token: confined.key });
      expect(response.status, path).toBe(403);
      expect((await problemOf(response)).code, path).toBe("forbidden");
    }
    // The same scope on an unconfined key still reads the trail.
    expect((await api("/api/v1/audit-events", { token: unconfined.key })).status).toBe(200);
    expect((await api("/api/v1/security-events", { token: unconfined.key })).status).toBe(200);

    const listed = await api("/api/v1/portfolios", { token: confined.key });
    expect(listed.status).toBe(200);
    expect((await listed.json<{ items: Array<{ id: string }> }>()).items.map((p) => p.id)).toEqual([own.id]);
    expect((await api(`/api/v1/portfolios/${foreign.id}`, { token: confined.key })).status).toBe(404);
    expect((await api("/api/v1/assets", { token: confined.key })).status).toBe(200);
  });

  it("refuses an unknown key and an expired one", async () => {
    const tenant = await createTenant("keys");
    const unknown = `fek_${"A".repeat(43)}`;
    expect((await api("/api/v1/audit-events", { token: unknown })).status).toBe(401);

    const soon = new Date(Date.now() + 1500).toISOString();
    const key = await createApiKey(tenant, { scopes: ["audit:read"], expires_at: soon });
    expect((await api("/api/v1/audit-events", { token: key.key })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect((await api("/api/v1/audit-events", { token: key.key })).status).toBe(401);
  });

  it("answers 404 for another tenant's key and 403 to roles below tenant admin", async () => {
    const mine = await createTenant("keys");
    const theirs = await createTenant("keys");
    const key = await createApiKey(theirs, { scopes: ["audit:read"] });
    const response = await api(`/api/v1/api-keys/${key.id}`, { method: "DELETE", token: mine.admin.token });
    expect(response.status).toBe(404);
    expect((await api("/api/v1/audit-events", { token: key.key })).status).toBe(200);

    const analyst = await addUser(mine, "analyst");
    const denied = await api("/api/v1/api-keys", {
      token: analyst.token,
      body: { name: "x", scopes: ["audit:read"] },
    });
    expect(denied.status).toBe(403);
  });

  it("refuses a past expiry and an organization of another tenant", async () => {
    const tenant = await createTenant("keys");
    const past = await api("/api/v1/api-keys", {
      token: tenant.admin.token,
      body: { name: "x", scopes: ["audit:read"], expires_at: "2020-01-01T00:00:00Z" },
    });
    expect(past.status).toBe(422);
    const foreign = await api("/api/v1/api-keys", {
      token: tenant.admin.token,
      body: { name: "x", scopes: ["audit:read"], organization_id: crypto.randomUUID() },
    });
    expect(foreign.status).toBe(422);
  });
});
