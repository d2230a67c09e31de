import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { problemOf } from "./helpers";
import { addUser, createTenant, type Member, query, type TenantFixture, tokenFor } from "./tenancy-fixtures";

interface Tenant {
  id: string;
  name: string;
  status: "active" | "suspended";
  quotas: { requests_per_minute: number | null; inference_rows_per_day: number | null };
  created_at: string;
  updated_at: string;
}
interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
interface AuditEvent {
  action: string;
  actor_id: string;
  resource_id: string | null;
  summary: { before?: Record<string, unknown>; after?: Record<string, unknown> };
}

/** A platform operator: a tenant's user promoted in the database, with a token minted afterwards. */
async function superAdmin(): Promise<Member & { tenantId: string }> {
  const home = await createTenant("platform");
  const user = await addUser(home, "tenant_admin");
  await query(sql`update users set role = 'super_admin' where id = ${user.id}`);
  const promoted = { ...user, role: "super_admin" as const };
  return { ...promoted, token: await tokenFor(promoted, home.id), tenantId: home.id };
}

async function trail(token: string): Promise<AuditEvent[]> {
  const response = await api("/api/v1/audit-events?limit=100", { token });
  expect(response.status).toBe(200);
  return (await response.json<Page<AuditEvent>>()).items;
}

const tenantPath = (id: string) => `/api/v1/tenants/${id}`;
const patch = (id: string, token: string, body: unknown) =>
  api(tenantPath(id), { method: "PATCH", token, body });

async function createAsOperator(operator: Member, body: unknown): Promise<Tenant> {
  const response = await api("/api/v1/tenants", { token: operator.token, body });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json<Tenant>();
}

