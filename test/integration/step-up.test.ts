import { describe, expect, it } from "vitest";
import { generateTotp } from "../../src/services/auth/totp";
import { api, loginUser, PASSWORD, type Registered, registerUser, stepUp } from "./auth-helpers";
import { problemOf } from "./helpers";

const STEP_MS = 30_000;

interface SecurityEvent {
  type: string;
  details: Record<string, unknown>;
}

async function eventsOf(token: string): Promise<SecurityEvent[]> {
  const response = await api("/api/v1/auth/security-events?limit=100", { token });
  expect(response.status).toBe(200);
  return (await response.json<{ items: SecurityEvent[] }>()).items;
}

async function expectStepUpRequired(response: Response) {
  expect(response.status).toBe(403);
  const problem = await problemOf(response);
  expect(problem.code).toBe("step_up_required");
  expect(problem.type).toBe("urn:finedge:problem:step_up_required");
  expect(problem.detail).toContain("/api/v1/auth/step-up");
}

/** A registered user with 2FA on, enrolled in its registration session. */
async function enrolled(): Promise<
  Registered & { secret: string; backupCodes: string[]; confirmedAt: number }
> {
  const account = await registerUser("stepup");
  await stepUp(account.access_token, { password: PASSWORD });
  const enable = await api("/api/v1/auth/2fa/enable", { method: "POST", token: account.access_token });
  const { secret } = await enable.json<{ secret: string }>();
  const confirmedAt = Date.now();
  const verify = await api("/api/v1/auth/2fa/verify", {
    token: account.access_token,
    body: { code: generateTotp({ secret, now: confirmedAt }) },
  });
  expect(verify.status).toBe(200);
  const { backup_codes } = await verify.json<{ backup_codes: string[] }>();
  return { ...account, secret, backupCodes: backup_codes, confirmedAt };
}

/** A second session of the same user, through the 2FA challenge with a backup code. */
async function secondSession(user: { email: string }, backupCode: string): Promise<string> {
  const { body } = await loginUser(user.email, PASSWORD);
  const done = await api("/api/v1/auth/2fa/backup-code", {
    body: { mfa_token: body.mfa_token, backup_code: backupCode },
  });
  expect(done.status).toBe(200);
  return (await done.json<{ access_token: string }>()).access_token;
}

