import { describe, expect, it } from "vitest";
import { api, loginUser, mailboxToken, PASSWORD, registerUser, stepUp, uniqueEmail } from "./auth-helpers";
import { problemOf } from "./helpers";

const client = (n: number) => ({ "cf-connecting-ip": `192.0.2.${80 + n}` });

async function templatesFor(to: string): Promise<string[]> {
  const response = await api(`/api/v1/dev/mailbox?to=${encodeURIComponent(to)}`);
  const { messages } = await response.json<{ messages: Array<{ template: string }> }>();
  return messages.map((m) => m.template);
}

describe("changing the e-mail address", () => {
  it("needs a step-up, confirms through the new address, ends other sessions and records it", async () => {
    const user = await registerUser("move");
    const newEmail = uniqueEmail("moved");
    const refused = await api("/api/v1/auth/change-email", {
      token: user.access_token,
      body: { email: newEmail },
    });
    expect(refused.status).toBe(403);
    expect((await problemOf(refused)).code).toBe("step_up_required");

    const other = (await loginUser(user.email, PASSWORD, client(1))).body.access_token as string;
    await stepUp(user.access_token, { password: PASSWORD });
    const asked = await api("/api/v1/auth/change-email", {
      token: user.access_token,
      body: { email: newEmail.toUpperCase() },
    });
    expect(asked.status).toBe(202);
    expect(await templatesFor(user.email)).toContain("email_change_requested");
    const token = await mailboxToken(newEmail, "change_email");

    // Nothing changes before the link is confirmed; and only by the same account.
    expect((await loginUser(user.email, PASSWORD, client(1))).status).toBe(200);
    const stranger = await registerUser("stranger");
    const foreign = await api("/api/v1/auth/change-email/confirm", {
      token: stranger.access_token,
      body: { token },
    });
    expect(foreign.status).toBe(400);
    expect((await problemOf(foreign)).code).toBe("invalid_token");

    const confirmed = await api("/api/v1/auth/change-email/confirm", {
      token: user.access_token,
      body: { token },
    });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toMatchObject({ email: newEmail, email_verified: true });
    expect((await api("/api/v1/auth/me", { token: other })).status).toBe(401);
    expect((await api("/api/v1/auth/me", { token: user.access_token })).status).toBe(200);

    expect((await loginUser(user.email, PASSWORD, client(1))).status).toBe(401);
    expect((await loginUser(newEmail, PASSWORD, client(1))).status).toBe(200);
    const again = await api("/api/v1/auth/change-email/confirm", {
      token: user.access_token,
      body: { token },
    });
    expect(again.status).toBe(400);

    const events = await api("/api/v1/auth/security-events", { token: user.access_token });
    const types = (await events.json<{ items: Array<{ type: string }> }>()).items.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["email_change_requested", "email_changed", "step_up"]));
  });

  it("answers 409 for an address taken before the request or before the confirmation", async () => {
    const user = await registerUser("move");
    const taken = await registerUser("taken");
    await stepUp(user.access_token, { password: PASSWORD });
    const early = await api("/api/v1/auth/change-email", {
      token: user.access_token,
      body: { email: taken.email },
    });
    expect(early.status).toBe(409);
    expect((await problemOf(early)).code).toBe("email_taken");

    const wanted = uniqueEmail("wanted");
    expect(
      (await api("/api/v1/auth/change-email", { token: user.access_token, body: { email: wanted } })).status,
    ).toBe(202);
    const token = await mailboxToken(wanted, "change_email");
    // Someone registers the address meanwhile.
    expect(
      (
        await api("/api/v1/auth/register", {
          body: { email: wanted, password: PASSWORD },
          headers: client(2),
        })
      ).status,
    ).toBe(201);
    const late = await api("/api/v1/auth/change-email/confirm", {
      token: user.access_token,
      body: { token },
    });
    expect(late.status).toBe(409);
    expect((await problemOf(late)).code).toBe("email_taken");
    const me = await api("/api/v1/auth/me", { token: user.access_token });
    expect((await me.json<{ email: string }>()).email).toBe(user.email);
  });

  it("does not reset the lockout: it is keyed by the user, not the address", async () => {
    const user = await registerUser("move");
    const headers = client(3);
    for (let i = 0; i < 4; i++)
      expect((await loginUser(user.email, "wrong-password-x", headers)).status).toBe(401);
    await stepUp(user.access_token, { password: PASSWORD });
    const newEmail = uniqueEmail("moved");
    await api("/api/v1/auth/change-email", { token: user.access_token, body: { email: newEmail } });
    const token = await mailboxToken(newEmail, "change_email");
    expect(
      (await api("/api/v1/auth/change-email/confirm", { token: user.access_token, body: { token } })).status,
    ).toBe(200);
    // The fifth failure, at the new address, locks the same account.
    expect((await loginUser(newEmail, "wrong-password-x", headers)).status).toBe(423);
    expect((await loginUser(newEmail, PASSWORD, headers)).status).toBe(423);
  });
});
