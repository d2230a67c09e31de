import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { problemOf } from "./helpers";
import { createApiKey, createTenant, query, tamper } from "./tenancy-fixtures";

const verify = async (token: string) => {
  const response = await api("/api/v1/audit-events/verify", { token });
  expect(response.status).toBe(200);
  return response.json<{
    valid: boolean;
    checked: number;
    first_break: { seq: number; reason: string } | null;
  }>();
};

describe("audit trail", () => {
  it("events from concurrent requests form one unbroken chain", async () => {
    const tenant = await createTenant("audit");
    const responses = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        api("/api/v1/api-keys", {
          token: tenant.admin.token,
          body: { name: `k${i}`, scopes: ["audit:read"] },
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(25).fill(201));

    const result = await verify(tenant.admin.token);
    expect(result).toEqual({ valid: true, checked: 25, first_break: null, starts_after: null });
    const rows = await query<{ seq: string }>(
      sql`select seq from audit_events where tenant_id = ${tenant.id} order by seq`,
    );
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it("records who did what, with the request id and no secrets", async () => {
    const tenant = await createTenant("audit");
    const response = await api("/api/v1/api-keys", {
      token: tenant.admin.token,
      body: { name: "reporting", scopes: ["audit:read"] },
    });
    const { key, id } = await response.json<{ key: string; id: string }>();
    const listed = await api(`/api/v1/audit-events?resource_id=${id}`, { token: tenant.admin.token });
    const { items } = await listed.json<{ items: Array<Record<string, unknown>> }>();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      seq: 1,
      actor_type: "user",
      actor_id: tenant.admin.id,
      action: "api_key.created",
      resource_type: "api_key",
      resource_id: id,
      request_id: response.headers.get("x-request-id"),
    });
    expect(JSON.stringify(items)).not.toContain(key);
  });

  it("refuses UPDATE and DELETE at the database", async () => {
    const tenant = await createTenant("audit");
    await createApiKey(tenant, { scopes: ["audit:read"] });
    await expect(
      query(sql`update audit_events set action = 'x' where tenant_id = ${tenant.id}`),
    ).rejects.toThrow();
    await expect(query(sql`delete from audit_events where tenant_id = ${tenant.id}`)).rejects.toThrow();
    expect((await verify(tenant.admin.token)).valid).toBe(true);
  });

  it("verify names the first altered event, a deleted one and a truncated tail", async () => {
    const tenant = await createTenant("audit");
    for (let i = 0; i < 4; i++) await createApiKey(tenant, { name: `k${i}`, scopes: ["audit:read"] });
    expect((await verify(tenant.admin.token)).valid).toBe(true);

    await tamper(sql`update audit_events set summary = '{"after":{"name":"forged"}}'
                      where tenant_id = ${tenant.id} and seq = 2`);
    expect(await verify(tenant.admin.token)).toEqual({
      valid: false,
      checked: 4,
      first_break: { seq: 2, reason: "hash_mismatch" },
      starts_after: null,
    });

    const other = await createTenant("audit");
    for (let i = 0; i < 3; i++) await createApiKey(other, { name: `k${i}`, scopes: ["audit:read"] });
    await tamper(sql`delete from audit_events where tenant_id = ${other.id} and seq = 2`);
    expect((await verify(other.admin.token)).first_break).toEqual({ seq: 3, reason: "sequence_gap" });

    const third = await createTenant("audit");
    for (let i = 0; i < 3; i++) await createApiKey(third, { name: `k${i}`, scopes: ["audit:read"] });
    await tamper(sql`delete from audit_events where tenant_id = ${third.id} and seq = 3`);
    expect((await verify(third.admin.token)).first_break).toEqual({ seq: 3, reason: "head_mismatch" });
  });

  it("filters by action and time, and pages by cursor without repeats", async () => {
    const tenant = await createTenant("audit");
    const keys = [];
    for (let i = 0; i < 5; i++)
      keys.push(await createApiKey(tenant, { name: `k${i}`, scopes: ["audit:read"] }));
    await api(`/api/v1/api-keys/${keys[0]?.id}`, { method: "DELETE", token: tenant.admin.token });

    const revoked = await api("/api/v1/audit-events?action=api_key.revoked", { token: tenant.admin.token });
    expect((await revoked.json<{ items: unknown[] }>()).items).toHaveLength(1);
    const future = await api(`/api/v1/audit-events?from=${encodeURIComponent("2999-01-01T00:00:00Z")}`, {
      token: tenant.admin.token,
    });
    expect((await future.json<{ items: unknown[] }>()).items).toHaveLength(0);

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await api(`/api/v1/audit-events?limit=2${cursor ? `&cursor=${cursor}` : ""}`, {
        token: tenant.admin.token,
      });
      const body = await page.json<{ items: Array<{ seq: number }>; next_cursor: string | null }>();
      seen.push(...body.items.map((e) => e.seq));
      cursor = body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1]);

    const bad = await api("/api/v1/audit-events?cursor=not-a-cursor", { token: tenant.admin.token });
    expect(bad.status).toBe(400);
    expect((await problemOf(bad)).code).toBe("invalid_parameters");
    // No text column can hold U+0000: refused as the client's mistake, not a database failure.
    const nul = await api("/api/v1/audit-events?action=a%00b", { token: tenant.admin.token });
    expect(nul.status).toBe(400);
    expect((await problemOf(nul)).code).toBe("invalid_parameters");
  });

  it("exports the chain as NDJSON to object storage and records the export", async () => {
    const tenant = await createTenant("audit");
    for (let i = 0; i < 3; i++) await createApiKey(tenant, { name: `k${i}`, scopes: ["audit:read"] });
    const response = await api("/api/v1/audit-events/export", { token: tenant.admin.token, body: {} });
    expect(response.status).toBe(201);
    const result = await response.json<{ key: string; events: number; last_seq: number; sha256: string }>();
    expect(result).toMatchObject({ events: 3, last_seq: 3 });
    const { bindings } = await import("./helpers");
    const object = await bindings.FILES.get(result.key);
    const text = (await object?.text()) ?? "";
    const lines = text
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3]);
    expect(lines[1].prev_hash).toBe(lines[0].hash);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    expect(Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")).toBe(
      result.sha256,
    );

    const exported = await api("/api/v1/audit-events?action=audit.exported", { token: tenant.admin.token });
    expect((await exported.json<{ items: unknown[] }>()).items).toHaveLength(1);
    const empty = await api("/api/v1/audit-events/export", {
      token: tenant.admin.token,
      body: { from_seq: 99 },
    });
    expect(empty.status).toBe(404);
  });
});
