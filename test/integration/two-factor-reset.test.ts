import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { hashPassword } from "../../src/services/auth/passwords";
import { generateTotp } from "../../src/services/auth/totp";
import { api, loginUser, PASSWORD, stepUp } from "./auth-helpers";
import { databaseStatements, problemOf } from "./helpers";
import { addUser, createTenant, query, type TenantFixture } from "./tenancy-fixtures";

/** A user of the tenant who can sign in, with 2FA on and a live session. */
async function enrolledMember(tenant: TenantFixture) {
  const member = await addUser(tenant, "analyst");
  const hash = await hashPassword(PASSWORD);
  await query(sql`update users set password_hash = ${hash} where id = ${member.id}`);
  const login = await loginUser(member.email, PASSWORD);
  const token = login.body.access_token as string;
  await stepUp(token, { password: PASSWORD });
  const { secret } = await (await api("/api/v1/auth/2fa/enable", { method: "POST", token })).json<{
    secret: string;
  }>();
  const verify = await api("/api/v1/auth/2fa/verify", {
    token,
    body: { code: generateTotp({ secret, now: Date.now() }) },
  });
  expect(verify.status).toBe(200);
  return { ...member, token };
}

describe("an administrator resets a user's 2FA", () => {
  it("removes the factor and backup codes, ends the sessions, audits, records and tells the user", async () => {
    const tenant = await createTenant("mfareset");
    const member = await enrolledMember(tenant);
    expect((await loginUser(member.email, PASSWORD)).body).toHaveProperty("mfa_required", true);

    const requestId = `mfa-reset-${crypto.randomUUID()}`;
    const reset = await api(`/api/v1/users/${member.id}/2fa/reset`, {
      method: "POST",
      token: tenant.admin.token,
      headers: { "X-Request-Id": requestId },
    });
    expect(reset.status).toBe(204);
    // Decided on one read, made in one batch; the e-mail's delivery is marked after the answer.
    const calls = await databaseStatements(requestId);
    expect(calls.websocket).toBe(0);
    const marks = (call: string[]) => call.some((q) => q.startsWith('update "email_outbox"'));
    const beforeAnswer = calls.http.filter((call) => !marks(call));
    expect(beforeAnswer).toHaveLength(2);
    expect(beforeAnswer[1]?.some((q) => q.includes("finedge_caller_holds"))).toBe(true);

    expect((await api("/api/v1/auth/me", { token: member.token })).status).toBe(401);
    const codes = await query<{ n: string }>(
      sql`select count(*) as n from backup_codes where user_id = ${member.id}`,
    );
    expect(Number(codes[0]?.n)).toBe(0);
    const signIn = await loginUser(member.email, PASSWORD);
    expect(signIn.body).toHaveProperty("access_token");
    const fresh = signIn.body.access_token as string;
    const me = await api("/api/v1/auth/me", { token: fresh });
    expect((await me.json<{ two_factor_enabled: boolean }>()).two_factor_enabled).toBe(false);

    const events = await api("/api/v1/auth/security-events", { token: fresh });
    const mine = (await events.json<{ items: Array<{ type: string; details: Record<string, unknown> }> }>())
      .items;
    expect(mine.find((e) => e.type === "mfa_reset")?.details).toMatchObject({ by: tenant.admin.id });
    const mail = await api(`/api/v1/dev/mailbox?to=${encodeURIComponent(member.email)}`);
    const templates = (await mail.json<{ messages: Array<{ template: string }> }>()).messages.map(
      (m) => m.template,
    );
    expect(templates).toContain("mfa_reset");
    const audit = await api(`/api/v1/audit-events?resource_id=${member.id}`, { token: tenant.admin.token });
    const actions = (await audit.json<{ items: Array<{ action: string; actor_id: string }> }>()).items;
    expect(actions).toContainEqual(
      expect.objectContaining({ action: "user.mfa_reset", actor_id: tenant.admin.id }),
    );

    // Off now: a second reset has nothing to do.
    const again = await api(`/api/v1/users/${member.id}/2fa/reset`, {
      method: "POST",
      token: tenant.admin.token,
    });
    expect(again.status).toBe(409);
  });

  it("is refused on oneself, to other roles, and for another tenant's user", async () => {
    const tenant = await createTenant("mfareset");
    const self = await api(`/api/v1/users/${tenant.admin.id}/2fa/reset`, {
      method: "POST",
      token: tenant.admin.token,
    });
    expect(self.status).toBe(403);
    expect((await problemOf(self)).code).toBe("forbidden");

    const member = await enrolledMember(tenant);
    const analyst = await addUser(tenant, "analyst");
    const denied = await api(`/api/v1/users/${member.id}/2fa/reset`, {
      method: "POST",
      token: analyst.token,
    });
    expect(denied.status).toBe(403);

    const other = await createTenant("mfareset");
    const foreign = await api(`/api/v1/users/${member.id}/2fa/reset`, {
      method: "POST",
      token: other.admin.token,
    });
    expect(foreign.status).toBe(404);
    // Still enrolled and signed in.
    expect((await api("/api/v1/auth/me", { token: member.token })).status).toBe(200);
    expect((await loginUser(member.email, PASSWORD)).body).toHaveProperty("mfa_required", true);
  });
});
