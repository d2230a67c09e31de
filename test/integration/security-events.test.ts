import { describe, expect, it } from "vitest";
import { api, loginUser, registerUser } from "./auth-helpers";
import { problemOf } from "./helpers";
import { addUser, createApiKey } from "./tenancy-fixtures";

interface SecurityEvent {
  id: string;
  user_id: string | null;
  type: string;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
  created_at: string;
}
interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

const CLIENT = { "cf-connecting-ip": "203.0.113.77", "user-agent": "SecurityEventsTest/1.0" };

async function events(token: string, query = ""): Promise<Page<SecurityEvent>> {
  const response = await api(`/api/v1/security-events${query}`, { token });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<Page<SecurityEvent>>();
}

/** A registered tenant whose admin then fails one sign-in. */
async function tenantWithFailedLogin() {
  const admin = await registerUser("secev");
  const failed = await loginUser(admin.email, "not-the-password-at-all", CLIENT);
  expect(failed.status).toBe(401);
  return { admin, tenant: { id: admin.tenant.id }, token: admin.access_token };
}

describe("security events", () => {
  it("show the tenant admin their users' failed sign-ins, newest first, with address and agent", async () => {
    const { admin, token } = await tenantWithFailedLogin();
    const page = await events(token);
    expect(page.items.map((e) => e.type)).toEqual(["login_failure", "register"]);
    expect(page.items[0]).toMatchObject({
      user_id: admin.user.id,
      ip: CLIENT["cf-connecting-ip"],
      user_agent: CLIENT["user-agent"],
      details: { factor: "password", failures: 1 },
    });

    const failures = await events(token, "?type=login_failure");
    expect(failures.items.map((e) => e.type)).toEqual(["login_failure"]);
    expect((await events(token, `?user_id=${admin.user.id}`)).items).toHaveLength(2);
    expect((await events(token, `?user_id=${crypto.randomUUID()}`)).items).toEqual([]);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await events(token, `?from=${encodeURIComponent(future)}`)).items).toEqual([]);
    expect((await events(token, "?to=2020-01-01T00:00:00Z")).items).toEqual([]);
  });

  it("page by cursor without skipping or repeating an event", async () => {
    const { admin, token } = await tenantWithFailedLogin();
    await loginUser(admin.email, "still-not-the-password", CLIENT);
    const all = (await events(token)).items.map((e) => e.id);
    expect(all).toHaveLength(3);
    const seen: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const page = await events(token, `?limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.next_cursor;
    }
    expect(seen).toEqual(all);
  });

  it("never show one tenant's events to another", async () => {
    const { admin } = await tenantWithFailedLogin();
    const other = await registerUser("secev");
    const page = await events(other.access_token, "?limit=100");
    expect(page.items.map((e) => e.user_id)).toEqual([other.user.id]);
    expect((await events(other.access_token, `?user_id=${admin.user.id}`)).items).toEqual([]);
  });

  it("are for tenant admins and audit:read keys only", async () => {
    const { tenant, token } = await tenantWithFailedLogin();
    const analyst = await addUser(tenant, "analyst");
    const denied = await api("/api/v1/security-events", { token: analyst.token });
    expect(denied.status).toBe(403);
    expect((await problemOf(denied)).code).toBe("forbidden");

    const fixture = { id: tenant.id, admin: { id: "", email: "", role: "tenant_admin" as const, token } };
    const key = await createApiKey(fixture, { scopes: ["audit:read"] });
    expect((await events(key.key)).items.map((e) => e.type)).toContain("login_failure");

    expect((await api("/api/v1/security-events?type=DROP%20TABLE", { token })).status).toBe(400);
    expect((await api("/api/v1/security-events?user_id=me", { token })).status).toBe(400);
  });
});
