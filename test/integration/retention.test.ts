import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { isRetentionTick, purgeExpiredHistory } from "../../src/services/privacy/retention";
import { api } from "./auth-helpers";
import { problemOf } from "./helpers";
import { addUser, createTenant, platformDatabase, query, tamper } from "./tenancy-fixtures";

const DAY = 86_400_000;

type Verdict = {
  valid: boolean;
  checked: number;
  first_break: { seq: number; reason: string } | null;
  starts_after: { seq: number; hash: string; purged_before: string } | null;
};

const verify = async (token: string) => {
  const response = await api("/api/v1/audit-events/verify", { token });
  expect(response.status).toBe(200);
  return response.json<Verdict>();
};

const setRetention = (token: string, body: Record<string, unknown>) =>
  api("/api/v1/retention", { token, method: "PUT", body });

async function purge(tenantId: string, now: Date) {
  const handle = platformDatabase();
  try {
    return await purgeExpiredHistory(handle, now, "error", [tenantId]);
  } finally {
    await handle.close();
  }
}

describe("retention settings", () => {
  it("start at the defaults, change within bounds, audited; nonsense is 422; only admins", async () => {
    const tenant = await createTenant("retention");
    const read = await api("/api/v1/retention", { token: tenant.admin.token });
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ security_events_days: 90, audit_events_days: 2557 });

    for (const body of [
      { security_events_days: 90, audit_events_days: 365 },
      { security_events_days: 1, audit_events_days: 2557 },
      { security_events_days: 90, audit_events_days: 99_999 },
      { security_events_days: 90.5, audit_events_days: 2557 },
      { security_events_days: 90 },
    ]) {
      const refused = await setRetention(tenant.admin.token, body);
      expect(refused.status).toBe(422);
      expect((await problemOf(refused)).code).toBe("validation_failed");
    }
    const changed = await setRetention(tenant.admin.token, {
      security_events_days: 30,
      audit_events_days: 1827,
    });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toEqual({ security_events_days: 30, audit_events_days: 1827 });
    const after = await api("/api/v1/retention", { token: tenant.admin.token });
    expect(await after.json()).toEqual({ security_events_days: 30, audit_events_days: 1827 });

    const events = await query<{ summary: { before: unknown; after: unknown } }>(
      sql`select summary from audit_events where tenant_id = ${tenant.id} and action = 'retention.updated'`,
    );
    expect(events).toEqual([
      { summary: { before: {}, after: { securityEventsDays: 30, auditEventsDays: 1827 } } },
    ]);

    const analyst = await addUser(tenant, "analyst");
    expect((await api("/api/v1/retention", { token: analyst.token })).status).toBe(403);
    const refused = await setRetention(analyst.token, { security_events_days: 30, audit_events_days: 1827 });
    expect(refused.status).toBe(403);
  });
});

describe("retention purge", () => {
  it("runs at the first tick after 02:00 UTC", () => {
    expect(isRetentionTick(new Date("2031-05-01T02:01:00Z"))).toBe(true);
    expect(isRetentionTick(new Date("2031-05-01T02:06:00Z"))).toBe(false);
    expect(isRetentionTick(new Date("2031-05-01T01:01:00Z"))).toBe(false);
  });

  it("purges the trail's oldest part to a checkpoint the verifier starts from, and still finds tampering", async () => {
    const tenant = await createTenant("purge");
    expect(
      (await setRetention(tenant.admin.token, { security_events_days: 30, audit_events_days: 1827 })).status,
    ).toBe(200);
    const [{ last } = { last: 0 }] = await query<{ last: number }>(
      sql`select max(seq)::int as last from audit_events where tenant_id = ${tenant.id}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const cut = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Events after the cut stay.
    for (const days of [31, 32]) {
      const kept = await setRetention(tenant.admin.token, {
        security_events_days: days,
        audit_events_days: 1827,
      });
      expect(kept.status).toBe(200);
    }
    const securityBefore = await query<{ n: number }>(
      sql`select count(*)::int as n from security_events where tenant_id = ${tenant.id}`,
    );
    expect(securityBefore[0]?.n).toBeGreaterThan(0);

    // Seen from 1827 days after the cut, everything before it is past the trail's retention.
    const result = await purge(tenant.id, new Date(cut.getTime() + 1827 * DAY));
    expect(result.tenants).toBe(1);
    expect(result.auditEvents).toBe(last);

    const verdict = await verify(tenant.admin.token);
    expect(verdict).toMatchObject({ valid: true, checked: 3, first_break: null });
    expect(verdict.starts_after?.seq).toBe(last);
    const [purged] = await query<{ seq: number; summary: { after: Record<string, unknown> } }>(
      sql`select seq::int, summary from audit_events where tenant_id = ${tenant.id} and action = 'retention.purged'`,
    );
    expect(purged?.summary.after).toMatchObject({
      audit_events_purged: last,
      through_seq: last,
      through_hash: verdict.starts_after?.hash,
    });
    const securityAfter = await query<{ n: number }>(
      sql`select count(*)::int as n from security_events where tenant_id = ${tenant.id}`,
    );
    expect(securityAfter[0]?.n).toBe(0);

    // Nothing more to purge: no event.
    expect(await purge(tenant.id, new Date(cut.getTime() + 1827 * DAY))).toMatchObject({ auditEvents: 0 });
    expect((await verify(tenant.admin.token)).checked).toBe(3);

    // The history tables still refuse the application role, and the checkpoints too.
    await expect(query(sql`delete from audit_checkpoints where tenant_id = ${tenant.id}`)).rejects.toThrow();

    await tamper(sql`update audit_events set summary = '{"after":{"forged":true}}'
                      where tenant_id = ${tenant.id} and seq = ${last + 1}`);
    expect(await verify(tenant.admin.token)).toMatchObject({
      valid: false,
      first_break: { seq: last + 1, reason: "hash_mismatch" },
    });
    await tamper(sql`delete from audit_events where tenant_id = ${tenant.id} and seq = ${last + 1}`);
    expect((await verify(tenant.admin.token)).first_break).toEqual({ seq: last + 2, reason: "sequence_gap" });
  });
});
