/**
 * Federated sign-in end to end: the test plays the browser between the API and real providers on loopback -
 * oidc-provider as Google, Microsoft and a tenant's own provider, a GitHub stand-in - and every refusal the
 * protocol owes: a wrong or foreign state, a replayed code, ID tokens with the wrong nonce, audience or expiry,
 * unsigned or signed by an unknown key.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api, loginUser, PASSWORD } from "./auth-helpers";
import {
  answer,
  atProvider,
  begin,
  beginLink,
  configureSso,
  gitHubAccount,
  openId,
  pkcePair,
  providerAccount,
  tamperNext,
  verifyAddress,
} from "./federation-fixtures";
import { databaseCalls, problemOf } from "./helpers";
import { addUser, createTenant, query } from "./tenancy-fixtures";

const startPath = (provider: string, tenantId: string, extra = "") =>
  `/api/v1/auth/federated/${provider}/start?tenant=${tenantId}${extra}`;

/** A tenant whose admin's address is verified, linking by verified address, and a provider account for it. */
async function verifiedSetup(policy = "verified_email") {
  const tenant = await createTenant("sso");
  await verifyAddress(tenant.admin.id);
  await configureSso(tenant, { linking_policy: policy });
  const sub = await providerAccount({ email: tenant.admin.email, email_verified: true });
  return { tenant, sub };
}

async function signIn(provider: string, tenantId: string, sub: string) {
  const begun = await begin(startPath(provider, tenantId));
  return answer(await atProvider(begun, { login_hint: sub }), begun.cookie);
}