describe("tenants", () => {
  it("are created by a platform operator, the event opening the new tenant's own trail", async () => {
    const operator = await superAdmin();
    const created = await createAsOperator(operator, {
      name: "Northwind Capital",
      quotas: { requests_per_minute: 600 },
    });
    expect(created).toMatchObject({
      name: "Northwind Capital",
      status: "active",
      quotas: { requests_per_minute: 600, inference_rows_per_day: null },
    });

    const admin = await addUser({ id: created.id }, "tenant_admin");
    const events = await trail(admin.token);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: "tenant.created",
      actor_id: operator.id,
      resource_id: created.id,
      summary: { after: { name: "Northwind Capital", status: "active", quotas: { requestsPerMinute: 600 } } },
    });
    const operatorHome = await addUser({ id: operator.tenantId }, "tenant_admin");
    expect((await trail(operatorHome.token)).map((e) => e.resource_id)).not.toContain(created.id);

    const read = await api(tenantPath(created.id), { token: operator.token });
    expect(read.status).toBe(200);
    expect(await read.json<Tenant>()).toEqual(created);
  });

  it("are listed, newest first and by cursor, to platform operators only", async () => {
    const operator = await superAdmin();
    const older = await createAsOperator(operator, { name: "Older" });
    const newer = await createAsOperator(operator, { name: "Newer" });
    const first = await api("/api/v1/tenants?limit=100", { token: operator.token });
    expect(first.status).toBe(200);
    const ids = (await first.json<Page<Tenant>>()).items.map((t) => t.id);
    expect(ids).toContain(older.id);
    expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));

    const one = await (await api("/api/v1/tenants?limit=1", { token: operator.token })).json<Page<Tenant>>();
    expect(one.items).toHaveLength(1);
    const next = await api(`/api/v1/tenants?limit=1&cursor=${one.next_cursor}`, { token: operator.token });
    const two = await next.json<Page<Tenant>>();
    expect(two.items).toHaveLength(1);
    expect(two.items[0]?.id).not.toBe(one.items[0]?.id);

    const tenant = await createTenant("tenants");
    const analyst = await addUser(tenant, "analyst");
    for (const token of [tenant.admin.token, analyst.token]) {
      expect((await api("/api/v1/tenants", { token })).status).toBe(403);
      expect((await api("/api/v1/tenants", { token, body: { name: "Mine now" } })).status).toBe(403);
    }
  });

  it("are read by their own admin only; any other tenant's id answers 404", async () => {
    const mine = await createTenant("tenants");
    const theirs = await createTenant("tenants");
    const own = await api(tenantPath(mine.id), { token: mine.admin.token });
    expect(own.status).toBe(200);
    expect(await own.json<Tenant>()).toMatchObject({ id: mine.id, status: "active" });

    for (const id of [theirs.id, crypto.randomUUID()]) {
      const other = await api(tenantPath(id), { token: mine.admin.token });
      expect(other.status).toBe(404);
      expect((await problemOf(other)).code).toBe("not_found");
      expect((await patch(id, mine.admin.token, { name: "Taken" })).status).toBe(404);
    }
    const analyst = await addUser(mine, "analyst");
    expect((await api(tenantPath(mine.id), { token: analyst.token })).status).toBe(403);
    expect((await patch(mine.id, analyst.token, { name: "Renamed" })).status).toBe(403);

    const [row] = await query<{ name: string }>(sql`select name from tenants where id = ${theirs.id}`);
    expect(row?.name).not.toBe("Taken");
  });

  it("are renamed by their admin, who may not change their status or quotas (403)", async () => {
    const tenant = await createTenant("tenants");
    const renamed = await patch(tenant.id, tenant.admin.token, { name: "  Contoso Markets " });
    expect(renamed.status).toBe(200);
    expect(await renamed.json<Tenant>()).toMatchObject({ name: "Contoso Markets" });
    for (const body of [{ status: "suspended" }, { quotas: { requests_per_minute: 100_000 } }]) {
      const denied = await patch(tenant.id, tenant.admin.token, body);
      expect(denied.status).toBe(403);
      expect((await problemOf(denied)).code).toBe("forbidden");
    }
    const events = (await trail(tenant.admin.token)).filter((e) => e.action === "tenant.updated");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_id: tenant.admin.id, resource_id: tenant.id });
    expect(events[0]?.summary.after).toMatchObject({ name: "Contoso Markets" });
  });

  it("are suspended by an operator: every tenant route then answers 403 to their users, until reactivated", async () => {
    const operator = await superAdmin();
    const tenant = await createTenant("tenants");
    const analyst = await addUser(tenant, "analyst");
    const suspended = await patch(tenant.id, operator.token, { status: "suspended" });
    expect(suspended.status).toBe(200);
    expect(await suspended.json<Tenant>()).toMatchObject({ status: "suspended" });

    const routes: Array<[string, TenantFixture["admin"]]> = [
      [tenantPath(tenant.id), tenant.admin],
      ["/api/v1/organizations", tenant.admin],
      ["/api/v1/audit-events", tenant.admin],
      ["/api/v1/security-events", tenant.admin],
      ["/api/v1/organizations", analyst],
    ];
    for (const [path, user] of routes) {
      const response = await api(path, { token: user.token });
      expect(response.status, path).toBe(403);
      expect((await problemOf(response)).detail).toContain("suspended");
    }
    expect((await patch(tenant.id, operator.token, { status: "active" })).status).toBe(200);
    expect((await api("/api/v1/organizations", { token: analyst.token })).status).toBe(200);

    const actions = (await trail(tenant.admin.token)).filter((e) => e.action === "tenant.updated");
    expect(actions.map((e) => [e.actor_id, e.summary.after?.status])).toEqual([
      [operator.id, "active"],
      [operator.id, "suspended"],
    ]);
  });

  it("take quota changes from an operator: merged, and null returns a limit to the default", async () => {
    const operator = await superAdmin();
    const tenant = await createAsOperator(operator, {
      name: "Quota",
      quotas: { requests_per_minute: 600, inference_rows_per_day: 50_000 },
    });
    const raised = await patch(tenant.id, operator.token, { quotas: { inference_rows_per_day: 90_000 } });
    expect((await raised.json<Tenant>()).quotas).toEqual({
      requests_per_minute: 600,
      inference_rows_per_day: 90_000,
    });
    const cleared = await patch(tenant.id, operator.token, { quotas: { requests_per_minute: null } });
    expect((await cleared.json<Tenant>()).quotas).toEqual({
      requests_per_minute: null,
      inference_rows_per_day: 90_000,
    });
    const [row] = await query<{ quotas: unknown }>(sql`select quotas from tenants where id = ${tenant.id}`);
    expect(row?.quotas).toEqual({ inferenceRowsPerDay: 90_000 });

    expect((await patch(crypto.randomUUID(), operator.token, { name: "Ghost" })).status).toBe(404);
    for (const body of [
      { quotas: { requests_per_minute: 0 } },
      { quotas: { requests_per_minute: 1.5 } },
      { quotas: { burst: 10 } },
      { owner: "me" },
      { status: "deleted" },
    ]) {
      expect((await patch(tenant.id, operator.token, body)).status, JSON.stringify(body)).toBe(422);
    }
  });

  it("never let an operator suspend their own tenant", async () => {
    const operator = await superAdmin();
    const refused = await patch(operator.tenantId, operator.token, { status: "suspended" });
    expect(refused.status).toBe(409);
    expect((await api("/api/v1/tenants?limit=1", { token: operator.token })).status).toBe(200);
  });
});
