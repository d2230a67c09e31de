import { describe, expect, it } from "vitest";
import { generateTotp } from "../../src/services/auth/totp";
import { api, loginUser, mailboxToken, PASSWORD, registerUser, stepUp } from "./auth-helpers";
import { problemOf } from "./helpers";

const REFRESH = "__Secure-finedge_refresh";
const CSRF = "__Host-finedge_csrf";
const COOKIE_MODE = { "x-token-delivery": "cookie" };
const WEEK = 7 * 24 * 3600;

interface CookieSession {
  access_token: string;
  session_id: string;
  csrf_token: string;
  refresh: string;
  csrf: string;
}

/** The value of one cookie from a response's Set-Cookie headers, and the full header. */
function setCookie(response: Response, name: string) {
  const header = response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
  expect(header, `Set-Cookie ${name}`).toBeDefined();
  return {
    header: header as string,
    value: (header as string).slice(name.length + 1).split(";")[0] as string,
  };
}

/** Reads a cookie-mode sign-in (or refresh) answer: the JSON and both cookies. */
async function cookieSessionOf(response: Response): Promise<CookieSession> {
  expect(response.status, await response.clone().text()).toBeLessThan(300);
  const body = await response.json<Record<string, unknown>>();
  expect(body).not.toHaveProperty("refresh_token");
  return {
    access_token: body.access_token as string,
    session_id: body.session_id as string,
    csrf_token: body.csrf_token as string,
    refresh: setCookie(response, REFRESH).value,
    csrf: setCookie(response, CSRF).value,
  };
}

async function cookieLogin(email: string) {
  return cookieSessionOf(
    await api("/api/v1/auth/login", { body: { email, password: PASSWORD }, headers: COOKIE_MODE }),
  );
}

const cookies = (session: { refresh?: string; csrf?: string }) =>
  [session.refresh && `${REFRESH}=${session.refresh}`, session.csrf && `${CSRF}=${session.csrf}`]
    .filter(Boolean)
    .join("; ");

/** POST /refresh as a browser in cookie mode: the refresh and CSRF cookies, and the header when given. */
const refreshWith = (session: { refresh?: string; csrf?: string }, csrfHeader?: string, body?: unknown) =>
  api("/api/v1/auth/refresh", {
    method: "POST",
    body,
    headers: {
      cookie: cookies(session),
      ...(csrfHeader === undefined ? {} : { "x-csrf-token": csrfHeader }),
    },
  });

async function expectCsrfFailure(response: Response) {
  expect(response.status).toBe(403);
  expect((await problemOf(response)).code).toBe("csrf_failed");
}