describe("federated sign-in", () => {
  it("signs in with Google by a verified address at both ends, links it, and signs in again by it", async () => {
    const { tenant, sub } = await verifiedSetup();
    const first = await signIn("google", tenant.id, sub);
    expect(first.status, await first.clone().text()).toBe(200);
    const body = await first.json<{ access_token: string; user: { id: string } }>();
    expect(body.user.id).toBe(tenant.admin.id);
    expect((await databaseCalls(first.headers.get("x-request-id") as string)).http).toBeLessThanOrEqual(2);
    const listed = await api("/api/v1/auth/me/identities", { token: body.access_token });
    const { identities } = await listed.json<{ identities: Array<{ provider: string; subject: string }> }>();
    expect(identities).toMatchObject([{ provider: "google", subject: sub }]);
    const again = await signIn("google", tenant.id, sub);
    expect(again.status).toBe(200);
    expect((await databaseCalls(again.headers.get("x-request-id") as string)).http).toBeLessThanOrEqual(2);
  });

  it("refuses to link without proof: policy signed_in, or an address the provider has not verified", async () => {
    const { tenant, sub } = await verifiedSetup("signed_in");
    const refused = await signIn("google", tenant.id, sub);
    expect(refused.status).toBe(403);
    expect((await problemOf(refused)).code).toBe("account_not_linked");
    await configureSso(tenant, { linking_policy: "verified_email" });
    const unverified = await providerAccount({ email: tenant.admin.email, email_verified: false });
    const again = await signIn("microsoft", tenant.id, unverified);
    expect((await problemOf(again)).code).toBe("account_not_linked");
    const rows = await query(sql`select 1 from federated_identities where user_id = ${tenant.admin.id}`);
    expect(rows).toHaveLength(0);
  });

  it("links an identity for its signed-in owner, who then signs in by it", async () => {
    const tenant = await createTenant("link");
    const sub = await providerAccount({ email: "someone-else@elsewhere.example", email_verified: true });
    const begun = await beginLink(tenant.admin.token, "microsoft");
    const linked = await answer(await atProvider(begun, { login_hint: sub }), begun.cookie);
    expect(linked.status, await linked.clone().text()).toBe(200);
    expect(await linked.json()).toMatchObject({ provider: "microsoft", subject: sub, issuer: openId.issuer });
    const signedIn = await signIn("microsoft", tenant.id, sub);
    expect(signedIn.status).toBe(200);
    // The same identity cannot join another account.
    const other = await createTenant("link-other");
    const again = await beginLink(other.admin.token, "microsoft");
    const taken = await answer(await atProvider(again, { login_hint: sub }), again.cookie);
    expect((await problemOf(taken)).code).toBe("identity_taken");
  });

  it("refuses a wrong state, an answer in another browser, and a replayed code", async () => {
    const { tenant, sub } = await verifiedSetup();
    const begun = await begin(startPath("google", tenant.id));
    const callback = await atProvider(begun, { login_hint: sub });
    const forged = new URL(callback);
    forged.searchParams.set("state", `${callback.searchParams.get("state")?.slice(0, -4)}AAAA`);
    expect((await problemOf(await answer(forged, begun.cookie))).code).toBe("federation_failed");
    const elsewhere = await answer(callback, "__Secure-finedge_federation=another-browser");
    expect(elsewhere.status).toBe(401);
    expect((await answer(callback, begun.cookie)).status).toBe(200);
    const replayed = await answer(callback, begun.cookie);
    expect(replayed.status).toBe(401);
    expect((await problemOf(replayed)).code).toBe("federation_failed");
  });

  for (const tamper of ["wrong_nonce", "wrong_audience", "expired", "alg_none", "foreign_key"]) {
    it(`refuses an ID token: ${tamper}`, async () => {
      const { tenant, sub } = await verifiedSetup();
      await tamperNext(sub, tamper);
      const refused = await signIn("google", tenant.id, sub);
      expect(refused.status).toBe(401);
      expect((await problemOf(refused)).code).toBe("federation_failed");
      const rows = await query(sql`select 1 from sessions where user_id = ${tenant.admin.id}`);
      expect(rows).toHaveLength(1);
    });
  }

  it("gives a user with 2FA the second-factor challenge, not tokens", async () => {
    const { tenant, sub } = await verifiedSetup();
    await query(
      sql`update users set totp_enabled_at = now(), totp_secret = 'JBSWY3DPEHPK3PXP' where id = ${tenant.admin.id}`,
    );
    const challenged = await signIn("google", tenant.id, sub);
    expect(challenged.status).toBe(200);
    expect(await challenged.json()).toMatchObject({ mfa_required: true, methods: ["totp", "backup_code"] });
  });

  it("signs in with GitHub by its verified primary address", async () => {
    const tenant = await createTenant("github");
    await verifyAddress(tenant.admin.id);
    await configureSso(tenant, { linking_policy: "verified_email" });
    const unverified = await gitHubAccount(tenant.admin.email, false);
    let begun = await begin(startPath("github", tenant.id));
    const refused = await answer(await atProvider(begun, { login: unverified.login }), begun.cookie);
    expect((await problemOf(refused)).code).toBe("account_not_linked");
    const account = await gitHubAccount(tenant.admin.email);
    begun = await begin(startPath("github", tenant.id));
    const signedIn = await answer(await atProvider(begun, { login: account.login }), begun.cookie);
    expect(signedIn.status, await signedIn.clone().text()).toBe(200);
    const rows = await query<{ subject: string }>(
      sql`select subject from federated_identities where user_id = ${tenant.admin.id} and provider = 'github'`,
    );
    expect(rows).toEqual([{ subject: String(account.id) }]);
  });
});

