import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { verifyAuditChain } from "../../src/db/repositories/audit.repository";
import { contextOf } from "../../src/middleware/request-context";
import { afterResponse } from "../../src/services/after-response";
import {
  api,
  loginUser,
  mailbox,
  mailboxToken,
  PASSWORD,
  type Registered,
  registerUser,
  uniqueEmail,
  waitForMail,
} from "./auth-helpers";
import { bindings, databaseCalls, problemOf } from "./helpers";
import { addOrganization, addUser, createTenant, platformDatabase, query } from "./tenancy-fixtures";

afterEach(() => vi.restoreAllMocks());

/** Everything a client can see of a response except the request id (which is fresh on every request). */
async function visible(response: Response) {
  const headers = [...response.headers.entries()].filter(([name]) => name !== "x-request-id");
  return { status: response.status, headers, body: new Uint8Array(await response.arrayBuffer()) };
}

/** A client address of its own (documentation range), with rate-limit counters of its own. */
const freshClient = () => ({
  "cf-connecting-ip": `2001:db8:${[...crypto.getRandomValues(new Uint16Array(3))].map((n) => n.toString(16)).join(":")}::1`,
});

/** Moves an account's creation back, as if `hours` had passed since it registered. */
const age = (userId: string, hours: number) =>
  query(sql`update users set created_at = now() - make_interval(hours => ${hours}) where id = ${userId}`);

async function userRow(id: string) {
  const [row] = await query<{ email: string; status: string; password_hash: string | null }>(
    sql`select email, status, password_hash from users where id = ${id}`,
  );
  return row;
}

async function securityEvents(userId: string) {
  return query<{ type: string; details: Record<string, unknown> }>(
    sql`select type, details from security_events where user_id = ${userId} order by created_at`,
  );
}

describe("recovery answers alike for known and unknown addresses", () => {
  for (const [path, template] of [
    ["/api/v1/auth/password/forgot", "password_reset"],
    ["/api/v1/auth/magic-link", "magic_link"],
  ] as const) {
    it(`${path}: the same status, headers and body; the link still arrives`, async () => {
      const account = await registerUser("oracle");
      // Each from a fresh client address, so the per-address RateLimit counters read alike too.
      const known = await visible(
        await api(path, { body: { email: account.email }, headers: freshClient() }),
      );
      const unknown = await visible(
        await api(path, { body: { email: uniqueEmail("nobody") }, headers: freshClient() }),
      );
      expect(known.status).toBe(202);
      expect(unknown).toEqual(known);
      // Sent after the response: the mailbox gets it a moment later, and the link works.
      const token = await mailboxToken(account.email, template);
      if (template === "password_reset") {
        const reset = await api("/api/v1/auth/password/reset", {
          body: { token, new_password: "oracle-orbit-lantern-46" },
        });
        expect(reset.status).toBe(204);
      } else {
        const signedIn = await api("/api/v1/auth/magic-link/verify", { body: { token } });
        expect(signedIn.status).toBe(200);
      }
      const types = (await securityEvents(account.user.id)).map((e) => e.type);
      expect(types).toContain(
        template === "password_reset" ? "password_reset_requested" : "magic_link_requested",
      );
    });
  }

  it("the verification resend answers first and e-mails a working link after", async () => {
    const account = await registerUser("resend");
    await waitForMail(account.email, "verify_email");
    const resent = await api("/api/v1/auth/verify-email", { method: "POST", token: account.access_token });
    expect(resent.status).toBe(202);
    const token = await mailboxToken(account.email, "verify_email", 2);
    expect((await api("/api/v1/auth/verify-email/confirm", { body: { token } })).status).toBe(204);
    const again = await api("/api/v1/auth/verify-email", { method: "POST", token: account.access_token });
    expect(again.status).toBe(409);
  });
});

describe("work after the response", () => {
  it("runs once the response is out, on a connection still open, and its failures are logged, not thrown", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ran: string[] = [];
    const app = createApp();
    app.get("/chassis/after", (c) => {
      afterResponse(contextOf(c), "failing chore", async () => {
        await gate;
        throw new Error("the chore broke");
      });
      afterResponse(contextOf(c), "query chore", async () => {
        const result = await c.var.database.db.execute<{ answer: number }>(sql`select 42 as answer`);
        ran.push(`answer ${result.rows[0]?.answer}`);
      });
      return c.json({ ok: true }, 200);
    });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const ctx = createExecutionContext();
    const response = await app.request("https://api.test/chassis/after", {}, bindings, ctx);
    // The answer is out while the first chore still waits at its gate.
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(ran).toEqual([]);
    release();
    await waitOnExecutionContext(ctx);
    expect(ran).toEqual(["answer 42"]);
    const logged = errors.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: "error",
        msg: "failing chore failed",
        requestId: response.headers.get("x-request-id"),
      }),
    );
  });
});

