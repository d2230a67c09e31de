/**
 * The check on every money movement, through the HTTP API: an owner's KYC standing under the tenant's policy,
 * the versioned policy itself, the blocklist, movements held for review (reserved until an analyst decides,
 * never by their poster), every decision audited with its reasons, CTRs aggregated per customer and business
 * day in the tenant's time zone (exactly one however many deposits race past the threshold), the round trips
 * a checked movement takes, a movement checked without posting, a customer's risk, and a policy's dry run.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { RequestDatabase } from "../../src/db/client";
import { isMonitoringTick, monitorAllTenants } from "../../src/services/money-checks/monitoring-run";
import { api } from "./auth-helpers";
import { bindings, databaseCalls } from "./helpers";
import { createPortfolio, refusal, transact, txPath } from "./portfolio-fixtures";
import { readyList } from "./sanctions-fixtures";
import { addOrganization, addUser, createTenant, query, type TenantFixture } from "./tenancy-fixtures";

const app = createApp();

/** A request as the edge would pass it on: from an address and a country (Cloudflare's metadata). */
async function from(
  where: { ip?: string; country?: string },
  path: string,
  init: { token: string; body?: unknown; method?: string; headers?: Record<string, string> },
) {
  const headers: Record<string, string> = {
    authorization: `Bearer ${init.token}`,
    "user-agent": "FinEdgeTest/1.0",
    ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
    ...(where.ip ? { "cf-connecting-ip": where.ip } : {}),
    ...init.headers,
  };
  const request = new Request(`https://api.test${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    ...(where.country ? { cf: { country: where.country } } : {}),
  } as RequestInit);
  const ctx = createExecutionContext();
  const response = await app.request(request, undefined, bindings, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const person = {
  kind: "person",
  country: "US",
  identity: {
    name: "Nora Quentin Vale",
    date_of_birth: "1979-06-02",
    national_id: "123-45-6789",
    address: { line1: "10 Harbor St", city: "Boston", region: "MA", postal_code: "02110", country: "US" },
  },
};

async function customer(token: string, options: { verified?: boolean } = {}) {
  const created = await api("/api/v1/customers", { token, body: person });
  expect(created.status, await created.clone().text()).toBe(201);
  const { id } = await created.json<{ id: string }>();
  if (options.verified) {
    const verified = await api(`/api/v1/customers/${id}`, {
      method: "PATCH",
      token,
      body: { kyc_status: "verified", kyc_level: 2 },
    });
    expect(verified.status, await verified.clone().text()).toBe(200);
  }
  return id;
}

async function owned(tenant: TenantFixture, customerId: string, org?: { id: string }) {
  const organization = org ?? (await addOrganization(tenant));
  const response = await api("/api/v1/portfolios", {
    token: tenant.admin.token,
    body: { organization_id: organization.id, name: "Held", base_currency: "USD", customer_id: customerId },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const portfolio = await response.json<{ id: string; customer_id: string | null }>();
  expect(portfolio.customer_id).toBe(customerId);
  return { org: organization, portfolio };
}

async function setPolicy(token: string, basedOn: number, policy: Record<string, unknown>) {
  const response = await api("/api/v1/security/policy", {
    method: "PUT",
    token,
    body: { based_on: basedOn, policy },
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<{ version: number; policy: Record<string, unknown> }>();
}

interface Posted {
  id: string;
  status: string;
  check?: { id: string; decision: string; score: number };
}

const reserved = async (portfolioId: string) =>
  (
    await query<{ reserved: string }>(
      sql`select reserved::text from ledger_accounts where portfolio_id = ${portfolioId} and kind = 'cash'`,
    )
  )[0]?.reserved;

describe("money checks", () => {
  it("refuses an unverified owner's movements by default, and lets them through once the policy allows it", async () => {
    const tenant = await createTenant("kyc-policy");
    const token = tenant.admin.token;
    const customerId = await customer(token);
    const { portfolio } = await owned(tenant, customerId);

    const refused = await api(txPath(portfolio.id), { token, body: { type: "deposit", amount: "500.00" } });
    const problem = await refusal(refused, 403, "kyc_required");
    expect(problem.detail).toContain(customerId);
    expect(
      await query(sql`select 1 from portfolio_transactions where portfolio_id = ${portfolio.id}`),
    ).toEqual([]);

    const policy = await setPolicy(token, 0, { unverified_owners: "allow" });
    expect(policy.version).toBe(1);
    const posted = await transact(token, portfolio.id, { type: "deposit", amount: "500.00" });
    expect((posted as unknown as Posted).check).toMatchObject({ decision: "allow", score: 0 });

    // An owner that does not exist, or is another tenant's, is not one.
    const other = await createTenant("kyc-other");
    const foreign = await customer(other.admin.token);
    const org = await addOrganization(tenant);
    for (const customer_id of [crypto.randomUUID(), foreign]) {
      const response = await api("/api/v1/portfolios", {
        token,
        body: { organization_id: org.id, name: "X", base_currency: "USD", customer_id },
      });
      await refusal(response, 404, "not_found", "/customer_id");
    }
    // A house portfolio gets an owner later, and the change is audited.
    const house = await createPortfolio(token, { organization_id: org.id });
    const changed = await api(`/api/v1/portfolios/${house.id}`, {
      method: "PATCH",
      token,
      body: { customer_id: customerId },
    });
    expect(changed.status, await changed.clone().text()).toBe(200);
    expect((await changed.json<{ customer_id: string }>()).customer_id).toBe(customerId);
  });

  it("versions the policy: a change names the version it was made on, is validated whole and audited", async () => {
    const tenant = await createTenant("policy");
    const token = tenant.admin.token;
    const initial = await api("/api/v1/security/policy", { token });
    expect(await initial.json()).toMatchObject({ version: 0, policy: { unverified_owners: "refuse" } });

    const first = await setPolicy(token, 0, { review_at: 40, rules: { velocity_count: { max: 20 } } });
    expect(first.policy).toMatchObject({ review_at: 40, rules: { velocity_count: { max: 20, points: 25 } } });
    await refusal(
      await api("/api/v1/security/policy", {
        method: "PUT",
        token,
        body: { based_on: 0, policy: { review_at: 30 } },
      }),
      409,
      "conflict",
    );
    await refusal(
      await api("/api/v1/security/policy", {
        method: "PUT",
        token,
        body: { based_on: 1, policy: { review_at: 95, block_at: 90 } },
      }),
      422,
      "validation_failed",
      "/policy/review_at",
    );
    await refusal(
      await api("/api/v1/security/policy", {
        method: "PUT",
        token,
        body: { based_on: 1, policy: { ctr: { time_zone: "Mars/Olympus" } } },
      }),
      422,
      "validation_failed",
      "/policy/ctr/time_zone",
    );
    const [event] = await query<{ summary: { before: { version: number }; after: { version: number } } }>(
      sql`select summary from audit_events where tenant_id = ${tenant.id} and action = 'money_policy.changed'`,
    );
    expect(event?.summary.before.version).toBe(0);
    expect(event?.summary.after.version).toBe(1);

    // Only tenant administrators change it; analysts read it.
    const analyst = await addUser(tenant, "analyst");
    expect((await api("/api/v1/security/policy", { token: analyst.token })).status).toBe(200);
    await refusal(
      await api("/api/v1/security/policy", {
        method: "PUT",
        token: analyst.token,
        body: { based_on: 1, policy: {} },
      }),
      403,
      "forbidden",
    );
  });

  it("blocks a blocklisted counterparty or network: nothing posts, the decision is audited with its reasons", async () => {
    const tenant = await createTenant("blocklist");
    const token = tenant.admin.token;
    const org = await addOrganization(tenant);
    const portfolio = await createPortfolio(token, { organization_id: org.id });
    await transact(token, portfolio.id, { type: "deposit", amount: "1000.00" });

    const entry = await api("/api/v1/security/blocklist", {
      token,
      body: { kind: "counterparty", value: "Shell Holdings Ltd", note: "known mule" },
    });
    expect(entry.status, await entry.clone().text()).toBe(201);
    await refusal(
      await api("/api/v1/security/blocklist", {
        token,
        body: { kind: "counterparty", value: "shell holdings ltd" },
      }),
      409,
      "conflict",
    );
    await refusal(
      await api("/api/v1/security/blocklist", { token, body: { kind: "ip", value: "300.1.1.1/8" } }),
      422,
      "validation_failed",
      "/value",
    );
    const net = await api("/api/v1/security/blocklist", {
      token,
      body: { kind: "ip", value: "203.0.113.0/24" },
    });
    expect(net.status).toBe(201);

    const before = await query(
      sql`select id from portfolio_transactions where portfolio_id = ${portfolio.id}`,
    );
    const blocked = await api(txPath(portfolio.id), {
      token,
      body: { type: "withdrawal", amount: "100.00", counterparty: "  SHELL Holdings Ltd " },
    });
    const problem = await refusal(blocked, 403, "movement_blocked");
    expect(problem.detail).not.toContain("blocklist");
    const fromNetwork = await from({ ip: "203.0.113.77" }, txPath(portfolio.id), {
      token,
      body: { type: "deposit", amount: "10.00" },
    });
    await refusal(fromNetwork, 403, "movement_blocked");
    expect(
      await query(sql`select id from portfolio_transactions where portfolio_id = ${portfolio.id}`),
    ).toEqual(before);

    const checks = await api("/api/v1/security/checks?decision=block", { token });
    const page = await checks.json<{
      items: Array<{
        id: string;
        transaction_id: string | null;
        reasons: Array<{ code: string; detail: string }>;
      }>;
    }>();
    expect(page.items).toHaveLength(2);
    expect(page.items.every((c) => c.transaction_id === null)).toBe(true);
    expect(page.items.flatMap((c) => c.reasons.map((r) => r.detail)).join(" ")).toContain(
      "shell holdings ltd",
    );
    const audited = await query<{
      action: string;
      summary: { after: { decision: string; reasons: unknown[] } };
    }>(
      sql`select action, summary from audit_events where tenant_id = ${tenant.id} and action like 'money_check.%' order by seq`,
    );
    expect(audited.map((e) => e.action)).toEqual([
      "money_check.allowed",
      "money_check.blocked",
      "money_check.blocked",
    ]);
    expect(audited[1]?.summary.after.reasons.length).toBeGreaterThan(0);
    // Examiners find them in the compliance trail.
    const trail = await api("/api/v1/compliance/audit-logs?resource_type=money_check", { token });
    expect(trail.status, await trail.clone().text()).toBe(200);
    const actions = (await trail.json<{ items: Array<{ action: string }> }>()).items.map((e) => e.action);
    expect(actions.filter((a) => a === "money_check.blocked")).toHaveLength(2);

    // Removed, the counterparty moves money again.
    const { id } = await entry.json<{ id: string }>();
    expect((await api(`/api/v1/security/blocklist/${id}`, { method: "DELETE", token })).status).toBe(204);
    expect((await api(`/api/v1/security/blocklist/${id}`, { method: "DELETE", token })).status).toBe(404);
    await transact(token, portfolio.id, {
      type: "withdrawal",
      amount: "100.00",
      counterparty: "Shell Holdings Ltd",
    });
  });

  it("holds a risky movement for review with its cash reserved; only someone else approves or rejects it", async () => {
    const tenant = await createTenant("review");
    const token = tenant.admin.token;
    const org = await addOrganization(tenant);
    const portfolio = await createPortfolio(token, { organization_id: org.id });
    // Anything new about the mover holds the movement.
    await setPolicy(token, 0, { review_at: 10 });
    const home = { ip: "198.51.100.10", country: "US" };
    const elsewhere = { ip: "192.0.2.44", country: "US" };
    const deposit = await from(home, txPath(portfolio.id), {
      token,
      body: { type: "deposit", amount: "1000.00" },
    });
    expect(((await deposit.json()) as Posted).check?.decision).toBe("allow");

    const held = await from(elsewhere, txPath(portfolio.id), {
      token,
      body: { type: "withdrawal", amount: "300.00" },
    });
    expect(held.status, await held.clone().text()).toBe(201);
    const heldTx = (await held.json()) as Posted;
    expect(heldTx.status).toBe("pending");
    expect(heldTx.check).toMatchObject({ decision: "review", score: 15 });
    expect(await reserved(portfolio.id)).toBe("300.000000000000000000");
    // What it holds is not available to anything else.
    await refusal(
      await from(home, txPath(portfolio.id), { token, body: { type: "withdrawal", amount: "800.00" } }),
      422,
      "insufficient_funds",
    );
    // The poster can neither settle nor decide it.
    await refusal(
      await api(txPath(portfolio.id, `/${heldTx.id}/settle`), { token, method: "POST" }),
      409,
      "conflict",
    );
    await refusal(
      await api(txPath(portfolio.id, `/${heldTx.id}/approve`), { token, body: {} }),
      403,
      "forbidden",
    );
    const queue = await api("/api/v1/security/checks?review_status=held", { token });
    expect((await queue.json<{ items: Array<{ id: string }> }>()).items.map((c) => c.id)).toEqual([
      heldTx.check?.id,
    ]);

    const reviewer = await addUser(tenant, "analyst", [{ organizationId: org.id, role: "analyst" }]);
    const viewer = await addUser(tenant, "viewer", [{ organizationId: org.id, role: "viewer" }]);
    await refusal(
      await api(txPath(portfolio.id, `/${heldTx.id}/reject`), { token: viewer.token, body: {} }),
      403,
      "forbidden",
    );
    const rejected = await api(txPath(portfolio.id, `/${heldTx.id}/reject`), {
      token: reviewer.token,
      body: { note: "customer did not confirm" },
    });
    expect(rejected.status, await rejected.clone().text()).toBe(200);
    expect(((await rejected.json()) as Posted).status).toBe("cancelled");
    expect(await reserved(portfolio.id)).toBe("0.000000000000000000");
    await refusal(
      await api(txPath(portfolio.id, `/${heldTx.id}/approve`), { token: reviewer.token, body: {} }),
      409,
      "conflict",
    );

    const third = { ip: "185.199.108.1", country: "US" };
    const again = (await (
      await from(third, txPath(portfolio.id), { token, body: { type: "withdrawal", amount: "200.00" } })
    ).json()) as Posted;
    expect(again.check?.decision).toBe("review");
    const approved = await api(txPath(portfolio.id, `/${again.id}/approve`), {
      token: reviewer.token,
      body: {},
    });
    expect(approved.status, await approved.clone().text()).toBe(200);
    expect(((await approved.json()) as Posted).status).toBe("settled");
    const [cash] = await query<{ balance: string; reserved: string }>(
      sql`select balance::text, reserved::text from ledger_accounts where portfolio_id = ${portfolio.id} and kind = 'cash'`,
    );
    expect(cash).toEqual({ balance: "800.000000000000000000", reserved: "0.000000000000000000" });
    const decisions = await query<{ action: string; actor_id: string }>(
      sql`select action, actor_id from audit_events where tenant_id = ${tenant.id}
           and action in ('money_check.held', 'money_check.rejected', 'money_check.approved') order by seq`,
    );
    expect(decisions.map((d) => d.action)).toEqual([
      "money_check.held",
      "money_check.rejected",
      "money_check.held",
      "money_check.approved",
    ]);
    expect(decisions[1]?.actor_id).toBe(reviewer.id);
  });

  it("scores impossible travel and velocity, and a checked movement still takes two round trips", async () => {
    const tenant = await createTenant("travel");
    const token = tenant.admin.token;
    const customerId = await customer(token, { verified: true });
    const { portfolio } = await owned(tenant, customerId);
    await from({ ip: "198.51.100.20", country: "US" }, txPath(portfolio.id), {
      token,
      body: { type: "deposit", amount: "5000.00" },
    });
    const requestId = `mc-${crypto.randomUUID()}`;
    const hop = await from({ ip: "198.51.100.20", country: "RU" }, txPath(portfolio.id), {
      token,
      body: { type: "withdrawal", amount: "100.00" },
      headers: { "X-Request-Id": requestId },
    });
    expect(hop.status, await hop.clone().text()).toBe(201);
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    const posted = (await hop.json()) as Posted;
    expect(posted.check?.decision).toBe("review");
    const check = await api(`/api/v1/security/checks/${posted.check?.id}`, { token });
    const body = await check.json<{
      reasons: Array<{ code: string }>;
      signals: { last: { country: string } };
    }>();
    expect(body.reasons.map((r) => r.code).sort()).toEqual([
      "foreign_country",
      "impossible_travel",
      "new_device",
    ]);
    expect(body.signals.last.country).toBe("US");

    // The same movement checked without posting: same facts, nothing written.
    const count = async () =>
      (await query(sql`select id from money_checks where tenant_id = ${tenant.id}`)).length;
    const checksBefore = await count();
    const preview = await from({ ip: "198.51.100.20", country: "RU" }, "/api/v1/security/fraud-check", {
      token,
      body: { portfolio_id: portfolio.id, type: "withdrawal", amount: "100.00" },
    });
    expect(preview.status, await preview.clone().text()).toBe(200);
    expect(await preview.json()).toMatchObject({ decision: "allow", owner_refusal: null });
    expect(await count()).toBe(checksBefore);

    const risk = await api(`/api/v1/security/risk-score?customer_id=${customerId}`, { token });
    expect(risk.status, await risk.clone().text()).toBe(200);
    expect(await risk.json()).toMatchObject({
      subject: { type: "customer", id: customerId },
      checks: { total: 2, held: 1, blocked: 0 },
    });
    await refusal(
      await api(`/api/v1/security/risk-score?customer_id=${customerId}&user_id=${tenant.admin.id}`, {
        token,
      }),
      400,
      "invalid_parameters",
    );
    // Neither named: the caller's own, as the one who moved the money.
    const own = await api("/api/v1/security/risk-score", { token });
    expect(await own.json()).toMatchObject({
      subject: { type: "user", id: tenant.admin.id },
      checks: { total: 2, held: 1 },
    });

    // What a stricter policy would have done over the same checks: replayed, nothing written.
    const dry = await api("/api/v1/security/policy/dry-run", { token, body: { policy: { block_at: 50 } } });
    expect(dry.status, await dry.clone().text()).toBe(200);
    expect(await dry.json()).toMatchObject({
      checks: 2,
      current: { allow: 1, review: 1, block: 0 },
      candidate: { allow: 1, review: 0, block: 1 },
      changed: [{ check_id: posted.check?.id, from: "review", to: "block" }],
    });
  });

  it("makes exactly one CTR when a customer's cash in one business day passes the threshold, however it races", async () => {
    const tenant = await createTenant("ctr");
    const token = tenant.admin.token;
    const customerId = await customer(token, { verified: true });
    const org = await addOrganization(tenant);
    const { portfolio: first } = await owned(tenant, customerId, org);
    const { portfolio: second } = await owned(tenant, customerId, org);
    const deposits = Array.from({ length: 20 }, (_, i) =>
      api(txPath(i % 2 === 0 ? first.id : second.id), { token, body: { type: "deposit", amount: "600.00" } }),
    );
    const responses = await Promise.all(deposits);
    for (const response of responses) expect(response.status, await response.clone().text()).toBe(201);
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "America/New_York" }).format(new Date());

    const listed = await api("/api/v1/compliance/ctrs", { token });
    const ctrs = (await listed.json<{ items: Array<Record<string, unknown>> }>()).items;
    expect(ctrs).toHaveLength(1);
    expect(ctrs[0]).toMatchObject({
      customer_id: customerId,
      business_day: today,
      direction: "in",
      currency: "USD",
      total: "12000.00",
      source: "automatic",
      status: "open",
    });
    expect(ctrs[0]?.transaction_ids).toHaveLength(20);

    // The business day is New York's (the default time zone): 30 November there runs 05:00Z to 05:00Z.
    const other = await customer(token, { verified: true });
    const { portfolio: third } = await owned(tenant, other, org);
    await transact(token, third.id, {
      type: "deposit",
      amount: "9990.00",
      executed_at: "2026-11-30T05:30:00Z",
    });
    await transact(token, third.id, {
      type: "deposit",
      amount: "50.00",
      executed_at: "2026-12-01T04:59:00Z",
    });
    await transact(token, third.id, {
      type: "deposit",
      amount: "70.00",
      executed_at: "2026-12-01T05:00:00Z",
    });
    const theirs = await api(`/api/v1/compliance/ctrs?customer_id=${other}`, { token });
    expect((await theirs.json<{ items: unknown[] }>()).items).toEqual([
      expect.objectContaining({ business_day: "2026-11-30", total: "10040.00", due_on: "2026-12-15" }),
    ]);

    const id = ctrs[0]?.id as string;
    const csv = await api(`/api/v1/compliance/ctrs/${id}/export?format=csv`, { token });
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const [header, row] = (await csv.text()).trim().split("\r\n");
    expect(header?.split(",")).toContain("subject_name");
    expect(row).toContain("Nora Quentin Vale");
    expect(row).toContain("12000.00");
    const json = await api(`/api/v1/compliance/ctrs/${id}/export`, { token });
    expect(await json.json()).toMatchObject({
      subject: { type: "individual", name: "Nora Quentin Vale", identification: "123-45-6789" },
      cash_in_total: "12000.00",
      cash_out_total: null,
    });

    const filed = await api(`/api/v1/compliance/ctrs/${id}/file`, {
      token,
      body: { filing_reference: "BSA-0001" },
    });
    expect(filed.status, await filed.clone().text()).toBe(200);
    expect(await filed.json()).toMatchObject({ status: "filed", filing_reference: "BSA-0001" });
    await refusal(
      await api(`/api/v1/compliance/ctrs/${id}/file`, { token, body: { filing_reference: "BSA-0002" } }),
      409,
      "conflict",
    );
    const filedEvents = await query(
      sql`select 1 from audit_events where tenant_id = ${tenant.id} and action = 'ctr.filed'`,
    );
    expect(filedEvents).toHaveLength(1);

    // By hand: the day must be a real one in range, the transactions the customer's own.
    const manual = { customer_id: customerId, direction: "out", currency: "USD", total: "11000.00" };
    await refusal(
      await api("/api/v1/compliance/ctr", { token, body: { ...manual, business_day: "2099-01-01" } }),
      422,
      "validation_failed",
      "/business_day",
    );
    const outsider = await createPortfolio(token, { organization_id: org.id });
    const stray = await transact(token, outsider.id, { type: "deposit", amount: "20000.00" });
    await refusal(
      await api("/api/v1/compliance/ctr", {
        token,
        body: { ...manual, business_day: "2026-11-30", transaction_ids: [stray.id] },
      }),
      422,
      "validation_failed",
      "/transaction_ids",
    );
    const made = await api("/api/v1/compliance/ctr", {
      token,
      body: { ...manual, business_day: "2026-11-29" },
    });
    expect(made.status, await made.clone().text()).toBe(201);
    expect(await made.json()).toMatchObject({ source: "manual", due_on: "2026-12-14" });
  });

  it("runs the monitoring scenarios over a window, raising each hit as an alert once", async () => {
    const tenant = await createTenant("monitoring");
    const token = tenant.admin.token;
    const customerId = await customer(token, { verified: true });
    const org = await addOrganization(tenant);
    const { portfolio: first } = await owned(tenant, customerId, org);
    const { portfolio: second } = await owned(tenant, customerId, org);
    // Just under the report line twice in three days, from two portfolios.
    const a = await transact(token, first.id, {
      type: "deposit",
      amount: "9500.00",
      executed_at: "2026-11-02T15:00:00Z",
    });
    const b = await transact(token, second.id, {
      type: "deposit",
      amount: "9900.00",
      executed_at: "2026-11-04T15:00:00Z",
    });
    const window = { to: "2026-11-08T00:00:00Z", days: 7 };

    const runOnce = async () => {
      const response = await api("/api/v1/compliance/monitoring/runs", { token, body: window });
      expect(response.status, await response.clone().text()).toBe(200);
      return response.json<{
        movements: number;
        hits: Array<{ scenario: string; transaction_ids: string[]; alert_id: string | null; amount: string }>;
      }>();
    };
    const run = await runOnce();
    expect(run.movements).toBe(2);
    expect(run.hits).toEqual([
      expect.objectContaining({ scenario: "structuring", transaction_ids: [a.id, b.id], amount: "19400.00" }),
    ]);
    const alertId = run.hits[0]?.alert_id;
    expect(alertId).toBeTruthy();
    const [alert] = await query<{
      kind: string;
      rule: string;
      customer_id: string;
      transaction_ids: string[];
    }>(sql`select kind, rule, customer_id, transaction_ids from compliance_alerts where id = ${alertId}`);
    expect(alert).toMatchObject({ kind: "monitoring", rule: "structuring", customer_id: customerId });
    // Again: the same hit, raised already.
    const again = await runOnce();
    expect(again.hits.map((h) => h.alert_id)).toEqual([null]);
    const alerts = await query(
      sql`select id from compliance_alerts where tenant_id = ${tenant.id} and kind = 'monitoring'`,
    );
    expect(alerts).toHaveLength(1);

    await refusal(
      await api("/api/v1/compliance/monitoring/runs", { token, body: { to: "2099-01-01T00:00:00Z" } }),
      422,
      "validation_failed",
      "/to",
    );
  });

  it("raises a fraud alert for every movement the check holds or blocks", async () => {
    const tenant = await createTenant("fraud-alerts");
    const token = tenant.admin.token;
    const org = await addOrganization(tenant);
    const portfolio = await createPortfolio(token, { organization_id: org.id });
    await setPolicy(token, 0, { review_at: 0 });
    const held = await transact(token, portfolio.id, { type: "deposit", amount: "10.00" });
    expect((held as unknown as Posted).check?.decision).toBe("review");
    await api("/api/v1/security/blocklist", { token, body: { kind: "counterparty", value: "Blocked Co" } });
    await refusal(
      await api(txPath(portfolio.id), {
        token,
        body: { type: "deposit", amount: "5.00", counterparty: "Blocked Co" },
      }),
      403,
      "movement_blocked",
    );
    const alerts = await query<{
      rule: string;
      transaction_ids: string[];
      score: number;
      reasons: unknown[];
    }>(
      sql`select rule, transaction_ids, score, reasons from compliance_alerts where tenant_id = ${tenant.id} and kind = 'fraud' order by created_at`,
    );
    expect(alerts.map((a) => a.rule)).toEqual(["money_check.review", "money_check.block"]);
    expect(alerts[0]?.transaction_ids).toEqual([held.id]);
    expect(alerts[1]?.transaction_ids).toEqual([]);
    expect(alerts[1]?.reasons.length).toBeGreaterThan(0);
  });

  it("holds a movement whose counterparty matches the active sanctions list, without a database call of its own", async () => {
    const tenant = await createTenant("sanctioned-counterparty");
    const token = tenant.admin.token;
    const org = await addOrganization(tenant);
    const portfolio = await createPortfolio(token, { organization_id: org.id });
    await transact(token, portfolio.id, { type: "deposit", amount: "5000.00" });
    // No list yet: nothing to match.
    const before = (await transact(token, portfolio.id, {
      type: "withdrawal",
      amount: "10.00",
      counterparty: "Northwind Maritime Co Ltd",
    })) as unknown as Posted;
    expect(before.check?.decision).toBe("allow");

    await readyList(token);
    const requestId = `mc-${crypto.randomUUID()}`;
    const held = await api(txPath(portfolio.id), {
      token,
      headers: { "X-Request-Id": requestId },
      body: { type: "withdrawal", amount: "10.00", counterparty: "Northwind Maritime Co Ltd" },
    });
    expect(held.status, await held.clone().text()).toBe(201);
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    const posted = (await held.json()) as Posted;
    expect(posted).toMatchObject({ status: "pending", check: { decision: "review", score: 60 } });
    const check = await api(`/api/v1/security/checks/${posted.check?.id}`, { token });
    const body = await check.json<{ reasons: Array<{ code: string; detail: string }> }>();
    expect(body.reasons.map((r) => r.code)).toEqual(["sanctioned_counterparty"]);
    expect(body.reasons[0]?.detail).toContain("NORTHWIND MARITIME");

    // Someone else is no one on the list; the same check answers without posting.
    const clean = (await transact(token, portfolio.id, {
      type: "withdrawal",
      amount: "10.00",
      counterparty: "Harbour Bakery Ltd",
    })) as unknown as Posted;
    expect(clean.check?.decision).toBe("allow");
    const preview = await api("/api/v1/security/fraud-check", {
      token,
      body: {
        portfolio_id: portfolio.id,
        type: "withdrawal",
        amount: "10.00",
        counterparty: "Northwind Maritime",
      },
    });
    expect(await preview.json()).toMatchObject({
      decision: "review",
      reasons: [{ code: "sanctioned_counterparty" }],
    });
  });

  it("runs the scenarios daily from the cron for every tenant, as the system", async () => {
    const tenant = await createTenant("monitoring-cron");
    const token = tenant.admin.token;
    const customerId = await customer(token, { verified: true });
    const { portfolio } = await owned(tenant, customerId);
    await transact(token, portfolio.id, {
      type: "deposit",
      amount: "5000.00",
      executed_at: "2026-10-20T10:00:00Z",
    });
    await transact(token, portfolio.id, {
      type: "withdrawal",
      amount: "4800.00",
      executed_at: "2026-10-21T09:00:00Z",
    });
    const now = new Date("2026-10-22T01:02:00Z");
    expect(isMonitoringTick(now)).toBe(true);
    expect(isMonitoringTick(new Date("2026-10-22T01:05:00Z"))).toBe(false);

    const database = new RequestDatabase({ url: bindings.DATABASE_URL as string, relay: bindings.WS_RELAY });
    try {
      const first = await monitorAllTenants(database, now, "error", [tenant.id]);
      expect(first).toEqual({ tenants: 1, raised: 1 });
      const alerts = await query<{ rule: string; transaction_ids: string[] }>(
        sql`select rule, transaction_ids from compliance_alerts where tenant_id = ${tenant.id} and kind = 'monitoring'`,
      );
      expect(alerts.map((a) => a.rule)).toEqual(["rapid_in_out"]);
      expect(alerts[0]?.transaction_ids).toHaveLength(2);
      const [run] = await query<{ actor_type: string; summary: { after: { raised: number } } }>(
        sql`select actor_type, summary from audit_events where tenant_id = ${tenant.id} and action = 'monitoring.run'`,
      );
      expect(run).toMatchObject({ actor_type: "system", summary: { after: { raised: 1 } } });
      // The next day's run overlaps this one: nothing twice.
      await monitorAllTenants(database, new Date("2026-10-23T01:02:00Z"), "error", [tenant.id]);
      const after = await query(
        sql`select 1 from compliance_alerts where tenant_id = ${tenant.id} and kind = 'monitoring'`,
      );
      expect(after).toHaveLength(1);
    } finally {
      await database.close();
    }
  });
});
