import { describe, expect, it } from "vitest";
import { api, loginUser, mailboxToken, PASSWORD, registerUser, uniqueEmail } from "./auth-helpers";
import { problemOf } from "./helpers";

describe("registration", () => {
  it("creates a tenant with the registrant as tenant_admin and returns a working token pair", async () => {
    const account = await registerUser("reg");
    expect(account.user).toMatchObject({
      email: account.email,
      role: "tenant_admin",
      tenant_id: account.tenant.id,
    });
    expect(account.refresh_token.length).toBeGreaterThanOrEqual(40);
    const me = await api("/api/v1/auth/me", { token: account.access_token });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      id: account.user.id,
      email_verified: false,
      two_factor_enabled: false,
    });
  });

  it("refuses fields it does not define (no mass assignment)", async () => {
    const response = await api("/api/v1/auth/register", {
      body: { email: uniqueEmail(), password: PASSWORD, role: "super_admin", tenant_id: crypto.randomUUID() },
    });
    expect(response.status).toBe(422);
    expect((await problemOf(response)).code).toBe("validation_failed");
  });

  it("refuses a common or short password on the password field, and a taken e-mail with 409", async () => {
    const weak = await api("/api/v1/auth/register", {
      body: { email: uniqueEmail(), password: "password123" },
    });
    expect(weak.status).toBe(422);
    expect((await problemOf(weak)).errors?.[0]).toMatchObject({ pointer: "/password", code: "common" });
    const short = await api("/api/v1/auth/register", { body: { email: uniqueEmail(), password: "a1b2c3" } });
    expect((await problemOf(short)).errors?.[0]?.code).toBe("too_short");
    const account = await registerUser("dup");
    const again = await api("/api/v1/auth/register", {
      body: { email: account.email.toUpperCase(), password: PASSWORD },
    });
    expect(again.status).toBe(409);
    expect((await problemOf(again)).code).toBe("email_taken");
  });

  it("sends a verification link that verifies the address once", async () => {
    const account = await registerUser("verify");
    const token = await mailboxToken(account.email, "verify_email");
    expect((await api("/api/v1/auth/verify-email/confirm", { body: { token } })).status).toBe(204);
    expect((await api("/api/v1/auth/verify-email/confirm", { body: { token } })).status).toBe(400);
    const me = await (await api("/api/v1/auth/me", { token: account.access_token })).json<{
      email_verified: boolean;
    }>();
    expect(me.email_verified).toBe(true);
  });
});

describe("login", () => {
  it("returns a token pair and the user", async () => {
    const account = await registerUser("login");
    const { status, body } = await loginUser(account.email, PASSWORD);
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 900, user: { id: account.user.id } });
  });

  it("answers an unknown e-mail exactly like a wrong password", async () => {
    const account = await registerUser("enum");
    const wrong = await api("/api/v1/auth/login", {
      body: { email: account.email, password: "not-the-password-1" },
    });
    const unknown = await api("/api/v1/auth/login", {
      body: { email: uniqueEmail("ghost"), password: "not-the-password-1" },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = ({ requestId, ...rest }: Awaited<ReturnType<typeof problemOf>>) => rest;
    expect(strip(await problemOf(unknown))).toEqual(strip(await problemOf(wrong)));
  });

  it("locks after 5 failures with 423 and Retry-After, even for the right password", async () => {
    const account = await registerUser("lock");
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(
        (await api("/api/v1/auth/login", { body: { email: account.email, password: `wrong-${i}-pass` } }))
          .status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 423]);
    const locked = await loginUser(account.email, PASSWORD);
    expect(locked.status).toBe(423);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(3500);
    expect(await mailboxToken(account.email, "verify_email")).toBeTruthy();
    const mail = await (await api(`/api/v1/dev/mailbox?to=${account.email}`)).json<{
      messages: { template: string }[];
    }>();
    expect(mail.messages.map((m) => m.template)).toContain("account_locked");
  });

  it("locks after exactly the threshold under 50 simultaneous wrong passwords", async () => {
    const account = await registerUser("race");
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api("/api/v1/auth/login", { body: { email: account.email, password: `nope-${i}-wrong` } }),
      ),
    );
    const counts: Record<number, number> = {};
    for (const response of responses) counts[response.status] = (counts[response.status] ?? 0) + 1;
    expect(counts).toEqual({ 401: 4, 423: 46 });
  }, 120_000);

  it("records security events the user can read, newest first", async () => {
    const account = await registerUser("events");
    await loginUser(account.email, "wrong-password-here");
    await loginUser(account.email, PASSWORD);
    const response = await api("/api/v1/auth/security-events?limit=10", { token: account.access_token });
    const { items } = await response.json<{ items: { type: string }[] }>();
    expect(items.map((e) => e.type).slice(0, 3)).toEqual(["login_success", "login_failure", "register"]);
  });
});

