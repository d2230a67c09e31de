import { describe, expect, it } from "vitest";
import { api, loginUser, PASSWORD, registerUser, tokenIn, waitForMail } from "./auth-helpers";
import { problemOf } from "./helpers";

const NEW_PASSWORD = "copper-meadow-signal-77";

/** An address of its own per test, so per-address limits of one test never touch another. */
const client = (n: number) => ({ "cf-connecting-ip": `192.0.2.${70 + n}` });

/** The tokens of at least `count` e-mails of `template` to `to`, newest first (links leave after the answer). */
async function tokensOf(to: string, template: string, count: number): Promise<string[]> {
  return (await waitForMail(to, template, count)).map(tokenIn);
}

/** Two reset links and a magic link, requested before the password changes. */
async function outstandingLinks(email: string, headers: Record<string, string>) {
  for (const path of [
    "/api/v1/auth/password/forgot",
    "/api/v1/auth/password/forgot",
    "/api/v1/auth/magic-link",
  ]) {
    expect((await api(path, { body: { email }, headers })).status).toBe(202);
  }
  const resets = await tokensOf(email, "password_reset", 2);
  const [magic] = await tokensOf(email, "magic_link", 1);
  expect(resets).toHaveLength(2);
  return { resets: resets as [string, string], magic: magic as string };
}

async function expectDead(path: string, body: Record<string, string>, headers: Record<string, string>) {
  const response = await api(path, { body, headers });
  expect(response.status, `${path} still accepted a link sent before the change`).toBe(400);
  expect((await problemOf(response)).code).toBe("invalid_token");
}

describe("recovery closes every door", () => {
  it("a password reset spends the other reset link and the magic link", async () => {
    const headers = client(1);
    const user = await registerUser("revoke");
    const { resets, magic } = await outstandingLinks(user.email, headers);

    const reset = await api("/api/v1/auth/password/reset", {
      body: { token: resets[1], new_password: NEW_PASSWORD },
      headers,
    });
    expect(reset.status).toBe(204);

    await expectDead(
      "/api/v1/auth/password/reset",
      { token: resets[0], new_password: "other-plum-lantern-19" },
      headers,
    );
    await expectDead("/api/v1/auth/magic-link/verify", { token: magic }, headers);
    expect((await loginUser(user.email, NEW_PASSWORD, headers)).status).toBe(200);
  });

  it("a password change spends every outstanding link too", async () => {
    const headers = client(2);
    const user = await registerUser("revoke");
    const { resets, magic } = await outstandingLinks(user.email, headers);

    const changed = await api("/api/v1/auth/change-password", {
      token: user.access_token,
      body: { current_password: PASSWORD, new_password: NEW_PASSWORD },
    });
    expect(changed.status).toBe(200);

    await expectDead(
      "/api/v1/auth/password/reset",
      { token: resets[0], new_password: "other-plum-lantern-19" },
      headers,
    );
    await expectDead("/api/v1/auth/magic-link/verify", { token: magic }, headers);
    // Neither link set a password nor signed anyone in: the changed one still stands.
    expect((await loginUser(user.email, NEW_PASSWORD, headers)).status).toBe(200);
  });

  it("two reset links redeemed at the same moment: exactly one wins", async () => {
    const headers = client(3);
    const user = await registerUser("revoke");
    const { resets } = await outstandingLinks(user.email, headers);
    const outcomes = await Promise.all(
      resets.map((token, i) =>
        api("/api/v1/auth/password/reset", {
          body: { token, new_password: `${NEW_PASSWORD}-${i}` },
          headers,
        }),
      ),
    );
    expect(outcomes.map((r) => r.status).sort()).toEqual([204, 400]);
  });
});
