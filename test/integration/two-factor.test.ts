import { describe, expect, it } from "vitest";
import { generateTotp } from "../../src/services/auth/totp";
import { api, loginUser, PASSWORD, registerUser, stepUp } from "./auth-helpers";
import { problemOf } from "./helpers";

const STEP_MS = 30_000;

/** Registers a user and turns 2FA on; returns its secret, backup codes and the step used to confirm. */
async function enrolled() {
  const account = await registerUser("mfa");
  await stepUp(account.access_token, { password: PASSWORD });
  const enable = await api("/api/v1/auth/2fa/enable", { method: "POST", token: account.access_token });
  expect(enable.status).toBe(200);
  const { secret, otpauth_uri, qr_svg } = await enable.json<{
    secret: string;
    otpauth_uri: string;
    qr_svg: string;
  }>();
  expect(otpauth_uri).toMatch(/^otpauth:\/\/totp\/.+secret=/);
  expect(qr_svg.startsWith("<svg")).toBe(true);
  const now = Date.now();
  const verify = await api("/api/v1/auth/2fa/verify", {
    token: account.access_token,
    body: { code: generateTotp({ secret, now }) },
  });
  expect(verify.status).toBe(200);
  const { backup_codes } = await verify.json<{ backup_codes: string[] }>();
  expect(backup_codes).toHaveLength(10);
  return { ...account, secret, backupCodes: backup_codes, confirmedAt: now };
}

async function challenge(email: string) {
  const { status, body } = await loginUser(email, PASSWORD);
  expect(status).toBe(200);
  expect(body).toMatchObject({ mfa_required: true, methods: ["totp", "backup_code"] });
  expect(body).not.toHaveProperty("access_token");
  return body.mfa_token as string;
}

describe("two-factor authentication", () => {
  it("asks for a second factor at login and accepts a TOTP code once", async () => {
    const user = await enrolled();
    const mfaToken = await challenge(user.email);
    // The enrolment used the current step; the next one (one step of drift) is still accepted.
    const code = generateTotp({ secret: user.secret, now: user.confirmedAt + STEP_MS });
    const ok = await api("/api/v1/auth/login/2fa", { body: { mfa_token: mfaToken, code } });
    expect(ok.status).toBe(200);
    const pair = await ok.json<{ access_token: string }>();
    expect((await api("/api/v1/auth/me", { token: pair.access_token })).status).toBe(200);

    const again = await api("/api/v1/auth/login/2fa", {
      body: { mfa_token: await challenge(user.email), code },
    });
    expect(again.status).toBe(401);
    expect((await problemOf(again)).code).toBe("invalid_credentials");
  });

  it("never accepts the challenge token as an access token, nor twice", async () => {
    const user = await enrolled();
    const mfaToken = await challenge(user.email);
    expect((await api("/api/v1/auth/me", { token: mfaToken })).status).toBe(401);
    const first = await api("/api/v1/auth/2fa/backup-code", {
      body: { mfa_token: mfaToken, backup_code: user.backupCodes[0] },
    });
    expect(first.status).toBe(200);
    const second = await api("/api/v1/auth/2fa/backup-code", {
      body: { mfa_token: mfaToken, backup_code: user.backupCodes[1] },
    });
    expect(second.status).toBe(401);
  });

  it("accepts each backup code once", async () => {
    const user = await enrolled();
    const code = user.backupCodes[2] as string;
    const used = await api("/api/v1/auth/2fa/backup-code", {
      body: { mfa_token: await challenge(user.email), backup_code: code.toUpperCase() },
    });
    expect(used.status).toBe(200);
    const reused = await api("/api/v1/auth/2fa/backup-code", {
      body: { mfa_token: await challenge(user.email), backup_code: code },
    });
    expect(reused.status).toBe(401);
  });

  it("counts wrong codes towards lockout", async () => {
    const user = await enrolled();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await api("/api/v1/auth/login/2fa", {
        body: { mfa_token: await challenge(user.email), code: "000000" },
      });
      statuses.push(response.status);
    }
    expect(statuses.slice(-1)).toEqual([423]);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(3);
    expect((await loginUser(user.email, PASSWORD)).status).toBe(423);
  });

  it("regenerates backup codes with a code, and turns off with one", async () => {
    const user = await enrolled();
    // Enrolment proved the new secret: this session's step-up now counts as a second-factor one.
    const regenerated = await api("/api/v1/auth/2fa/backup-codes", {
      token: user.access_token,
      body: { code: generateTotp({ secret: user.secret, now: user.confirmedAt + STEP_MS }) },
    });
    expect(regenerated.status).toBe(200);
    const { backup_codes } = await regenerated.json<{ backup_codes: string[] }>();
    expect(backup_codes).not.toContain(user.backupCodes[0]);
    const stale = await api("/api/v1/auth/2fa/disable", {
      token: user.access_token,
      body: { code: user.backupCodes[0] },
    });
    expect(stale.status).toBe(401);
    const off = await api("/api/v1/auth/2fa/disable", {
      token: user.access_token,
      body: { code: backup_codes[0] },
    });
    expect(off.status).toBe(204);
    const { body } = await loginUser(user.email, PASSWORD);
    expect(body).toHaveProperty("access_token");
    const mail = await (await api(`/api/v1/dev/mailbox?to=${user.email}`)).json<{
      messages: { template: string }[];
    }>();
    expect(mail.messages.map((m) => m.template)).toEqual(
      expect.arrayContaining(["mfa_enabled", "mfa_disabled"]),
    );
  });

  it("refuses to enable twice and to verify without enrolment", async () => {
    const user = await enrolled();
    expect((await api("/api/v1/auth/2fa/enable", { method: "POST", token: user.access_token })).status).toBe(
      409,
    );
    const fresh = await registerUser("nomfa");
    await stepUp(fresh.access_token, { password: PASSWORD });
    const verify = await api("/api/v1/auth/2fa/verify", {
      token: fresh.access_token,
      body: { code: "123456" },
    });
    expect(verify.status).toBe(409);
  });
});
