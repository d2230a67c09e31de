import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Bindings } from "../../src/env";
import { appWith, problemOf, startInsideOneWindow } from "./helpers";
import { addUser, createApiKey, createTenant, query } from "./tenancy-fixtures";

// Limits as production counts them (the suites otherwise scale them up).
const request = appWith();
const limits = { RATE_LIMIT_SCALE: "1" } as Partial<Bindings>;
const get = (path: string, token: string) =>
  request(path, { headers: { authorization: `Bearer ${token}` } }, limits);

describe("per-tenant quotas", () => {
  it("count every user and key of the tenant together, on top of each endpoint's limit", async () => {
    await startInsideOneWindow();
    const tenant = await createTenant("quota");
    const other = await createTenant("quota");
    const colleague = await addUser(tenant, "tenant_admin");
    // Creating the key is the tenant's first counted request of the minute.
    const key = await createApiKey(tenant, { scopes: ["audit:read"] });
    await query(sql`update tenants set quotas = '{"requestsPerMinute": 4}' where id = ${tenant.id}`);

    const first = await get("/api/v1/api-keys", tenant.admin.token);
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe('"tenant_api";q=120;w=60, "tenant";q=4;w=60');
    expect(first.headers.get("ratelimit")).toMatch(/"tenant";r=2;t=\d+$/);
    expect((await get("/api/v1/api-keys", colleague.token)).status).toBe(200);
    expect((await get("/api/v1/audit-events", key.key)).status).toBe(200);

    const limited = await get("/api/v1/api-keys", colleague.token);
    expect(limited.status).toBe(429);
    expect((await problemOf(limited)).code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await get("/api/v1/audit-events", key.key)).status).toBe(429);

    // Another institution is untouched.
    expect((await get("/api/v1/api-keys", other.admin.token)).status).toBe(200);
  });

  it("falls back to the platform default when the tenant sets none", async () => {
    const tenant = await createTenant("quota");
    const response = await get("/api/v1/api-keys", tenant.admin.token);
    expect(response.headers.get("ratelimit-policy")).toContain('"tenant";q=6000;w=60');
  });
});