describe("cookie mode at sign-in", () => {
  it("sets the refresh and CSRF cookies with exactly the required attributes, and no refresh token in JSON", async () => {
    const account = await registerUser("cookie-login");
    const response = await api("/api/v1/auth/login", {
      body: { email: account.email, password: PASSWORD },
      headers: COOKIE_MODE,
    });
    const refresh = setCookie(response.clone(), REFRESH);
    const csrf = setCookie(response.clone(), CSRF);
    expect(response.headers.getSetCookie()).toHaveLength(2);
    expect(refresh.header).toBe(
      `${REFRESH}=${refresh.value}; Max-Age=${WEEK}; Path=/api/v1/auth/refresh; HttpOnly; Secure; SameSite=Strict`,
    );
    expect(csrf.header).toBe(`${CSRF}=${csrf.value}; Max-Age=${WEEK}; Path=/; Secure; SameSite=Strict`);
    expect(refresh.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const body = await response.json<Record<string, unknown>>();
    expect(Object.keys(body).sort()).toEqual(
      ["access_token", "csrf_token", "expires_in", "session_id", "token_type", "user"].sort(),
    );
    expect(body.csrf_token).toBe(csrf.value);
    expect(csrf.value).toContain(`.${body.session_id}.`);
    expect((await api("/api/v1/auth/me", { token: body.access_token as string })).status).toBe(200);
  });

  it("leaves bearer sign-in exactly as it was: refresh token in JSON, no cookie", async () => {
    const registered = await api("/api/v1/auth/register", {
      body: { email: `bearer-${crypto.randomUUID().slice(0, 8)}@example.com`, password: PASSWORD },
    });
    expect(registered.status).toBe(201);
    expect(registered.headers.getSetCookie()).toEqual([]);
    const { user, ...tokens } = await registered.json<{ user: { email: string } }>();
    expect(Object.keys(tokens).sort()).toEqual(
      ["access_token", "expires_in", "refresh_token", "session_id", "tenant", "token_type"].sort(),
    );
    const email = user.email;
    const response = await api("/api/v1/auth/login", { body: { email, password: PASSWORD } });
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(Object.keys(await response.json<object>()).sort()).toEqual(
      ["access_token", "expires_in", "refresh_token", "session_id", "token_type", "user"].sort(),
    );
  });

  it("works for registration, the 2FA completion and magic links, and refuses an unknown delivery", async () => {
    const email = `cookie-reg-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const registered = await cookieSessionOf(
      await api("/api/v1/auth/register", { body: { email, password: PASSWORD }, headers: COOKIE_MODE }),
    );
    expect(registered.csrf_token).toBe(registered.csrf);

    expect((await api("/api/v1/auth/magic-link", { body: { email } })).status).toBe(202);
    const token = await mailboxToken(email, "magic_link");
    await cookieSessionOf(
      await api("/api/v1/auth/magic-link/verify", { body: { token }, headers: COOKIE_MODE }),
    );

    await stepUp(registered.access_token, { password: PASSWORD });
    const enable = await api("/api/v1/auth/2fa/enable", { method: "POST", token: registered.access_token });
    const { secret } = await enable.json<{ secret: string }>();
    const now = Date.now();
    const verify = await api("/api/v1/auth/2fa/verify", {
      token: registered.access_token,
      body: { code: generateTotp({ secret, now }) },
    });
    const { backup_codes } = await verify.json<{ backup_codes: string[] }>();
    const challenge = await api("/api/v1/auth/login", {
      body: { email, password: PASSWORD },
      headers: COOKIE_MODE,
    });
    expect(challenge.headers.getSetCookie()).toEqual([]);
    const { mfa_token } = await challenge.json<{ mfa_token: string }>();
    const code = generateTotp({ secret, now: now + 30_000 });
    await cookieSessionOf(
      await api("/api/v1/auth/login/2fa", { body: { mfa_token, code }, headers: COOKIE_MODE }),
    );
    const second = await api("/api/v1/auth/login", { body: { email, password: PASSWORD } });
    const { mfa_token: again } = await second.json<{ mfa_token: string }>();
    await cookieSessionOf(
      await api("/api/v1/auth/2fa/backup-code", {
        body: { mfa_token: again, backup_code: backup_codes[0] },
        headers: COOKIE_MODE,
      }),
    );

    const wrong = await api("/api/v1/auth/login", {
      body: { email, password: PASSWORD },
      headers: { "x-token-delivery": "json" },
    });
    expect(wrong.status).toBe(400);
    expect((await problemOf(wrong)).code).toBe("invalid_parameters");
  });

  it("lets a browser with a stale CSRF cookie sign in again, and replaces it", async () => {
    const account = await registerUser("cookie-stale");
    const response = await api("/api/v1/auth/login", {
      body: { email: account.email, password: PASSWORD },
      headers: { ...COOKIE_MODE, cookie: `${CSRF}=not-a-valid-token` },
    });
    const session = await cookieSessionOf(response);
    expect(session.csrf).not.toBe("not-a-valid-token");
  });
});

describe("refresh in cookie mode", () => {
  it("rotates with the cookie and a valid CSRF header, renewing both cookies", async () => {
    const account = await registerUser("cookie-refresh");
    const first = await cookieLogin(account.email);
    const response = await refreshWith(first, first.csrf_token);
    const refresh = setCookie(response.clone(), REFRESH);
    expect(refresh.header).toMatch(/; Path=\/api\/v1\/auth\/refresh; HttpOnly; Secure; SameSite=Strict$/);
    const maxAge = Number(/Max-Age=(\d+)/.exec(refresh.header)?.[1]);
    expect(maxAge).toBeGreaterThan(WEEK - 60);
    expect(maxAge).toBeLessThanOrEqual(WEEK);
    const second = await cookieSessionOf(response);
    expect(second.session_id).toBe(first.session_id);
    expect(second.refresh).not.toBe(first.refresh);
    expect(second.csrf).not.toBe(first.csrf);
    expect(second.csrf_token).toBe(second.csrf);
    expect((await api("/api/v1/auth/me", { token: second.access_token })).status).toBe(200);
    // An explicit `{}` body is the same request.
    const third = await cookieSessionOf(await refreshWith(second, second.csrf_token, {}));
    expect(third.refresh).not.toBe(second.refresh);
  });

  it("refuses a missing, mismatched, tampered or other session's CSRF token with 403 - and rotates nothing", async () => {
    const victim = await cookieLogin((await registerUser("cookie-victim")).email);
    const attacker = await cookieLogin((await registerUser("cookie-attacker")).email);
    const [kid, sid, nonce, mac] = victim.csrf_token.split(".") as [string, string, string, string];
    const flipped = `${mac.slice(0, -2)}${mac.at(-2) === "A" ? "B" : "A"}${mac.at(-1)}`;
    const attempts: Array<[string, Response]> = [
      ["no header", await refreshWith(victim)],
      ["no CSRF cookie", await refreshWith({ refresh: victim.refresh }, victim.csrf_token)],
      ["header differs from cookie", await refreshWith(victim, attacker.csrf_token)],
      [
        "tampered signature",
        await refreshWith(
          { ...victim, csrf: `${kid}.${sid}.${nonce}.${flipped}` },
          `${kid}.${sid}.${nonce}.${flipped}`,
        ),
      ],
      [
        "another session id under the same signature",
        await refreshWith(
          { ...victim, csrf: `${kid}.${attacker.session_id}.${nonce}.${mac}` },
          `${kid}.${attacker.session_id}.${nonce}.${mac}`,
        ),
      ],
      // Valid-looking and really signed by the server - but for the attacker's session (a planted cookie).
      [
        "signed for another session",
        await refreshWith({ ...victim, csrf: attacker.csrf }, attacker.csrf_token),
      ],
    ];
    for (const [label, response] of attempts) {
      expect(response.status, label).toBe(403);
      expect((await problemOf(response)).code, label).toBe("csrf_failed");
      expect(response.headers.getSetCookie(), label).toEqual([]);
    }
    // Had any attempt rotated the token, presenting it again would be reuse and end the session.
    const rotated = await cookieSessionOf(await refreshWith(victim, victim.csrf_token));
    expect((await api("/api/v1/auth/me", { token: rotated.access_token })).status).toBe(200);
  });

  it("requires exactly one refresh token: body and cookie together is 422, neither is 401", async () => {
    const account = await registerUser("cookie-one");
    const session = await cookieLogin(account.email);
    const both = await refreshWith(session, session.csrf_token, { refresh_token: account.refresh_token });
    expect(both.status).toBe(422);
    expect((await problemOf(both)).errors?.[0]).toMatchObject({
      pointer: "/refresh_token",
      code: "conflict",
    });
    const neither = await api("/api/v1/auth/refresh", { method: "POST" });
    expect(neither.status).toBe(401);
    expect((await problemOf(neither)).code).toBe("unauthorized");
    expect((await api("/api/v1/auth/refresh", { body: {} })).status).toBe(401);
  });

  it("still ends the whole session when an old refresh cookie comes back", async () => {
    const account = await registerUser("cookie-reuse");
    const first = await cookieLogin(account.email);
    const second = await cookieSessionOf(await refreshWith(first, first.csrf_token));
    const reuse = await refreshWith({ refresh: first.refresh, csrf: second.csrf }, second.csrf_token);
    expect(reuse.status).toBe(401);
    expect((await refreshWith(second, second.csrf_token)).status).toBe(401);
    expect((await api("/api/v1/auth/me", { token: second.access_token })).status).toBe(401);
    const fresh = await loginUser(account.email, PASSWORD);
    const events = await api("/api/v1/auth/security-events", { token: fresh.body.access_token as string });
    expect(JSON.stringify(await events.json())).toContain("refresh_token_reuse");
  });

  it("leaves bearer refresh as it was: token in the body and in the answer, no cookie", async () => {
    const account = await registerUser("bearer-refresh");
    const response = await api("/api/v1/auth/refresh", { body: { refresh_token: account.refresh_token } });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(Object.keys(await response.json<object>()).sort()).toEqual(
      ["access_token", "expires_in", "refresh_token", "session_id", "token_type"].sort(),
    );
  });
});

describe("CSRF on every unsafe request in cookie mode", () => {
  it("refuses PATCH /me with the CSRF cookie but no header, and accepts it with the header", async () => {
    const account = await registerUser("cookie-patch");
    const session = await cookieLogin(account.email);
    const patch = (headers: Record<string, string>) =>
      api("/api/v1/auth/me", {
        method: "PATCH",
        token: session.access_token,
        body: { display_name: "Ada" },
        headers: { cookie: cookies({ csrf: session.csrf }), ...headers },
      });
    await expectCsrfFailure(await patch({}));
    await expectCsrfFailure(await patch({ "x-csrf-token": `${session.csrf_token}x` }));
    await expectCsrfFailure(
      await patch({ "x-csrf-token": session.csrf_token, "sec-fetch-site": "cross-site" }),
    );
    await expectCsrfFailure(
      await patch({ "x-csrf-token": session.csrf_token, origin: "https://evil.example" }),
    );
    expect((await patch({ "x-csrf-token": session.csrf_token, origin: "https://api.test" })).status).toBe(
      200,
    );
    const ok = await patch({ "x-csrf-token": session.csrf_token, "sec-fetch-site": "same-site" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ display_name: "Ada" });
    // Safe methods are not checked.
    const get = await api("/api/v1/auth/me", {
      token: session.access_token,
      headers: { cookie: cookies(session) },
    });
    expect(get.status).toBe(200);
  });

  it("refuses a CSRF token of another session next to a bearer token", async () => {
    const account = await registerUser("cookie-bind");
    const mine = await cookieLogin(account.email);
    const other = await cookieLogin(account.email);
    const response = await api("/api/v1/auth/me", {
      method: "PATCH",
      token: mine.access_token,
      body: { display_name: "Ada" },
      headers: { cookie: cookies({ csrf: other.csrf }), "x-csrf-token": other.csrf_token },
    });
    await expectCsrfFailure(response);
  });

  it("lets bearer clients without cookies through untouched", async () => {
    const account = await registerUser("bearer-patch");
    const response = await api("/api/v1/auth/me", {
      method: "PATCH",
      token: account.access_token,
      body: { display_name: "Grace" },
    });
    expect(response.status).toBe(200);
    const logout = await api("/api/v1/auth/logout", { method: "POST", token: account.access_token });
    expect(logout.status).toBe(204);
    expect(logout.headers.getSetCookie()).toEqual([]);
  });

  it("logout needs the header, then ends the session and deletes both cookies", async () => {
    const account = await registerUser("cookie-logout");
    const session = await cookieLogin(account.email);
    const logout = (headers: Record<string, string>) =>
      api("/api/v1/auth/logout", {
        method: "POST",
        token: session.access_token,
        headers: { cookie: cookies({ csrf: session.csrf }), ...headers },
      });
    await expectCsrfFailure(await logout({}));
    expect((await api("/api/v1/auth/me", { token: session.access_token })).status).toBe(200);

    const response = await logout({ "x-csrf-token": session.csrf_token });
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie().sort()).toEqual(
      [
        `${REFRESH}=; Max-Age=0; Path=/api/v1/auth/refresh; HttpOnly; Secure; SameSite=Strict`,
        `${CSRF}=; Max-Age=0; Path=/; Secure; SameSite=Strict`,
      ].sort(),
    );
    expect((await api("/api/v1/auth/me", { token: session.access_token })).status).toBe(401);
    expect((await refreshWith(session, session.csrf_token)).status).toBe(401);
  });
});
