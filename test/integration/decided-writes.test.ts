/**
 * The database's half of a decided write (migrations/0012, 0015): whatever the Worker decided on, the call
 * re-checks under the lock what the decision rested on, and makes nothing of a decision gone stale - the
 * Worker then decides again. Called directly here, with the scope a request's batch sets, since through the
 * API a decision goes stale only in a race.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { memberAsRead } from "../../src/db/repositories/memberships.repository";
import { organizationLocked } from "../../src/db/repositories/organizations.repository";
import { requirementOf } from "../../src/db/requirements";
import { funded, holdings, transact } from "./portfolio-fixtures";
import { addOrganization, addUser, createTenant, platformDatabase, query } from "./tenancy-fixtures";

type Outcome = { outcome: string; status?: number };

async function call(
  fn: "finedge_ledger_write" | "finedge_ingest_prices" | "finedge_record_chunk",
  tenantId: string,
  payload: object,
) {
  const database = platformDatabase();
  try {
    return await database.tenant(tenantId, async (tx) => {
      await tx.execute(sql`set local role finedge_app`);
      const { rows } = await tx.execute<{ result: Outcome }>(
        sql`select ${sql.raw(fn)}(${JSON.stringify(payload)}::jsonb) as result`,
      );
      return rows[0]?.result as Outcome;
    });
  } finally {
    await database.close();
  }
}

const count = async (portfolioId: string) =>
  Number(
    (
      await query<{ n: string }>(
        sql`select count(*) as n from portfolio_transactions where portfolio_id = ${portfolioId}`,
      )
    )[0]?.n,
  );

/** A deposit of 5.00 as the Worker would send it, resting on `guard`. */
async function deposit(setup: Awaited<ReturnType<typeof funded>>, guard: object, caller?: object) {
  const [org] = await query<{ organization_id: string }>(
    sql`select organization_id from portfolios where id = ${setup.portfolio.id}`,
  );
  const [admin] = await query<{ id: string }>(
    sql`select id from users where tenant_id = ${setup.tenant.id} and role = 'tenant_admin' limit 1`,
  );
  const id = crypto.randomUUID();
  const now = new Date().toISOString();
  const cash = { kind: "cash", unit: "USD", asset_id: null, may_go_negative: false };
  const equity = { kind: "equity", unit: "USD", asset_id: null, may_go_negative: true };
  return {
    tenant_id: setup.tenant.id,
    caller: caller ?? {
      type: "user",
      id: admin?.id,
      tenant_wide: ["super_admin", "tenant_admin"],
      roles: ["super_admin", "tenant_admin", "org_admin", "analyst"],
    },
    idempotency: null,
    portfolio: {
      id: setup.portfolio.id,
      organization_id: org?.organization_id,
      status: "active",
      allow_negative_cash: false,
      ...guard,
    },
    holds: [],
    accounts: [cash, equity],
    transaction: {
      id,
      type: "deposit",
      status: "settled",
      asset_id: null,
      quantity: null,
      price: null,
      price_source: null,
      amount: "5.00",
      fees: "0",
      currency: "USD",
      executed_at: now,
      note: null,
      reversal_of: null,
      created_by_type: "user",
      created_by: admin?.id,
      created_at: now,
      settled_at: now,
      cancelled_at: null,
    },
    posting_transaction_id: id,
    postings: [
      { kind: "cash", unit: "USD", amount: "5.00" },
      { kind: "equity", unit: "USD", amount: "-5.00" },
    ],
    at: now,
    audit: [],
    response: { status: 201, body: "{}", content_type: "application/json" },
  };
}

describe("a decided write", () => {
  it("is made when what it rested on holds, and is stale - writing nothing - when it changed", async () => {
    const setup = await funded("100.00");
    const [version] = await query<{ v: string }>(
      sql`select finedge_book_version(${setup.portfolio.id}) as v`,
    );
    const before = await count(setup.portfolio.id);

    // Another write since the books were read: a backdated decision no longer holds.
    expect(
      (await call("finedge_ledger_write", setup.tenant.id, await deposit(setup, { book: "0:0:0" }))).outcome,
    ).toBe("stale");
    // Something posted after the time the decision took as the newest.
    const past = { newest_at: "2024-01-01T00:00:00Z" };
    expect((await call("finedge_ledger_write", setup.tenant.id, await deposit(setup, past))).outcome).toBe(
      "stale",
    );
    // A caller who no longer holds the permission.
    const stranger = {
      type: "user",
      id: crypto.randomUUID(),
      tenant_wide: ["tenant_admin"],
      roles: ["tenant_admin"],
    };
    const asStranger = await deposit(setup, { book: version?.v }, stranger);
    expect((await call("finedge_ledger_write", setup.tenant.id, asStranger)).outcome).toBe("stale");
    expect(await count(setup.portfolio.id)).toBe(before);

    // The same write resting on the books as they are: made.
    const made = await call(
      "finedge_ledger_write",
      setup.tenant.id,
      await deposit(setup, { book: version?.v }),
    );
    expect(made.outcome).toBe("done");
    expect(await count(setup.portfolio.id)).toBe(before + 1);
    expect((await holdings(setup.token, setup.portfolio.id)).cash.balance).toBe("105.00");
  });

  it("of prices fails whole when an instant was recorded meanwhile, or the count it reports no longer holds", async () => {
    const setup = await funded("0");
    await transact(setup.token, setup.portfolio.id, { type: "deposit", amount: "1.00" });
    const at = "2025-04-01T00:00:00Z";
    const payload = (price: string, inserted: number) => ({
      tenant_id: setup.tenant.id,
      caller: { type: "user", id: crypto.randomUUID(), tenant_wide: [], roles: [] },
      idempotency: null,
      items: [{ asset_id: setup.asset.id, at, price }],
      source: "api",
      inserted,
      audit: [],
      response: { status: 200, body: "{}", content_type: "application/json" },
    });
    // A caller without the permission: stale before anything is written.
    expect((await call("finedge_ingest_prices", setup.tenant.id, payload("10", 1))).outcome).toBe("stale");
    const [admin] = await query<{ id: string }>(
      sql`select id from users where tenant_id = ${setup.tenant.id} and role = 'tenant_admin' limit 1`,
    );
    const asAdmin = (price: string, inserted: number) => ({
      ...payload(price, inserted),
      caller: {
        type: "user",
        id: admin?.id,
        tenant_wide: ["tenant_admin"],
        roles: ["super_admin", "tenant_admin"],
      },
    });
    expect((await call("finedge_ingest_prices", setup.tenant.id, asAdmin("10", 1))).outcome).toBe("done");
    const refusalOf = (p: object) =>
      call("finedge_ingest_prices", setup.tenant.id, p).then(
        () => "made",
        (error: unknown) => requirementOf(error),
      );
    // Decided before that price was recorded: the count no longer holds, or the price differs.
    expect(await refusalOf(asAdmin("10", 1))).toBe("stale");
    expect(await refusalOf(asAdmin("11", 0))).toBe("stale");
    const stored = await query<{ price: string }>(
      sql`select price from asset_prices where asset_id = ${setup.asset.id}`,
    );
    expect(stored.map((row) => Number(row.price))).toEqual([10]);
  });
});

