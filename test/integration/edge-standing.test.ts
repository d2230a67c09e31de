/**
 * The copies of callers' standing that the edge keeps so predictions are answered without the database: a
 * change made through the API applies on the very next request; one made outside it reaches the edge
 * through the outbox the cron delivers.
 */
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { createServiceContext } from "../../src/services/context";
import { deliverOutbox } from "../../src/services/tenancy/edge-standing";
import { api } from "./auth-helpers";
import { bindings, problemOf } from "./helpers";
import { publishTrainedModels, SETUP_TIMEOUT_MS } from "./risk-fixtures";
import { addUser, createApiKey, createTenant, query, type TenantFixture, tokenFor } from "./tenancy-fixtures";

beforeAll(async () => {
  await publishTrainedModels();
}, SETUP_TIMEOUT_MS);

const credit = (token: string) =>
  api("/api/v1/predictions/credit", { token, body: { application: { age: 40 } } });

/** Two predictions: the first fills the edge's copies (after its response), the second is answered from them. */
async function warmed(token: string) {
  expect((await credit(token)).status).toBe(201);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect((await credit(token)).status).toBe(201);
}

const outboxRows = async (target: string) =>
  Number(
    (await query<{ n: string }>(sql`select count(*) as n from authority_outbox where target = ${target}`))[0]
      ?.n,
  );

async function operatorToken(tenant: TenantFixture) {
  const operator = await addUser(tenant, "tenant_admin");
  await query(sql`update users set role = 'super_admin' where id = ${operator.id}`);
  return tokenFor({ id: operator.id, role: "super_admin" }, tenant.id);
}

describe("the standing the edge holds", () => {
  it("a role change through the API applies to the very next prediction", async () => {
    const tenant = await createTenant("edge-role");
    const analyst = await addUser(tenant, "analyst");
    await warmed(analyst.token);
    const demoted = await api(`/api/v1/users/${analyst.id}`, {
      method: "PATCH",
      token: tenant.admin.token,
      body: { role: "viewer" },
    });
    expect(demoted.status, await demoted.clone().text()).toBe(200);
    const refused = await credit(analyst.token);
    expect(refused.status).toBe(403);
    expect((await problemOf(refused)).detail).toContain("predictions:write");
  });

  it("a tenant's suspension and a lowered quota apply to the very next prediction", async () => {
    const platform = await createTenant("edge-platform");
    const operator = await operatorToken(platform);
    const tenant = await createTenant("edge-tenant");
    await warmed(tenant.admin.token);
    const patch = (body: unknown) =>
      api(`/api/v1/tenants/${tenant.id}`, { method: "PATCH", token: operator, body });

    expect((await patch({ quotas: { inference_rows_per_day: 2 } })).status).toBe(200);
    const spent = await credit(tenant.admin.token);
    expect(spent.status).toBe(429);

    expect((await patch({ status: "suspended" })).status).toBe(200);
    const suspended = await credit(tenant.admin.token);
    expect(suspended.status).toBe(403);
    expect((await problemOf(suspended)).detail).toBe("The tenant is suspended.");
  });

  it("an API key's revocation applies to the very next prediction", async () => {
    const tenant = await createTenant("edge-key");
    const { id, key } = await createApiKey(tenant, { scopes: ["predictions:write"] });
    await warmed(key);
    const revoked = await api(`/api/v1/api-keys/${id}`, { method: "DELETE", token: tenant.admin.token });
    expect(revoked.status, await revoked.clone().text()).toBe(204);
    const refused = await credit(key);
    expect(refused.status).toBe(401);
  });

  it("a prediction refused after taking its row gives it back", async () => {
    const platform = await createTenant("edge-give-back");
    const operator = await operatorToken(platform);
    const tenant = await createTenant("edge-give-back");
    const quota = await api(`/api/v1/tenants/${tenant.id}`, {
      method: "PATCH",
      token: operator,
      body: { quotas: { inference_rows_per_day: 1 } },
    });
    expect(quota.status).toBe(200);
    const unscorable = await api("/api/v1/predictions/credit", {
      token: tenant.admin.token,
      body: { application: { age: "forty" } },
    });
    expect(unscorable.status).toBe(422);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The one row of the day is still there: the refused request gave it back.
    expect((await credit(tenant.admin.token)).status).toBe(201);
    expect((await credit(tenant.admin.token)).status).toBe(429);
  });

  it("a revoked token is refused before the body is judged, though both are checked side by side", async () => {
    const tenant = await createTenant("edge-revoked");
    const logout = await api("/api/v1/auth/logout", { token: tenant.admin.token, method: "POST" });
    expect(logout.status).toBeLessThan(300);
    const refused = await api("/api/v1/predictions/credit", {
      token: tenant.admin.token,
      body: { application: "not an object" },
    });
    expect(refused.status).toBe(401);
  });

  it("a change made outside the API reaches the edge through the outbox the cron delivers", async () => {
    const tenant = await createTenant("edge-outbox");
    const analyst = await addUser(tenant, "analyst");
    await warmed(analyst.token);
    await query(sql`update users set status = 'disabled' where id = ${analyst.id}`);
    expect(await outboxRows(analyst.id)).toBeGreaterThan(0);
    // What the cron runs (src/scheduled.ts), alone: the whole cron would also drain other suites' e-mail.
    const context = createServiceContext(bindings, loadConfig(bindings));
    try {
      await deliverOutbox(context);
    } finally {
      await context.database.close();
    }
    expect(await outboxRows(analyst.id)).toBe(0);
    const refused = await credit(analyst.token);
    expect(refused.status).toBe(401);
  });
});
