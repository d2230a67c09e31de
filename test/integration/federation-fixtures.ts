import { sql } from "drizzle-orm";
import { expect, inject } from "vitest";
import { api } from "./auth-helpers";
import { call } from "./helpers";
import { query, type TenantFixture } from "./tenancy-fixtures";

/** The local OpenID provider ("Google", "Microsoft", a tenant's own) and the GitHub stand-in. */
export const openId = inject("openIdProvider");
export const gitHub = inject("gitHub");

/** Registers an account at the OpenID provider; its subject. */
export async function providerAccount(claims: Record<string, unknown>): Promise<string> {
  const sub = `sub-${crypto.randomUUID()}`;
  await fetch(`${openId.issuer}/__test/accounts`, { method: "POST", body: JSON.stringify({ sub, claims }) });
  return sub;
}

/** Makes the next ID token the provider issues to `sub` wrong in one way. */
export async function tamperNext(sub: string, tamper: string) {
  await fetch(`${openId.issuer}/__test/tamper`, { method: "POST", body: JSON.stringify({ sub, tamper }) });
}

/** Registers a GitHub account with one verified (or not) primary address; its login. */
export async function gitHubAccount(email: string, verified = true): Promise<{ login: string; id: number }> {
  const account = {
    id: Math.floor(Math.random() * 1e9) + 1,
    login: `gh-${crypto.randomUUID().slice(0, 8)}`,
    emails: [{ email, primary: true, verified }],
  };
  await fetch(`${gitHub.url}/__test/accounts`, { method: "POST", body: JSON.stringify(account) });
  return account;
}

/** A flow begun: where the browser goes, and the binding cookie to send back. */
export interface Begun {
  location: URL;
  cookie: string;
}

const bindingOf = (response: Response) => {
  const header = response.headers.getSetCookie().find((c) => c.startsWith("__Secure-finedge_federation="));
  expect(header, "the binding cookie").toBeDefined();
  return (header as string).split(";")[0] as string;
};

/** FinEdge's start endpoint, as a browser follows it. */
export async function begin(path: string): Promise<Begun> {
  const response = await call(path);
  expect(response.status, await response.clone().text()).toBe(302);
  return { location: new URL(response.headers.get("location") as string), cookie: bindingOf(response) };
}

/** Linking started by a signed-in user. */
export async function beginLink(token: string, provider: string): Promise<Begun> {
  const response = await api(`/api/v1/auth/me/identities/${provider}/link/start`, { method: "POST", token });
  expect(response.status, await response.clone().text()).toBe(200);
  const { authorization_url } = await response.json<{ authorization_url: string }>();
  return { location: new URL(authorization_url), cookie: bindingOf(response) };
}

/**
 * The browser at the provider: the authorization URL with the account chosen (`login_hint`, or GitHub's
 * `login`), its redirects followed with the provider's cookies until one points back at the API.
 */
export async function atProvider(begun: Begun, account: { login_hint: string } | { login: string }) {
  let url = new URL(begun.location);
  for (const [name, value] of Object.entries(account)) url.searchParams.set(name, value);
  const jar = new Map<string, string>();
  for (let hop = 0; hop < 10; hop += 1) {
    const response = await fetch(url, {
      redirect: "manual",
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const [name, ...value] = (pair as string).split("=");
      jar.set(name as string, value.join("="));
    }
    const location = response.headers.get("location");
    expect(location, `hop ${hop}: ${response.status} ${await response.text()}`).toBeTruthy();
    url = new URL(location as string, url);
    if (url.origin === "https://api.test") return url;
  }
  throw new Error("the provider never sent the browser back");
}

/** The provider's answer delivered to the API's callback, with the binding cookie. */
export const answer = (callback: URL, cookie: string) =>
  call(`${callback.pathname}${callback.search}`, { headers: { cookie } });

/** Sets a tenant's federated sign-in settings through the API. */
export async function configureSso(tenant: TenantFixture, settings: Record<string, unknown>) {
  const response = await api(`/api/v1/tenants/${tenant.id}/sso`, {
    method: "PUT",
    token: tenant.admin.token,
    body: { redirect_uris: [], linking_policy: "signed_in", sso_required_domains: [], ...settings },
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<Record<string, unknown>>();
}

/** Marks an account's address verified (as its verification link would). */
export const verifyAddress = (userId: string) =>
  query(sql`update users set email_verified_at = now() where id = ${userId}`);

/** A PKCE verifier and its S256 challenge, as a mobile app makes them. */
export async function pkcePair() {
  const verifier = `v${crypto.randomUUID().replaceAll("-", "")}${crypto.randomUUID().replaceAll("-", "")}`;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  const challenge = btoa(String.fromCharCode(...new Uint8Array(digest)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
  return { verifier, challenge };
}

/** Links a fresh provider account to a signed-in user; the identity's id and the account's subject. */
export async function linkedIdentity(user: { token: string; email: string }, provider = "google") {
  const sub = await providerAccount({ email: user.email, email_verified: true });
  const begun = await beginLink(user.token, provider);
  const linked = await answer(await atProvider(begun, { login_hint: sub }), begun.cookie);
  expect(linked.status, await linked.clone().text()).toBe(200);
  return { id: (await linked.json<{ id: string }>()).id, sub };
}

/** A mobile sign-in run up to the one-time code the app receives (the tenant's allow-list set to its URI). */
export async function mobileCode(tenant: TenantFixture, user: { token: string; email: string }) {
  const app = "com.finedge.app:/oauth/callback";
  await configureSso(tenant, { redirect_uris: [app] });
  const { sub } = await linkedIdentity(user);
  const { verifier, challenge } = await pkcePair();
  const begun = await begin(
    `/api/v1/auth/federated/google/start?tenant=${tenant.id}&redirect_uri=${encodeURIComponent(app)}&code_challenge=${challenge}`,
  );
  const toApp = await answer(await atProvider(begun, { login_hint: sub }), begun.cookie);
  expect(toApp.status, await toApp.clone().text()).toBe(302);
  const code = new URL(toApp.headers.get("location") as string).searchParams.get("code") as string;
  return { app, code, verifier };
}