describe("a membership change decided on a read", () => {
  /** Runs the change's re-check as its batch does, after the organization's lock, in the tenant's scope. */
  async function recheck(tenantId: string, organizationId: string, userId: string) {
    const database = platformDatabase();
    try {
      return await database.tenant(tenantId, async (tx) => {
        await tx.execute(sql`set local role finedge_app`);
        await organizationLocked(tx, tenantId, organizationId, "no_organization");
        await memberAsRead(tx, { tenantId, organizationId, userId, role: "org_admin" }, { keepsAdmin: true });
        return "holds";
      });
    } catch (error) {
      return requirementOf(error) ?? String(error);
    } finally {
      await database.close();
    }
  }

  it("holds while another org admin remains, and is stale once the organization would be left without one", async () => {
    const tenant = await createTenant("decided-members");
    const org = await addOrganization(tenant);
    const first = await addUser(tenant, "viewer", [{ organizationId: org.id, role: "org_admin" }]);
    const second = await addUser(tenant, "viewer", [{ organizationId: org.id, role: "org_admin" }]);
    // Decided while both were admins: demoting the first still leaves the second.
    expect(await recheck(tenant.id, org.id, first.id)).toBe("holds");
    // The second was demoted meanwhile (another admin's change committed first): the decision no longer holds.
    await query(sql`update memberships set role = 'analyst' where user_id = ${second.id}`);
    expect(await recheck(tenant.id, org.id, first.id)).toBe("stale");
    // A member no longer in the role read is stale too.
    expect(await recheck(tenant.id, org.id, second.id)).toBe("stale");
  });
});

describe("a bulk chunk recorded in one call (migrations/0016)", () => {
  it("counts a chunk once, says a redelivered one was recorded before, and records nothing for a closed job", async () => {
    const tenant = await createTenant("decided-chunks");
    const jobId = crypto.randomUUID();
    await query(sql`insert into scoring_jobs (id, tenant_id, input_format, input_key, input_bytes, model_name,
                      model_version, model_sha256, model_source, actor_type, rows_total, chunks_total, chunk_rows)
                    values (${jobId}, ${tenant.id}, 'csv', 'in', 10, 'credit-lr', '1.0.0', 'x', 'platform', 'user',
                            4, 2, 2)`);
    const chunk = (n: number, failed: number) => ({
      tenant_id: tenant.id,
      job_id: jobId,
      chunk: n,
      result_key: `out/${n}`,
      scored: 2 - failed,
      failed,
      granted: 2 - failed,
      day: "2026-12-04",
      started_at: new Date().toISOString(),
      errors: Array.from({ length: failed }, (_, i) => ({
        row: n * 2 + i + 1,
        line: n * 2 + i + 2,
        reference: null,
        errors: [{ field: "age", message: "is outside [18, 100]" }],
      })),
    });
    const job = async () =>
      (
        await query<{ status: string; rows_scored: number; rows_failed: number; chunks_done: number }>(
          sql`select status, rows_scored, rows_failed, chunks_done from scoring_jobs where id = ${jobId}`,
        )
      )[0];

    expect(await call("finedge_record_chunk", tenant.id, chunk(0, 1))).toEqual({ outcome: "recorded" });
    expect(await job()).toEqual({ status: "running", rows_scored: 1, rows_failed: 1, chunks_done: 1 });
    expect(await call("finedge_record_chunk", tenant.id, chunk(0, 1))).toEqual({
      outcome: "recorded_before",
    });
    expect((await job())?.chunks_done).toBe(1);

    await query(sql`update scoring_jobs set status = 'cancelled', completed_at = now() where id = ${jobId}`);
    expect(await call("finedge_record_chunk", tenant.id, chunk(1, 0))).toEqual({ outcome: "closed" });
    // Recorded before is asked first: the chunk's file is its own even once the job has closed.
    expect(await call("finedge_record_chunk", tenant.id, chunk(0, 1))).toEqual({
      outcome: "recorded_before",
    });
    expect(await job()).toEqual({ status: "cancelled", rows_scored: 1, rows_failed: 1, chunks_done: 1 });
    const errors = await query<{ n: string }>(
      sql`select count(*) as n from scoring_job_errors where job_id = ${jobId}`,
    );
    expect(Number(errors[0]?.n)).toBe(1);
  });
});