describe("an unverified account expires after 24 hours", () => {
  it("cannot sign in or refresh: the same answer as a wrong password", async () => {
    const account = await registerUser("stale");
    await age(account.user.id, 25);
    const right = await api("/api/v1/auth/login", { body: { email: account.email, password: PASSWORD } });
    const wrong = await api("/api/v1/auth/login", {
      body: { email: account.email, password: "not-the-password-9" },
    });
    expect(right.status).toBe(401);
    const strip = ({ requestId, ...rest }: Awaited<ReturnType<typeof problemOf>>) => rest;
    expect(strip(await problemOf(right))).toEqual(strip(await problemOf(wrong)));
    const refresh = await api("/api/v1/auth/refresh", { body: { refresh_token: account.refresh_token } });
    expect(refresh.status).toBe(401);
    expect((await api("/api/v1/auth/me", { token: account.access_token })).status).toBe(401);
  });

  it("still signs in before 24 hours, and a verified account never expires", async () => {
    const young = await registerUser("young");
    await age(young.user.id, 23);
    expect((await loginUser(young.email, PASSWORD)).status).toBe(200);

    const verified = await registerUser("proved");
    const token = await mailboxToken(verified.email, "verify_email");
    expect((await api("/api/v1/auth/verify-email/confirm", { body: { token } })).status).toBe(204);
    await age(verified.user.id, 24 * 30);
    expect((await loginUser(verified.email, PASSWORD)).status).toBe(200);
    const taken = await api("/api/v1/auth/register", { body: { email: verified.email, password: PASSWORD } });
    expect(taken.status).toBe(409);
    expect((await problemOf(taken)).code).toBe("email_taken");
  });

  it("registering the address again releases it: 201, the old account becomes an audited tombstone", async () => {
    const squatter = await registerUser("squat");
    // The squatter's tenant has a history, which must still verify after the release.
    const org = await api("/api/v1/organizations", { token: squatter.access_token, body: { name: "Squat" } });
    expect(org.status).toBe(201);
    const young = await api("/api/v1/auth/register", { body: { email: squatter.email, password: PASSWORD } });
    expect(young.status).toBe(409);

    await age(squatter.user.id, 25);
    const requestId = `release-${crypto.randomUUID()}`;
    const owner = await api("/api/v1/auth/register", {
      body: { email: squatter.email, password: "owner-orbit-lantern-47" },
      headers: { "X-Request-Id": requestId },
    });
    expect(owner.status, await owner.clone().text()).toBe(201);
    // The release is one statement over HTTP, as is the registration it makes way for.
    expect((await databaseCalls(requestId)).websocket).toBe(0);
    const registered = await owner.json<Omit<Registered, "email" | "password">>();
    expect(registered.user.id).not.toBe(squatter.user.id);
    expect(registered.user.email).toBe(squatter.email);

    expect(await userRow(squatter.user.id)).toEqual({
      email: `expired-${squatter.user.id}@expired.invalid`,
      status: "expired",
      password_hash: null,
    });
    const [event] = (await securityEvents(squatter.user.id)).filter((e) => e.type === "account_expired");
    expect(event?.details).toMatchObject({
      reason: "email_never_verified",
      claimedBy: "registration",
      sessions: 1,
      tenantSuspended: true,
    });
    const [tenant] = await query<{ status: string }>(
      sql`select status from tenants where id = ${squatter.tenant.id}`,
    );
    expect(tenant?.status).toBe("suspended");
    const [audit] = await query<{
      action: string;
      actor_type: string;
      summary: { after: { claimedBy: string } };
    }>(
      sql`select action, actor_type, summary from audit_events
           where tenant_id = ${squatter.tenant.id} and resource_id = ${squatter.user.id}`,
    );
    expect(audit).toMatchObject({ action: "user.expired", actor_type: "system" });
    expect(audit?.summary.after.claimedBy).toBe("registration");
    const handle = platformDatabase();
    try {
      const chain = await handle.db.transaction((tx) => verifyAuditChain(tx, squatter.tenant.id));
      expect(chain.firstBreak).toBeNull();
      expect(chain.checked).toBeGreaterThanOrEqual(2);
    } finally {
      await handle.close();
    }

    // The squatter is out: its token, its refresh token and its password all fail; the owner signs in.
    expect((await api("/api/v1/auth/me", { token: squatter.access_token })).status).toBe(401);
    expect(
      (await api("/api/v1/auth/refresh", { body: { refresh_token: squatter.refresh_token } })).status,
    ).toBe(401);
    expect((await loginUser(squatter.email, PASSWORD)).status).toBe(401);
    expect((await loginUser(squatter.email, "owner-orbit-lantern-47")).status).toBe(200);
  });

  it("leaves the tenant active when it has other active users, who see the tombstone and cannot revive it", async () => {
    const squatter = await registerUser("shared");
    const colleague = await addUser({ id: squatter.tenant.id }, "tenant_admin");
    await age(squatter.user.id, 25);
    const owner = await api("/api/v1/auth/register", { body: { email: squatter.email, password: PASSWORD } });
    expect(owner.status).toBe(201);
    const [tenant] = await query<{ status: string }>(
      sql`select status from tenants where id = ${squatter.tenant.id}`,
    );
    expect(tenant?.status).toBe("active");
    expect((await userRow(squatter.user.id))?.status).toBe("expired");
    const listed = await api("/api/v1/users?status=expired", { token: colleague.token });
    expect(listed.status).toBe(200);
    expect((await listed.json<{ items: Array<{ id: string; email: string }> }>()).items).toEqual([
      expect.objectContaining({ id: squatter.user.id, email: `expired-${squatter.user.id}@expired.invalid` }),
    ]);
    const revive = await api(`/api/v1/users/${squatter.user.id}`, {
      method: "PATCH",
      token: colleague.token,
      body: { status: "active" },
    });
    expect(revive.status).toBe(409);
  });

  it("an invitation to the address releases it when created, and the owner accepts it verified", async () => {
    const employer = await createTenant("employer");
    const org = await addOrganization(employer);
    const squatter = await registerUser("inv-squat");
    await age(squatter.user.id, 25);
    const invited = await api("/api/v1/invitations", {
      token: employer.admin.token,
      body: { email: squatter.email, role: "analyst", organization_id: org.id },
    });
    expect(invited.status, await invited.clone().text()).toBe(201);
    expect((await userRow(squatter.user.id))?.status).toBe("expired");
    const [event] = (await securityEvents(squatter.user.id)).filter((e) => e.type === "account_expired");
    expect(event?.details.claimedBy).toBe("invitation_created");

    const token = await mailboxToken(squatter.email, "invitation");
    const accepted = await api(`/api/v1/invitations/${token}/accept`, { body: { password: PASSWORD } });
    expect(accepted.status, await accepted.clone().text()).toBe(201);
    const view = await accepted.json<{ user: { id: string; tenant_id: string; email_verified: boolean } }>();
    expect(view.user).toMatchObject({ tenant_id: employer.id, email_verified: true });
    const [row] = await query<{ verified: boolean }>(
      sql`select email_verified_at is not null as verified from users where id = ${view.user.id}`,
    );
    expect(row?.verified).toBe(true);
  });

  it("accepting an invitation releases an address taken after the invitation was sent, once expired", async () => {
    const employer = await createTenant("employer2");
    const email = uniqueEmail("late-squat");
    const invited = await api("/api/v1/invitations", {
      token: employer.admin.token,
      body: { email, role: "tenant_admin" },
    });
    expect(invited.status).toBe(201);
    const token = await mailboxToken(email, "invitation");
    const squat = await api("/api/v1/auth/register", { body: { email, password: PASSWORD } });
    const squatter = await squat.json<Omit<Registered, "email" | "password">>();

    // Still young: the owner meets the squatter's account (another tenant) and nothing is taken from it.
    const early = await api(`/api/v1/invitations/${token}/accept`, { body: { password: PASSWORD } });
    expect(early.status).toBe(409);
    expect((await userRow(squatter.user.id))?.status).toBe("active");

    await age(squatter.user.id, 25);
    const accepted = await api(`/api/v1/invitations/${token}/accept`, { body: { password: PASSWORD } });
    expect(accepted.status, await accepted.clone().text()).toBe(201);
    expect((await userRow(squatter.user.id))?.status).toBe("expired");
    const [event] = (await securityEvents(squatter.user.id)).filter((e) => e.type === "account_expired");
    expect(event?.details.claimedBy).toBe("invitation_accepted");
    expect((await loginUser(email, PASSWORD)).status).toBe(200);
  });

  it("sends no recovery link to an expired account", async () => {
    const account = await registerUser("no-link");
    await age(account.user.id, 25);
    const forgot = await api("/api/v1/auth/password/forgot", { body: { email: account.email } });
    expect(forgot.status).toBe(202);
    // A later request for a live account is e-mailed; by then the expired one's request has been handled.
    const live = await registerUser("live");
    await api("/api/v1/auth/password/forgot", { body: { email: live.email } });
    await waitForMail(live.email, "password_reset");
    const types = (await securityEvents(account.user.id)).map((e) => e.type);
    expect(types).not.toContain("password_reset_requested");
    expect((await mailbox(account.email)).map((m) => m.template)).not.toContain("password_reset");
  });
});