describe("federated sign-in: a tenant's own provider, mobile apps, unlinking, SSO-only domains", () => {
  it("discovers the tenant's OpenID provider, with its client secret sealed at rest", async () => {
    const { tenant, sub } = await verifiedSetup();
    const settings = await configureSso(tenant, {
      linking_policy: "verified_email",
      oidc: {
        issuer: openId.issuer,
        client_id: openId.tenant.clientId,
        client_secret: openId.tenant.clientSecret,
      },
    });
    expect(settings.oidc).toEqual({
      issuer: openId.issuer,
      client_id: openId.tenant.clientId,
      client_secret_set: true,
    });
    const [stored] = await query<{ secret: string }>(
      sql`select oidc_client_secret as secret from tenant_sso_settings where tenant_id = ${tenant.id}`,
    );
    expect(stored?.secret.startsWith("v1.")).toBe(true);
    expect(stored?.secret).not.toContain(openId.tenant.clientSecret);
    const signedIn = await signIn("oidc", tenant.id, sub);
    expect(signedIn.status, await signedIn.clone().text()).toBe(200);
    const unconfigured = await createTenant("no-oidc");
    expect((await api(startPath("oidc", unconfigured.id))).status).toBe(404);
  });

  it("sends a mobile app a one-time code for its allow-listed redirect URI, redeemed once with its verifier", async () => {
    const { tenant, sub } = await verifiedSetup();
    const app = "com.finedge.app:/oauth/callback";
    await configureSso(tenant, { linking_policy: "verified_email", redirect_uris: [app] });
    const { verifier, challenge } = await pkcePair();
    const refused = await api(
      startPath(
        "google",
        tenant.id,
        `&redirect_uri=${encodeURIComponent("https://evil.example/cb")}&code_challenge=${challenge}`,
      ),
    );
    expect(refused.status).toBe(400);
    expect((await problemOf(refused)).code).toBe("invalid_parameters");
    const begun = await begin(
      startPath("google", tenant.id, `&redirect_uri=${encodeURIComponent(app)}&code_challenge=${challenge}`),
    );
    const toApp = await answer(await atProvider(begun, { login_hint: sub }), begun.cookie);
    expect(toApp.status, await toApp.clone().text()).toBe(302);
    const location = new URL(toApp.headers.get("location") as string);
    expect(`${location.protocol}${location.pathname}`).toBe(app);
    const code = location.searchParams.get("code") as string;
    const wrong = await api("/api/v1/auth/federated/token", {
      body: { code, code_verifier: "w".repeat(43) },
    });
    expect((await problemOf(wrong)).code).toBe("federation_failed");
    const redeemed = await api("/api/v1/auth/federated/token", { body: { code, code_verifier: verifier } });
    expect(redeemed.status, await redeemed.clone().text()).toBe(200);
    expect(await redeemed.json()).toMatchObject({ token_type: "Bearer", user: { id: tenant.admin.id } });
    expect((await databaseCalls(redeemed.headers.get("x-request-id") as string)).http).toBeLessThanOrEqual(2);
    const replayed = await api("/api/v1/auth/federated/token", { body: { code, code_verifier: verifier } });
    expect(replayed.status).toBe(401);
  });

  it("refuses to unlink the last way to sign in, and unlinks one of two", async () => {
    const tenant = await createTenant("unlink");
    const member = await addUser(tenant, "analyst");
    const link = async (provider: string) => {
      const sub = await providerAccount({ email: member.email, email_verified: true });
      const begun = await beginLink(member.token, provider);
      const linked = await answer(await atProvider(begun, { login_hint: sub }), begun.cookie);
      expect(linked.status).toBe(200);
      return (await linked.json<{ id: string }>()).id;
    };
    const google = await link("google");
    const last = await api(`/api/v1/auth/me/identities/${google}`, { method: "DELETE", token: member.token });
    expect(last.status).toBe(409);
    expect((await problemOf(last)).code).toBe("last_sign_in_method");
    await link("microsoft");
    const unlinked = await api(`/api/v1/auth/me/identities/${google}`, {
      method: "DELETE",
      token: member.token,
    });
    expect(unlinked.status).toBe(204);
    const missing = await api(`/api/v1/auth/me/identities/${google}`, {
      method: "DELETE",
      token: member.token,
    });
    expect(missing.status).toBe(404);
  });

  it("refuses password sign-in for an SSO-only domain, to the right password only", async () => {
    const tenant = await createTenant("sso-only");
    const domain = tenant.admin.email.split("@")[1] as string;
    await configureSso(tenant, { sso_required_domains: [domain] });
    const wrong = await loginUser(tenant.admin.email, `${PASSWORD}-not`);
    expect(wrong.status).toBe(401);
    const right = await loginUser(tenant.admin.email, PASSWORD);
    expect(right.status).toBe(403);
    expect(right.body.code).toBe("sso_required");
    await configureSso(tenant, { sso_required_domains: [] });
    expect((await loginUser(tenant.admin.email, PASSWORD)).status).toBe(200);
  });
});
