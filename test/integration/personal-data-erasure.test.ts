import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api, loginUser, PASSWORD, stepUp } from "./auth-helpers";
import { databaseStatements, problemOf } from "./helpers";
import { txPath } from "./portfolio-fixtures";
import {
  addOrganization,
  addUser,
  createTenant,
  platformDatabase,
  query,
  stepUpMember,
} from "./tenancy-fixtures";

const NAME = `Zebulon Quillfeather ${crypto.randomUUID().slice(0, 6)}`;
const AGENT = `ErasureTest/${crypto.randomUUID().slice(0, 8)}`;

/** Every text, jsonb, inet or array column of every table in which `needle` appears. */
async function columnsHolding(needles: string[]): Promise<string[]> {
  const handle = platformDatabase();
  try {
    const { rows } = await handle.db.execute<{ table_name: string; column_name: string }>(
      sql`select table_name, column_name from information_schema.columns
           where table_schema = 'public' and data_type in ('text', 'jsonb', 'inet', 'ARRAY', 'character varying')`,
    );
    const found: string[] = [];
    for (const { table_name, column_name } of rows) {
      for (const needle of needles) {
        const hit = await handle.db.execute(
          sql`select 1 from ${sql.identifier(table_name)}
               where strpos(${sql.identifier(column_name)}::text, ${needle}) > 0 limit 1`,
        );
        if (hit.rows.length > 0) found.push(`${table_name}.${column_name}`);
      }
    }
    return found;
  } finally {
    await handle.close();
  }
}

const verify = async (token: string) =>
  (await api("/api/v1/audit-events/verify", { token })).json<{ valid: boolean; checked: number }>();

