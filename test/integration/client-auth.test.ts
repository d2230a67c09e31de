import { describe, expect, it } from "vitest";
import { FinEdgeProblem, isProblem, ok, type Tokens } from "../../client/src";
import { api, PASSWORD } from "./auth-helpers";
import { expireAccessToken, registered, testClient } from "./client-fixtures";

const REFRESH = "/api/v1/auth/refresh";
const ME = "/api/v1/auth/me";

describe("the typed client: signing in", () => {
  it("registers, signs out, signs in again, and refuses a wrong password with a typed problem", async () => {
    const { client, email, user, store, count } = await registered();
    expect((await ok(client.api.GET(ME))).id).toBe(user.id);
    await client.auth.logout();
    expect(await store.get()).toBeNull();

    const signedIn = await client.auth.login({ email, password: PASSWORD });
    expect(signedIn).toMatchObject({ status: "signed_in", user: { id: user.id, email } });
    expect((await ok(client.api.GET(ME))).email).toBe(email);

    const wrong = await client.auth.login({ email, password: "not-the-password-1" }).catch((e) => e);
    expect(wrong).toBeInstanceOf(FinEdgeProblem);
    expect(wrong).toMatchObject({ status: 401 });
    expect(isProblem(wrong, "unauthorized", "invalid_credentials")).toBe(true);
    expect((wrong as FinEdgeProblem).requestId).toBeTruthy();
    // A refused password is not a refused token: nothing to refresh, and the attempt is not resent.
    expect(count("POST", REFRESH)).toBe(0);
    expect(count("POST", "/api/v1/auth/login")).toBe(2);
  });
});

describe("the typed client: refresh", () => {
  it("refreshes once on an expired access token, shared by concurrent calls, and rotates the refresh token", async () => {
    const { client, store, count, user } = await registered();
    const before = await expireAccessToken(store);

    const answers = await Promise.all(Array.from({ length: 5 }, () => ok(client.api.GET(ME))));
    expect(answers.map((me) => me.id)).toEqual(Array(5).fill(user.id));
    expect(count("POST", REFRESH)).toBe(1);
    expect(count("GET", ME)).toBe(10);

    const after = (await store.get()) as Tokens;
    expect(after.refreshToken).toBeTruthy();
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.accessToken).not.toBe(before.accessToken);
  });

  it("refreshes across origins too, where the browser hides WWW-Authenticate: the problem code tells", async () => {
    const { client, store, count } = await registered({
      network: async (_path, _init, app) => {
        const response = await app();
        const headers = new Headers(response.headers);
        headers.delete("www-authenticate");
        return new Response(response.body, { status: response.status, headers });
      },
    });
    await expireAccessToken(store);
    await ok(client.api.GET(ME));
    expect(count("POST", REFRESH)).toBe(1);
  });

  it("a refresh token is single-use: the old one is refused, and its reuse ends the session for the client", async () => {
    const ended: FinEdgeProblem[] = [];
    const { client, store, count } = await registered({ onSessionEnd: (problem) => ended.push(problem) });
    const first = (await store.get()) as Tokens;
    await client.auth.refresh();
    expect(((await store.get()) as Tokens).refreshToken).not.toBe(first.refreshToken);

    // Someone replays the spent token: refused, and the whole session (family) is revoked.
    const replay = await api(REFRESH, { body: { refresh_token: first.refreshToken } });
    expect(replay.status).toBe(401);

    const refused = await client.api.GET(ME).catch((e) => e);
    expect(refused).toBeInstanceOf(FinEdgeProblem);
    expect((refused as FinEdgeProblem).status).toBe(401);
    expect(count("POST", REFRESH)).toBe(2);
    expect(ended).toHaveLength(1);
    expect(await store.get()).toBeNull();
  });

  it("does not refresh for a wrong password or a call without a session", async () => {
    const { client, count } = testClient();
    const anonymous = await client.api.GET(ME).catch((e) => e);
    expect(isProblem(anonymous, "unauthorized")).toBe(true);
    expect(count("POST", REFRESH)).toBe(0);
  });
});