describe("step-up", () => {
  it("guards 2FA enrolment and API-key creation, for the session that stepped up only", async () => {
    const user = await registerUser("stepup");
    await expectStepUpRequired(
      await api("/api/v1/auth/2fa/enable", { method: "POST", token: user.access_token }),
    );
    await expectStepUpRequired(
      await api("/api/v1/api-keys", {
        token: user.access_token,
        body: { name: "k", scopes: ["audit:read"] },
      }),
    );

    const other = await loginUser(user.email, PASSWORD);
    const otherToken = other.body.access_token as string;
    const response = await api("/api/v1/auth/step-up", { token: otherToken, body: { password: PASSWORD } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ step_up_expires_in: 300, factor: "password" });

    // Another session of the same user is not stepped up.
    await expectStepUpRequired(
      await api("/api/v1/auth/2fa/enable", { method: "POST", token: user.access_token }),
    );
    expect((await api("/api/v1/auth/2fa/enable", { method: "POST", token: otherToken })).status).toBe(200);
    const key = await api("/api/v1/api-keys", {
      token: otherToken,
      body: { name: "k", scopes: ["audit:read"] },
    });
    expect(key.status).toBe(201);
    expect((await eventsOf(otherToken)).map((e) => e.type)).toContain("step_up");
  });

  it("counts wrong passwords towards the lockout, records them, and then answers 423", async () => {
    const user = await registerUser("stepup");
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await api("/api/v1/auth/step-up", {
        token: user.access_token,
        body: { password: "not-the-password-at-all" },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 423]);
    const locked = await api("/api/v1/auth/step-up", {
      token: user.access_token,
      body: { password: PASSWORD },
    });
    expect(locked.status).toBe(423);
    expect(locked.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await loginUser(user.email, PASSWORD)).status).toBe(423);
    const events = await eventsOf(user.access_token);
    const failures = events.filter((e) => e.type === "login_failure");
    expect(failures).toHaveLength(5);
    expect(failures[0]?.details).toMatchObject({ factor: "password", path: "step-up" });
    expect(events.map((e) => e.type)).toContain("account_locked");
  });

  it("asks for the second factor once 2FA is on, and forgets other sessions' password step-ups", async () => {
    const account = await registerUser("stepup");
    // Session B steps up with the password while 2FA is still off...
    const b = (await loginUser(account.email, PASSWORD)).body.access_token as string;
    await stepUp(b, { password: PASSWORD });
    // ...then session A enrols.
    await stepUp(account.access_token, { password: PASSWORD });
    const enable = await api("/api/v1/auth/2fa/enable", { method: "POST", token: account.access_token });
    const { secret } = await enable.json<{ secret: string }>();
    const now = Date.now();
    const verify = await api("/api/v1/auth/2fa/verify", {
      token: account.access_token,
      body: { code: generateTotp({ secret, now }) },
    });
    expect(verify.status).toBe(200);
    const { backup_codes } = await verify.json<{ backup_codes: string[] }>();

    await expectStepUpRequired(await api("/api/v1/auth/2fa/disable", { token: b, body: {} }));
    const byPassword = await api("/api/v1/auth/step-up", { token: b, body: { password: PASSWORD } });
    expect(byPassword.status).toBe(422);
    expect((await problemOf(byPassword)).errors?.[0]?.pointer).toBe("/code");
    const byCode = await api("/api/v1/auth/step-up", {
      token: b,
      body: { code: generateTotp({ secret, now: now + STEP_MS }) },
    });
    expect(byCode.status).toBe(200);
    expect((await byCode.json<{ factor: string }>()).factor).toBe("totp");
    const regenerated = await api("/api/v1/auth/2fa/backup-codes", { token: b, body: {} });
    expect(regenerated.status).toBe(200);
    expect((await regenerated.json<{ backup_codes: string[] }>()).backup_codes).not.toContain(
      backup_codes[0],
    );
  });

  it("counts wrong codes at /2fa/disable, /2fa/backup-codes, /2fa/verify and step-up towards the lockout", async () => {
    const user = await enrolled();
    const attempts = [
      () => api("/api/v1/auth/2fa/disable", { token: user.access_token, body: { code: "000000" } }),
      () => api("/api/v1/auth/2fa/backup-codes", { token: user.access_token, body: { code: "000000" } }),
      () => api("/api/v1/auth/step-up", { token: user.access_token, body: { code: "000000" } }),
      () => api("/api/v1/auth/step-up", { token: user.access_token, body: { code: "aaaa-bbbb-cccc" } }),
      () => api("/api/v1/auth/2fa/disable", { token: user.access_token, body: { code: "zzzz-zzzz-zzzz" } }),
    ];
    const statuses: number[] = [];
    for (const attempt of attempts) statuses.push((await attempt()).status);
    expect(statuses).toEqual([401, 401, 401, 401, 423]);
    // Locked: even a right code is refused on these paths, and at sign-in.
    const locked = await api("/api/v1/auth/2fa/disable", {
      token: user.access_token,
      body: { code: user.backupCodes[0] },
    });
    expect(locked.status).toBe(423);
    expect((await loginUser(user.email, PASSWORD)).status).toBe(423);

    const failures = (await eventsOf(user.access_token)).filter((e) => e.type === "mfa_failure");
    expect(failures.map((e) => e.details.path).sort()).toEqual(
      ["2fa/backup-codes", "2fa/disable", "2fa/disable", "step-up", "step-up"].sort(),
    );
    // 2FA is still on: no wrong code turned it off.
    const me = await api("/api/v1/auth/me", { token: user.access_token });
    expect((await me.json<{ two_factor_enabled: boolean }>()).two_factor_enabled).toBe(true);
  });

  it("counts a wrong first code at /2fa/verify", async () => {
    const user = await registerUser("stepup");
    await stepUp(user.access_token, { password: PASSWORD });
    expect((await api("/api/v1/auth/2fa/enable", { method: "POST", token: user.access_token })).status).toBe(
      200,
    );
    const wrong = await api("/api/v1/auth/2fa/verify", {
      token: user.access_token,
      body: { code: "000000" },
    });
    expect(wrong.status).toBe(401);
    const failures = (await eventsOf(user.access_token)).filter((e) => e.type === "mfa_failure");
    expect(failures.map((e) => e.details.path)).toEqual(["2fa/verify"]);
  });

  it("turns 2FA off after a backup-code step-up, with no second code", async () => {
    const user = await enrolled();
    const other = await secondSession(user, user.backupCodes[0] as string);
    await expectStepUpRequired(await api("/api/v1/auth/2fa/disable", { token: other, body: {} }));
    await stepUp(other, { code: user.backupCodes[1] as string });
    const off = await api("/api/v1/auth/2fa/disable", { token: other, body: {} });
    expect(off.status).toBe(204);
    expect((await loginUser(user.email, PASSWORD)).body).toHaveProperty("access_token");
  });

  it("keys the lockout by user id: unknown addresses are still locked like known ones", async () => {
    const unknown = `nobody-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await loginUser(unknown, "wrong-password-x")).status);
    expect(statuses).toEqual([401, 401, 401, 401, 423, 423]);
  });
});
