import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { resultText } from "./bulk-fixtures";
import { call, problemOf } from "./helpers";
import { publishTrainedModels, SETUP_TIMEOUT_MS, waitForJob } from "./risk-fixtures";
import { addUser, createTenant, query, type TenantFixture, tokenFor } from "./tenancy-fixtures";

let operator: string;
beforeAll(async () => {
  await publishTrainedModels();
  const platform = await createTenant("quota-operator");
  const user = await addUser(platform, "viewer");
  await query(sql`update users set role = 'super_admin' where id = ${user.id}`);
  operator = await tokenFor({ id: user.id, role: "super_admin" }, platform.id);
}, SETUP_TIMEOUT_MS);

/** A tenant whose platform operator set its daily inference quota through the API. */
async function tenantWithQuota(rows: number): Promise<TenantFixture> {
  const tenant = await createTenant("quota");
  const response = await api(`/api/v1/tenants/${tenant.id}`, {
    method: "PATCH",
    token: operator,
    body: { quotas: { inference_rows_per_day: rows } },
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return tenant;
}

const credit = (tenant: TenantFixture) =>
  api("/api/v1/predictions/credit", { token: tenant.admin.token, body: { application: { age: 40 } } });

const usage = async (tenantId: string) =>
  Number(
    (await query<{ rows: string }>(sql`select rows from inference_usage where tenant_id = ${tenantId}`))[0]
      ?.rows ?? 0,
  );

describe("the daily inference quota", () => {
  it("scores rows until the quota is used up, then refuses with 429 and stores nothing more", async () => {
    const tenant = await tenantWithQuota(3);
    for (let i = 0; i < 3; i++) expect((await credit(tenant)).status).toBe(201);
    const refused = await credit(tenant);
    expect(refused.status).toBe(429);
    expect((await problemOf(refused)).code).toBe("rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await usage(tenant.id)).toBe(3);
    const [stored] = await query<{ n: string }>(
      sql`select count(*) as n from predictions where tenant_id = ${tenant.id}`,
    );
    expect(Number(stored?.n)).toBe(3);

    const bulk = await call("/api/v1/predictions/bulk", {
      method: "POST",
      headers: { authorization: `Bearer ${tenant.admin.token}`, "content-type": "application/x-ndjson" },
      body: '{"age":30}\n',
    });
    expect(bulk.status).toBe(429);
  });

  it("a bulk job scores what the quota still allows and reports the other rows as failed", async () => {
    const tenant = await tenantWithQuota(4);
    expect((await credit(tenant)).status).toBe(201);
    const rows = Array.from({ length: 5 }, (_, i) =>
      JSON.stringify({ age: 30 + i, reference: `r${i}` }),
    ).join("\n");
    const submitted = await call("/api/v1/predictions/bulk?model=credit-lr", {
      method: "POST",
      headers: { authorization: `Bearer ${tenant.admin.token}`, "content-type": "application/x-ndjson" },
      body: rows,
    });
    expect(submitted.status).toBe(202);
    const { id } = await submitted.json<{ id: string }>();
    const job = await waitForJob(tenant.admin.token, id);
    expect(job).toMatchObject({ status: "partially_failed", progress: { rows_scored: 3, rows_failed: 2 } });
    const lines = (await resultText(tenant.admin.token, id))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { status: string; errors?: Array<{ message: string }> });
    expect(lines.map((l) => l.status)).toEqual(["scored", "scored", "scored", "failed", "failed"]);
    expect(lines[4]?.errors?.[0]?.message).toBe("the daily inference quota is used up");
    expect(await usage(tenant.id)).toBe(4);
  });
});