describe("personal data erasure", () => {
  it("erases every personal value of a user, keeps the chain and the ledger, and ends the account", async () => {
    const tenant = await createTenant("erasure");
    const victim = await addUser(tenant, "tenant_admin");
    await stepUpMember(victim);
    const login = await loginUser(victim.email, PASSWORD, { "user-agent": AGENT });
    expect(login.status).toBe(200);
    const token = login.body.access_token as string;
    expect(
      (await api("/api/v1/auth/me", { method: "PATCH", token, body: { display_name: NAME } })).status,
    ).toBe(200);
    // The admin changes them too (their address lands in someone else's event), and they move money.
    const patched = await api(`/api/v1/users/${victim.id}`, {
      method: "PATCH",
      token: tenant.admin.token,
      body: { display_name: NAME },
    });
    expect(patched.status).toBeLessThan(500);
    const org = await addOrganization(tenant);
    const created = await api("/api/v1/portfolios", {
      token,
      body: { name: "Book", base_currency: "USD", organization_id: org.id },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const portfolio = await created.json<{ id: string }>();
    const deposit = await api(txPath(portfolio.id), { token, body: { type: "deposit", amount: "250.00" } });
    expect(deposit.status, await deposit.clone().text()).toBe(201);
    expect(await columnsHolding([victim.email, NAME, AGENT])).not.toEqual([]);

    // Not without a fresh step-up of this session, nor on a mistyped address.
    const early = await api("/api/v1/auth/me/erase", { token, body: { confirm_email: victim.email } });
    expect((await problemOf(early)).code).toBe("step_up_required");
    await stepUp(token, { password: PASSWORD });
    const mistyped = await api("/api/v1/auth/me/erase", {
      token,
      body: { confirm_email: "someone@example.com" },
    });
    expect(mistyped.status).toBe(409);

    const requestId = `erase-${crypto.randomUUID()}`;
    const erased = await api("/api/v1/auth/me/erase", {
      token,
      body: { confirm_email: victim.email.toUpperCase() },
      headers: { "x-request-id": requestId },
    });
    expect(erased.status, await erased.clone().text()).toBe(200);
    expect(await erased.json()).toMatchObject({ user_id: victim.id, status: "erased", sessions_ended: 1 });
    // Two calls before the answer (the read, the erasure); after it, the edge's outbox rows are cleared.
    const { http, websocket } = await databaseStatements(requestId);
    expect(websocket).toBe(0);
    expect(
      http.filter((call) => !call.some((statement) => /delete from "?authority_outbox/i.test(statement))),
    ).toHaveLength(2);

    // No personal value of theirs is readable anywhere; the tombstone keeps the id only.
    expect(await columnsHolding([victim.email, NAME, AGENT])).toEqual([]);
    const [user] = await query<Record<string, unknown>>(
      sql`select email, display_name, password_hash, totp_secret, status from users where id = ${victim.id}`,
    );
    expect(user).toEqual({
      email: `erased-${victim.id}@erased.invalid`,
      display_name: null,
      password_hash: null,
      totp_secret: null,
      status: "erased",
    });
    const sessions = await query(
      sql`select 1 from sessions where user_id = ${victim.id} and (ip is not null or user_agent is not null or revoked_at is null)`,
    );
    expect(sessions).toEqual([]);
    expect(await query(sql`select 1 from security_events where user_id = ${victim.id}`)).toEqual([]);
    expect(await query(sql`select 1 from memberships where user_id = ${victim.id}`)).toEqual([]);

    // The trail still verifies, the erasure is in it without their address, and the ledger balances.
    expect(await verify(tenant.admin.token)).toMatchObject({ valid: true });
    const [event] = await query<{ ip: string | null; summary: { after: { redacted_seqs: number[] } } }>(
      sql`select ip, summary from audit_events where tenant_id = ${tenant.id} and action = 'user.erased'`,
    );
    expect(event?.ip).toBeNull();
    expect(event?.summary.after.redacted_seqs.length).toBeGreaterThan(2);
    const unbalanced =
      await query(sql`select transaction_id from ledger_postings where portfolio_id = ${portfolio.id}
      group by transaction_id, unit having sum(amount) <> 0`);
    expect(unbalanced).toEqual([]);
    const [cash] = await query<{ balance: string }>(
      sql`select balance::text from ledger_accounts where portfolio_id = ${portfolio.id} and kind = 'cash'`,
    );
    expect(Number(cash?.balance)).toBe(250);

    // They can no longer sign in, and their tokens are refused at once.
    expect((await loginUser(victim.email, PASSWORD)).status).toBe(401);
    expect((await api("/api/v1/auth/me", { token })).status).toBe(401);
    expect((await api("/api/v1/auth/me", { token: victim.token })).status).toBe(401);
  });

  it("lets a tenant admin erase a member on a request, except under a legal hold", async () => {
    const tenant = await createTenant("erasure");
    const member = await addUser(tenant, "analyst");
    const held = await addUser(tenant, "analyst");
    const analyst = await addUser(tenant, "analyst");
    await query(sql`insert into compliance_cases (tenant_id, title, assignee_id, opened_by_type)
                    values (${tenant.id}, 'Structuring review', ${held.id}, 'system')`);
    const body = (email: string) => ({ confirm_email: email, request_reference: "DSR-7" });

    await stepUpMember(analyst);
    const otherAdmin = await addUser(tenant, "tenant_admin");
    const early = await api(`/api/v1/users/${member.id}/erase`, {
      token: otherAdmin.token,
      body: body(member.email),
    });
    expect(early.status, await early.clone().text()).toBe(403);
    expect((await problemOf(early)).code).toBe("step_up_required");
    const forbidden = await api(`/api/v1/users/${member.id}/erase`, {
      token: analyst.token,
      body: body(member.email),
    });
    expect(forbidden.status).toBe(403);
    const hold = await api(`/api/v1/users/${held.id}/erase`, {
      token: tenant.admin.token,
      body: body(held.email),
    });
    expect(hold.status).toBe(409);
    expect((await problemOf(hold)).code).toBe("legal_hold");
    const [kept] = await query<{ email: string }>(sql`select email from users where id = ${held.id}`);
    expect(kept?.email).toBe(held.email);

    const done = await api(`/api/v1/users/${member.id}/erase`, {
      token: tenant.admin.token,
      body: body(member.email),
    });
    expect(done.status, await done.clone().text()).toBe(200);
    const again = await api(`/api/v1/users/${member.id}/erase`, {
      token: tenant.admin.token,
      body: body(member.email),
    });
    expect(again.status).toBe(409);
    expect((await api("/api/v1/auth/me", { token: member.token })).status).toBe(401);
    const [event] = await query<{ actor_id: string; summary: { after: { reference: string; by: string } } }>(
      sql`select actor_id, summary from audit_events where tenant_id = ${tenant.id} and action = 'user.erased'`,
    );
    expect(event).toMatchObject({
      actor_id: tenant.admin.id,
      summary: { after: { reference: "DSR-7", by: "tenant_admin" } },
    });
    expect(await verify(tenant.admin.token)).toMatchObject({ valid: true });
  });
});