describe("tokens and sessions", () => {
  it("rotates refresh tokens; a reused one revokes the whole session at once", async () => {
    const account = await registerUser("rotate");
    const first = await api("/api/v1/auth/refresh", { body: { refresh_token: account.refresh_token } });
    expect(first.status).toBe(200);
    const rotated = await first.json<{ access_token: string; refresh_token: string }>();
    expect(rotated.refresh_token).not.toBe(account.refresh_token);
    expect((await api("/api/v1/auth/me", { token: rotated.access_token })).status).toBe(200);

    const reuse = await api("/api/v1/auth/refresh", { body: { refresh_token: account.refresh_token } });
    expect(reuse.status).toBe(401);
    expect(
      (await api("/api/v1/auth/refresh", { body: { refresh_token: rotated.refresh_token } })).status,
    ).toBe(401);
    expect((await api("/api/v1/auth/me", { token: rotated.access_token })).status).toBe(401);
    const events = await loginUser(account.email, PASSWORD);
    const list = await api("/api/v1/auth/security-events", { token: events.body.access_token as string });
    expect(JSON.stringify(await list.json())).toContain("refresh_token_reuse");
  });

  it("logout ends the session on the very next request", async () => {
    const account = await registerUser("logout");
    expect((await api("/api/v1/auth/logout", { method: "POST", token: account.access_token })).status).toBe(
      204,
    );
    const after = await api("/api/v1/auth/me", { token: account.access_token });
    expect(after.status).toBe(401);
    expect((await problemOf(after)).code).toBe("unauthorized");
    expect(
      (await api("/api/v1/auth/refresh", { body: { refresh_token: account.refresh_token } })).status,
    ).toBe(401);
  });

  it("lists sessions with the current one marked, and revokes another one by id", async () => {
    const account = await registerUser("sessions");
    const other = await loginUser(account.email, PASSWORD, { "user-agent": "FinEdgeTest/2.0" });
    const list = await api("/api/v1/auth/sessions", { token: account.access_token });
    const { sessions } = await list.json<{ sessions: { id: string; current: boolean }[] }>();
    expect(sessions).toHaveLength(2);
    expect(sessions.find((s) => s.current)?.id).toBe(account.session_id);
    const del = await api(`/api/v1/auth/sessions/${other.body.session_id}`, {
      method: "DELETE",
      token: account.access_token,
    });
    expect(del.status).toBe(204);
    expect((await api("/api/v1/auth/me", { token: other.body.access_token as string })).status).toBe(401);
    const stranger = await registerUser("stranger");
    const foreign = await api(`/api/v1/auth/sessions/${stranger.session_id}`, {
      method: "DELETE",
      token: account.access_token,
    });
    expect(foreign.status).toBe(404);
    expect((await api("/api/v1/auth/me", { token: stranger.access_token })).status).toBe(200);
  });

  it("publishes the public verification keys", async () => {
    const response = await api("/.well-known/jwks.json");
    const { keys } = await response.json<{ keys: Array<Record<string, string>> }>();
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA" });
      expect(key.d).toBeUndefined();
    }
  });
});

describe("password change and reset", () => {
  it("change-password ends the other sessions but not this one", async () => {
    const account = await registerUser("change");
    const other = await loginUser(account.email, PASSWORD);
    const wrong = await api("/api/v1/auth/change-password", {
      token: account.access_token,
      body: { current_password: "wrong-password-x", new_password: "new-orbit-lantern-43" },
    });
    expect(wrong.status).toBe(401);
    const changed = await api("/api/v1/auth/change-password", {
      token: account.access_token,
      body: { current_password: PASSWORD, new_password: "new-orbit-lantern-43" },
    });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toEqual({ sessions_ended: 1 });
    expect((await api("/api/v1/auth/me", { token: other.body.access_token as string })).status).toBe(401);
    expect((await api("/api/v1/auth/me", { token: account.access_token })).status).toBe(200);
    expect((await loginUser(account.email, "new-orbit-lantern-43")).status).toBe(200);
    expect((await loginUser(account.email, PASSWORD)).status).toBe(401);
  });

  it("forgot/reset answers the same for unknown addresses, and a reset ends every session", async () => {
    const account = await registerUser("reset");
    const unknown = await api("/api/v1/auth/password/forgot", { body: { email: uniqueEmail("nobody") } });
    const known = await api("/api/v1/auth/password/forgot", { body: { email: account.email } });
    expect([unknown.status, known.status]).toEqual([202, 202]);
    expect(await unknown.text()).toBe(await known.text());
    const token = await mailboxToken(account.email, "password_reset");
    const reset = await api("/api/v1/auth/password/reset", {
      body: { token, new_password: "reset-orbit-lantern-44" },
    });
    expect(reset.status).toBe(204);
    expect((await api("/api/v1/auth/me", { token: account.access_token })).status).toBe(401);
    expect(
      (await api("/api/v1/auth/password/reset", { body: { token, new_password: "again-orbit-lantern-45" } }))
        .status,
    ).toBe(400);
    expect((await loginUser(account.email, "reset-orbit-lantern-44")).status).toBe(200);
  });

  it("signs in with a magic link once", async () => {
    const account = await registerUser("magic");
    expect((await api("/api/v1/auth/magic-link", { body: { email: account.email } })).status).toBe(202);
    const token = await mailboxToken(account.email, "magic_link");
    const first = await api("/api/v1/auth/magic-link/verify", { body: { token } });
    expect(first.status).toBe(200);
    expect(await first.json()).toHaveProperty("access_token");
    expect((await api("/api/v1/auth/magic-link/verify", { body: { token } })).status).toBe(400);
  });
});
