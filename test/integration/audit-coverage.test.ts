/**
 * Every state-changing operation of the API leaves its own record: an audit event in the tenant's trail
 * (never the generic one `authorize` falls back to, `"<METHOD> <route>"`), or - for sign-in, tokens and
 * the account's own security - the security event the README promises, or both. The recipe table below
 * names, for each POST/PUT/PATCH/DELETE operation of the OpenAPI document, how to perform it successfully
 * and what it must record; a new operation without a recipe fails the first test, and a route that stops
 * recording its event fails its own.
 */
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { hashPassword } from "../../src/services/auth/passwords";
import { generateTotp } from "../../src/services/auth/totp";
import { api, loginUser, mailboxToken, PASSWORD, stepUp, uniqueEmail } from "./auth-helpers";
import { FIELDS, upload as uploadBulk } from "./bulk-fixtures";
import { openCase, raiseAlert } from "./compliance-fixtures";
import { linkedIdentity as linkIdentity, mobileCode as mobileSignIn } from "./federation-fixtures";
import { call } from "./helpers";
import { createAsset, txPath, uniqueSymbol } from "./portfolio-fixtures";
import {
  annualStatement,
  createCompany,
  eightQuarters,
  fileStatements,
  manifestOf,
  publishTrainedModels,
  SETUP_TIMEOUT_MS,
  trainedModels,
  uploadOwnModel,
} from "./risk-fixtures";
import { matchesOf, readyList, uploadList } from "./sanctions-fixtures";
import {
  addOrganization,
  addUser,
  createApiKey,
  createTenant,
  type Member,
  query,
  type TenantFixture,
  tokenFor,
} from "./tenancy-fixtures";

/** What an operation must leave behind. */
interface Evidence {
  /** The audit action the request appends (found by its request id, in whichever tenant's trail). */
  audit?: string;
  /** What the audit event's summary must show (e.g. before and after of the changed fields). */
  summary?: Record<string, unknown>;
  /** Security events of the acting user recorded by the request. */
  security?: string[];
  /** The security event is recorded after the response (recovery links): poll for it, bounded. */
  afterResponse?: boolean;
  /** The platform records it on a third party's signed word (a provider's callback): the system acts. */
  bySystem?: boolean;
}

/** The operation under test, performed; `userId` is whose security events to look at. */
interface Outcome {
  response: Response;
  userId?: string;
  /** What the audit event's summary must show, when it depends on the fixtures made. */
  summary?: Record<string, unknown>;
}

type Recipe = Evidence & { run: () => Promise<Outcome> };
type Exempt = { exempt: string };

const UNSAFE = ["post", "put", "patch", "delete"];
const GENERIC = /^(POST|PUT|PATCH|DELETE) \//;
const NEW_PASSWORD = "quartz-meadow-violin-58";

let tenant: TenantFixture;
let passwordHash: string;

/** A user of the shared tenant who can sign in with PASSWORD, with a minted access token (no session row). */
async function member(role: Member["role"] = "analyst"): Promise<Member> {
  const user = await addUser(tenant, role);
  await query(sql`update users set password_hash = ${passwordHash} where id = ${user.id}`);
  return user;
}

/** A real sign-in of a member: a session row and its token pair. */
async function signIn(user: Member) {
  const login = await loginUser(user.email, PASSWORD);
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  return login.body as { access_token: string; refresh_token: string; session_id: string };
}

/** A member with 2FA on; their session counts as stepped up with the second factor. */
async function enrolled() {
  const user = await member();
  await stepUp(user.token, { password: PASSWORD });
  const enable = await api("/api/v1/auth/2fa/enable", { method: "POST", token: user.token });
  expect(enable.status, await enable.clone().text()).toBe(200);
  const { secret } = await enable.json<{ secret: string }>();
  const verify = await api("/api/v1/auth/2fa/verify", {
    token: user.token,
    body: { code: generateTotp({ secret, now: Date.now() }) },
  });
  expect(verify.status, await verify.clone().text()).toBe(200);
  const { backup_codes } = await verify.json<{ backup_codes: string[] }>();
  return { ...user, secret, backupCodes: backup_codes };
}

/** A sign-in challenge of a member with 2FA on. */
async function challenged() {
  const user = await enrolled();
  const login = await loginUser(user.email, PASSWORD);
  expect(login.body).toHaveProperty("mfa_required", true);
  return { user, mfaToken: login.body.mfa_token as string };
}

/** A fixture step that must succeed; its JSON body, if it has one. */
async function ok<T>(response: Response): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBeLessThan(300);
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * A deposit the money check held for review, in a tenant of its own whose policy holds every movement, with
 * an analyst of the portfolio's organization (not its poster) to decide it.
 */
async function heldMovement() {
  const own = await createTenant("audit-review");
  const org = await addOrganization(own);
  const portfolio = await ok<{ id: string }>(
    await api("/api/v1/portfolios", {
      token: own.admin.token,
      body: { name: "Held", organization_id: org.id, base_currency: "USD" },
    }),
  );
  await ok(
    await api("/api/v1/security/policy", {
      method: "PUT",
      token: own.admin.token,
      body: { based_on: 0, policy: { review_at: 0 } },
    }),
  );
  const held = await ok<{ id: string; check: { decision: string } }>(
    await api(txPath(portfolio.id), { token: own.admin.token, body: { type: "deposit", amount: "10.00" } }),
  );
  expect(held.check.decision).toBe("review");
  const reviewer = await addUser(own, "analyst", [{ organizationId: org.id, role: "analyst" }]);
  return { portfolioId: portfolio.id, transactionId: held.id, reviewer: reviewer.token };
}

/** A funded USD portfolio with a priced whole-share asset, made once and shared by the ledger recipes. */
let book: Promise<{ portfolioId: string; assetId: string; symbol: string }> | undefined;
function ledger() {
  book ??= (async () => {
    const token = tenant.admin.token;
    const asset = await createAsset(tenant);
    const org = await addOrganization(tenant);
    const portfolio = await ok<{ id: string }>(
      await api("/api/v1/portfolios", {
        token,
        body: { name: "Audit book", organization_id: org.id, base_currency: "USD" },
      }),
    );
    await ok(
      await api(txPath(portfolio.id), {
        token,
        body: { type: "deposit", amount: "100000.00", executed_at: "2025-01-01T00:00:00Z" },
      }),
    );
    return { portfolioId: portfolio.id, assetId: asset.id, symbol: asset.symbol };
  })();
  return book;
}

const transaction = async (body: Record<string, unknown>) => {
  const { portfolioId } = await ledger();
  return ok<{ id: string }>(await api(txPath(portfolioId), { token: tenant.admin.token, body }));
};

const pendingDeposit = () => transaction({ type: "deposit", amount: "5.00", settle: false });

/** A tenant model: credit-lr's graph under a new name, uploaded as a client would. */
function uploadModel(token: string) {
  const name = `audit-${crypto.randomUUID().slice(0, 8)}`;
  const response = uploadOwnModel(token, (m) => {
    m.name = name;
    m.version = "1.0.0";
  });
  return { name, response };
}

const creditCsv = () => {
  const input = manifestOf("credit-lr").samples[0]?.input ?? {};
  const row = FIELDS.map((f) => (input[f] === null || input[f] === undefined ? "" : String(input[f])));
  return `reference,${FIELDS.join(",")}\nr1,${row.join(",")}\n`;
};

const invite = (email: string) =>
  api("/api/v1/invitations", { token: tenant.admin.token, body: { email, role: "viewer" } });

const admin = () => tenant.admin.token;

/** A linked identity of a member (who keeps a password, so unlinking it leaves a way in). */
const linkedIdentity = async (user: Member) => (await linkIdentity(user)).id;

/** A mobile sign-in's one-time code, with the verifier that redeems it. */
async function mobileCode() {
  const user = await member();
  const { code, verifier } = await mobileSignIn(tenant, user);
  return { userId: user.id, code, verifier };
}

/** A webhook endpoint of the shared tenant, to a receiver that answers 200; its id and version. */
async function auditedEndpoint(): Promise<{ id: string; version: number }> {
  const created = await api("/api/v1/webhooks/endpoints", {
    token: admin(),
    body: { url: `${inject("webhookReceiver")}/r/${crypto.randomUUID()}/ok`, events: ["job.finished"] },
  });
  return ok<{ id: string; version: number }>(created);
}

/** A person who can be verified (a date of birth stated), onboarded through the API; its id. */
async function verifiableCustomer(): Promise<string> {
  const created = await api("/api/v1/customers", {
    token: admin(),
    body: {
      kind: "person",
      country: "IE",
      identity: { name: "Verified Audit Person", date_of_birth: "1988-01-02" },
    },
  });
  return (await ok<{ id: string }>(created)).id;
}

/** The shared tenant's sanctions list, uploaded and rescreened once. */
let listReady: Promise<unknown> | undefined;
const sanctionsList = () => {
  listReady ??= readyList(admin());
  return listReady;
};

/** A fresh customer whose name the fixture list holds: the id of its open match. */
async function openMatch(): Promise<string> {
  await sanctionsList();
  const created = await ok<{ id: string }>(
    await api("/api/v1/customers", {
      token: admin(),
      body: { kind: "person", country: "GB", identity: { name: "Henrik Olav Brandvold" } },
    }),
  );
  const [match] = await matchesOf(admin(), `&customer_id=${created.id}`);
  if (!match) throw new Error("the fixture list found no match");
  return match.id;
}

/**
 * How each state-changing operation is performed, and what it must record. Keys are the OpenAPI
 * document's `<method> <path>`.
 */
const RECIPES: Record<string, Recipe | Exempt> = {
  // --- Account: sign-in and tokens (security events, as the README lists them)
  "post /api/v1/auth/register": {
    security: ["register"],
    run: async () => {
      const response = await api("/api/v1/auth/register", {
        body: { email: uniqueEmail("audit-register"), password: PASSWORD },
      });
      const body = await response.clone().json<{ user?: { id: string } }>();
      return { response, userId: body.user?.id };
    },
  },
  "post /api/v1/auth/login": {
    security: ["login_success"],
    run: async () => {
      const user = await member();
      const response = await api("/api/v1/auth/login", { body: { email: user.email, password: PASSWORD } });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/auth/login/2fa": {
    security: ["login_success"],
    run: async () => {
      const { user, mfaToken } = await challenged();
      // The next time step: the enrolment spent this one, and a code never works twice.
      const code = generateTotp({ secret: user.secret, now: Date.now() + 30_000 });
      const response = await api("/api/v1/auth/login/2fa", { body: { mfa_token: mfaToken, code } });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/auth/2fa/backup-code": {
    security: ["backup_code_used", "login_success"],
    run: async () => {
      const { user, mfaToken } = await challenged();
      const response = await api("/api/v1/auth/2fa/backup-code", {
        body: { mfa_token: mfaToken, backup_code: user.backupCodes[0] },
      });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/auth/refresh": {
    security: ["token_refreshed"],
    afterResponse: true,
    run: async () => {
      const user = await member();
      const { refresh_token } = await signIn(user);
      return { response: await api("/api/v1/auth/refresh", { body: { refresh_token } }), userId: user.id };
    },
  },
  "post /api/v1/auth/logout": {
    security: ["logout"],
    run: async () => {
      const user = await member();
      const { access_token } = await signIn(user);
      const response = await api("/api/v1/auth/logout", { method: "POST", token: access_token });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/auth/magic-link": {
    security: ["magic_link_requested"],
    afterResponse: true,
    run: async () => {
      const user = await member();
      return {
        response: await api("/api/v1/auth/magic-link", { body: { email: user.email } }),
        userId: user.id,
      };
    },
  },
  "post /api/v1/auth/magic-link/verify": {
    security: ["login_success"],
    run: async () => {
      const user = await member();
      await ok(await api("/api/v1/auth/magic-link", { body: { email: user.email } }));
      const token = await mailboxToken(user.email, "magic_link");
      return { response: await api("/api/v1/auth/magic-link/verify", { body: { token } }), userId: user.id };
    },
  },
  // --- Account: recovery and verification
  "post /api/v1/auth/password/forgot": {
    security: ["password_reset_requested"],
    afterResponse: true,
    run: async () => {
      const user = await member();
      const response = await api("/api/v1/auth/password/forgot", { body: { email: user.email } });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/auth/password/reset": {
    security: ["password_reset"],
    run: async () => {
      const user = await member();
      await ok(await api("/api/v1/auth/password/forgot", { body: { email: user.email } }));
      const token = await mailboxToken(user.email, "password_reset");
      const response = await api("/api/v1/auth/password/reset", {
        body: { token, new_password: NEW_PASSWORD },
      });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/auth/verify-email": {
    security: ["email_verification_requested"],
    afterResponse: true,
    run: async () => {
      const user = await member();
      const response = await api("/api/v1/auth/verify-email", { method: "POST", token: user.token });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/auth/verify-email/confirm": {
    security: ["email_verified"],
    run: async () => {
      const user = await member();
      await ok(await api("/api/v1/auth/verify-email", { method: "POST", token: user.token }));
      const token = await mailboxToken(user.email, "verify_email");
      return {
        response: await api("/api/v1/auth/verify-email/confirm", { body: { token } }),
        userId: user.id,
      };
    },
  },
  // --- Account: the signed-in user's own profile and security
  "patch /api/v1/auth/me": {
    audit: "user.updated",
    summary: { before: { displayName: null }, after: { displayName: "Audited Name" } },
    run: async () => {
      const user = await member();
      const response = await api("/api/v1/auth/me", {
        method: "PATCH",
        token: user.token,
        body: { display_name: "Audited Name" },
      });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/auth/change-password": {
    security: ["password_changed"],
    run: async () => {
      const user = await member();
      const response = await api("/api/v1/auth/change-password", {
        token: user.token,
        body: { current_password: PASSWORD, new_password: NEW_PASSWORD },
      });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/auth/step-up": {
    security: ["step_up"],
    run: async () => {
      const user = await member();
      const response = await api("/api/v1/auth/step-up", { token: user.token, body: { password: PASSWORD } });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/auth/change-email": {
    security: ["email_change_requested"],
    run: async () => {
      const user = await member();
      await stepUp(user.token, { password: PASSWORD });
      const response = await api("/api/v1/auth/change-email", {
        token: user.token,
        body: { email: uniqueEmail("audit-moved") },
      });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/auth/change-email/confirm": {
    audit: "user.email_changed",
    security: ["email_changed"],
    run: async () => {
      const user = await member();
      const moved = uniqueEmail("audit-moved");
      await stepUp(user.token, { password: PASSWORD });
      await ok(await api("/api/v1/auth/change-email", { token: user.token, body: { email: moved } }));
      const token = await mailboxToken(moved, "change_email");
      const response = await api("/api/v1/auth/change-email/confirm", { token: user.token, body: { token } });
      return {
        response,
        userId: user.id,
        summary: { before: { email: user.email }, after: { email: moved } },
      };
    },
  },
  "delete /api/v1/auth/sessions/{id}": {
    security: ["session_revoked"],
    run: async () => {
      const user = await member();
      const other = await signIn(user);
      const response = await api(`/api/v1/auth/sessions/${other.session_id}`, {
        method: "DELETE",
        token: user.token,
      });
      return { response, userId: user.id };
    },
  },
  "delete /api/v1/auth/sessions": {
    security: ["sessions_revoked"],
    run: async () => {
      const user = await member();
      await signIn(user);
      const response = await api("/api/v1/auth/sessions", { method: "DELETE", token: user.token });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/auth/2fa/enable": {
    security: ["mfa_enrolment_started"],
    run: async () => {
      const user = await member();
      await stepUp(user.token, { password: PASSWORD });
      const response = await api("/api/v1/auth/2fa/enable", { method: "POST", token: user.token });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/auth/2fa/verify": {
    security: ["mfa_enabled"],
    run: async () => {
      const user = await member();
      await stepUp(user.token, { password: PASSWORD });
      const { secret } = await ok<{ secret: string }>(
        await api("/api/v1/auth/2fa/enable", { method: "POST", token: user.token }),
      );
      const response = await api("/api/v1/auth/2fa/verify", {
        token: user.token,
        body: { code: generateTotp({ secret, now: Date.now() }) },
      });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/auth/2fa/backup-codes": {
    security: ["backup_codes_regenerated"],
    run: async () => {
      const user = await enrolled();
      const response = await api("/api/v1/auth/2fa/backup-codes", { token: user.token, body: {} });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/auth/2fa/disable": {
    security: ["mfa_disabled"],
    run: async () => {
      const user = await enrolled();
      const response = await api("/api/v1/auth/2fa/disable", { token: user.token, body: {} });
      return { response, userId: user.id };
    },
  },

  // --- Tenancy
  "post /api/v1/tenants": {
    audit: "tenant.created",
    run: async () => {
      const operator = await addUser(tenant, "tenant_admin");
      await query(sql`update users set role = 'super_admin' where id = ${operator.id}`);
      const token = await tokenFor({ id: operator.id, role: "super_admin" }, tenant.id);
      return { response: await api("/api/v1/tenants", { token, body: { name: "Audited Holdings" } }) };
    },
  },
  "put /api/v1/tenants/{id}/sso": {
    audit: "tenant.sso_updated",
    run: async () => ({
      response: await api(`/api/v1/tenants/${tenant.id}/sso`, {
        method: "PUT",
        token: admin(),
        body: { redirect_uris: [], linking_policy: "signed_in", sso_required_domains: [] },
      }),
    }),
  },
  "post /api/v1/auth/federated/token": {
    security: ["login_success"],
    run: async () => {
      const { userId, code, verifier } = await mobileCode();
      const response = await api("/api/v1/auth/federated/token", { body: { code, code_verifier: verifier } });
      return { response, userId };
    },
  },
  "post /api/v1/auth/me/identities/{provider}/link/start": {
    exempt: "Returns the provider's URL and a sealed state; nothing is stored until the provider answers.",
  },
  "delete /api/v1/auth/me/identities/{id}": {
    security: ["identity_unlinked"],
    run: async () => {
      const user = await member();
      const identityId = await linkedIdentity(user);
      const response = await api(`/api/v1/auth/me/identities/${identityId}`, {
        method: "DELETE",
        token: user.token,
      });
      return { response, userId: user.id };
    },
  },
  "patch /api/v1/tenants/{id}": {
    audit: "tenant.updated",
    run: async () => ({
      response: await api(`/api/v1/tenants/${tenant.id}`, {
        method: "PATCH",
        token: admin(),
        body: { name: "Audit coverage" },
      }),
    }),
  },
  "post /api/v1/auth/me/export": {
    audit: "personal_data.exported",
    run: async () => ({ response: await api("/api/v1/auth/me/export", { method: "POST", token: admin() }) }),
  },
  "post /api/v1/users/{id}/export": {
    audit: "personal_data.exported",
    run: async () => {
      const user = await addUser(tenant, "viewer");
      const body = { request_reference: "DSR-1" };
      return { response: await api(`/api/v1/users/${user.id}/export`, { token: admin(), body }) };
    },
  },
  "post /api/v1/auth/me/erase": {
    audit: "user.erased",
    run: async () => {
      const user = await member();
      await stepUp(user.token, { password: PASSWORD });
      const body = { confirm_email: user.email };
      return { response: await api("/api/v1/auth/me/erase", { token: user.token, body }) };
    },
  },
  "post /api/v1/users/{id}/erase": {
    audit: "user.erased",
    run: async () => {
      const user = await addUser(tenant, "viewer");
      await stepUp(admin(), { password: PASSWORD });
      const body = { confirm_email: user.email, request_reference: "DSR-2" };
      return { response: await api(`/api/v1/users/${user.id}/erase`, { token: admin(), body }) };
    },
  },
  "put /api/v1/retention": {
    audit: "retention.updated",
    run: async () => ({
      response: await api("/api/v1/retention", {
        method: "PUT",
        token: admin(),
        body: { security_events_days: 60, audit_events_days: 2557 },
      }),
    }),
  },
  "patch /api/v1/users/{id}": {
    audit: "user.updated",
    run: async () => {
      const user = await addUser(tenant, "viewer");
      const response = await api(`/api/v1/users/${user.id}`, {
        method: "PATCH",
        token: admin(),
        body: { role: "analyst" },
      });
      return { response };
    },
  },
  "post /api/v1/users/{id}/unlock": {
    audit: "user.unlocked",
    run: async () => {
      const user = await member();
      return { response: await api(`/api/v1/users/${user.id}/unlock`, { method: "POST", token: admin() }) };
    },
  },
  "post /api/v1/users/{id}/2fa/reset": {
    audit: "user.mfa_reset",
    security: ["mfa_reset"],
    run: async () => {
      const user = await enrolled();
      const response = await api(`/api/v1/users/${user.id}/2fa/reset`, { method: "POST", token: admin() });
      return { response, userId: user.id };
    },
  },
  "post /api/v1/organizations": {
    audit: "organization.created",
    run: async () => ({
      response: await api("/api/v1/organizations", {
        token: admin(),
        body: { name: `org-${uniqueSymbol()}` },
      }),
    }),
  },
  "patch /api/v1/organizations/{id}": {
    audit: "organization.updated",
    run: async () => {
      const org = await addOrganization(tenant);
      const response = await api(`/api/v1/organizations/${org.id}`, {
        method: "PATCH",
        token: admin(),
        body: { name: `renamed-${uniqueSymbol()}` },
      });
      return { response };
    },
  },
  "delete /api/v1/organizations/{id}": {
    audit: "organization.deleted",
    run: async () => {
      const org = await addOrganization(tenant);
      return { response: await api(`/api/v1/organizations/${org.id}`, { method: "DELETE", token: admin() }) };
    },
  },
  "post /api/v1/organizations/{id}/members": {
    audit: "member.added",
    run: async () => {
      const org = await addOrganization(tenant);
      const user = await addUser(tenant, "viewer");
      const response = await api(`/api/v1/organizations/${org.id}/members`, {
        token: admin(),
        body: { user_id: user.id, role: "viewer" },
      });
      return { response };
    },
  },
  "patch /api/v1/organizations/{id}/members/{userId}": {
    audit: "member.role_changed",
    run: async () => {
      const org = await addOrganization(tenant);
      const user = await addUser(tenant, "viewer", [{ organizationId: org.id, role: "viewer" }]);
      const response = await api(`/api/v1/organizations/${org.id}/members/${user.id}`, {
        method: "PATCH",
        token: admin(),
        body: { role: "analyst" },
      });
      return { response };
    },
  },
  "delete /api/v1/organizations/{id}/members/{userId}": {
    audit: "member.removed",
    run: async () => {
      const org = await addOrganization(tenant);
      const user = await addUser(tenant, "viewer", [{ organizationId: org.id, role: "viewer" }]);
      const response = await api(`/api/v1/organizations/${org.id}/members/${user.id}`, {
        method: "DELETE",
        token: admin(),
      });
      return { response };
    },
  },
  "post /api/v1/invitations": {
    audit: "invitation.created",
    run: async () => ({ response: await invite(uniqueEmail("audit-invited")) }),
  },
  "delete /api/v1/invitations/{id}": {
    audit: "invitation.revoked",
    run: async () => {
      const { id } = await ok<{ id: string }>(await invite(uniqueEmail("audit-invited")));
      return { response: await api(`/api/v1/invitations/${id}`, { method: "DELETE", token: admin() }) };
    },
  },
  "post /api/v1/invitations/{token}/accept": {
    audit: "invitation.accepted",
    security: ["register"],
    run: async () => {
      const email = uniqueEmail("audit-invited");
      await ok(await invite(email));
      const token = await mailboxToken(email, "invitation");
      const response = await api(`/api/v1/invitations/${token}/accept`, { body: { password: PASSWORD } });
      const body = await response.clone().json<{ user?: { id: string } }>();
      return { response, userId: body.user?.id };
    },
  },
  "post /api/v1/api-keys": {
    audit: "api_key.created",
    run: async () => {
      await stepUp(admin(), { password: PASSWORD });
      const response = await api("/api/v1/api-keys", {
        token: admin(),
        body: { name: "audited key", scopes: ["portfolios:read"] },
      });
      return { response };
    },
  },
  "delete /api/v1/api-keys/{id}": {
    audit: "api_key.revoked",
    run: async () => {
      const { id } = await createApiKey(tenant, { scopes: ["portfolios:read"] });
      return { response: await api(`/api/v1/api-keys/${id}`, { method: "DELETE", token: admin() }) };
    },
  },
  "post /api/v1/audit-events/export": {
    audit: "audit.exported",
    run: async () => ({ response: await api("/api/v1/audit-events/export", { token: admin(), body: {} }) }),
  },

  // --- Assets, prices, portfolios and their ledger
  "post /api/v1/assets": {
    audit: "asset.created",
    run: async () => ({
      response: await api("/api/v1/assets", {
        token: admin(),
        body: {
          symbol: uniqueSymbol(),
          name: "Audited",
          asset_class: "stock",
          currency: "USD",
          quantity_scale: 0,
        },
      }),
    }),
  },
  "patch /api/v1/assets/{id}": {
    audit: "asset.updated",
    run: async () => {
      const asset = await createAsset(tenant);
      const response = await api(`/api/v1/assets/${asset.id}`, {
        method: "PATCH",
        token: admin(),
        body: { name: "Renamed" },
      });
      return { response };
    },
  },
  "post /api/v1/prices": {
    audit: "prices.ingested",
    run: async () => {
      const { symbol } = await ledger();
      const response = await api("/api/v1/prices", {
        token: admin(),
        body: { items: [{ symbol, price: "10", currency: "USD", at: "2026-01-02T00:00:00Z" }] },
      });
      return { response };
    },
  },
  "post /api/v1/portfolios": {
    audit: "portfolio.created",
    run: async () => {
      const org = await addOrganization(tenant);
      const response = await api("/api/v1/portfolios", {
        token: admin(),
        body: { name: "Audited", organization_id: org.id, base_currency: "USD" },
      });
      return { response };
    },
  },
  "patch /api/v1/portfolios/{id}": {
    audit: "portfolio.updated",
    run: async () => {
      const { portfolioId } = await ledger();
      const response = await api(`/api/v1/portfolios/${portfolioId}`, {
        method: "PATCH",
        token: admin(),
        body: { name: "Audit book, renamed" },
      });
      return { response };
    },
  },
  "delete /api/v1/portfolios/{id}": {
    audit: "portfolio.deleted",
    run: async () => {
      const org = await addOrganization(tenant);
      const { id } = await ok<{ id: string }>(
        await api("/api/v1/portfolios", {
          token: admin(),
          body: { name: "Short-lived", organization_id: org.id, base_currency: "USD" },
        }),
      );
      return { response: await api(`/api/v1/portfolios/${id}`, { method: "DELETE", token: admin() }) };
    },
  },
  "post /api/v1/portfolios/{id}/transactions": {
    audit: "transaction.created",
    run: async () => {
      const { portfolioId } = await ledger();
      const response = await api(txPath(portfolioId), {
        token: admin(),
        body: { type: "deposit", amount: "10.00" },
      });
      return { response };
    },
  },
  "post /api/v1/portfolios/{id}/transactions/{tid}/settle": {
    audit: "transaction.settled",
    run: async () => {
      const { portfolioId } = await ledger();
      const { id } = await pendingDeposit();
      return {
        response: await api(txPath(portfolioId, `/${id}/settle`), { method: "POST", token: admin() }),
      };
    },
  },
  "post /api/v1/portfolios/{id}/transactions/{tid}/cancel": {
    audit: "transaction.cancelled",
    run: async () => {
      const { portfolioId } = await ledger();
      const { id } = await pendingDeposit();
      return {
        response: await api(txPath(portfolioId, `/${id}/cancel`), { method: "POST", token: admin() }),
      };
    },
  },
  "post /api/v1/portfolios/{id}/transactions/{tid}/reverse": {
    audit: "transaction.reversed",
    run: async () => {
      const { portfolioId } = await ledger();
      const { id } = await transaction({ type: "deposit", amount: "7.00" });
      return {
        response: await api(txPath(portfolioId, `/${id}/reverse`), { method: "POST", token: admin() }),
      };
    },
  },
  "post /api/v1/portfolio/buy": {
    audit: "transaction.created",
    run: async () => {
      const { portfolioId, assetId } = await ledger();
      const response = await api("/api/v1/portfolio/buy", {
        token: admin(),
        body: { portfolio_id: portfolioId, asset_id: assetId, quantity: "1", price: "10" },
      });
      return { response };
    },
  },
  "post /api/v1/portfolio/sell": {
    audit: "transaction.created",
    run: async () => {
      const { portfolioId, assetId } = await ledger();
      await transaction({ type: "buy", asset_id: assetId, quantity: "1", price: "10" });
      const response = await api("/api/v1/portfolio/sell", {
        token: admin(),
        body: { portfolio_id: portfolioId, asset_id: assetId, quantity: "1", price: "11" },
      });
      return { response };
    },
  },

  // --- Financial crime: customers
  "post /api/v1/customers": {
    audit: "customer.created",
    run: async () => ({
      response: await api("/api/v1/customers", {
        token: admin(),
        body: { kind: "entity", country: "DE", identity: { name: "Audited GmbH" } },
      }),
    }),
  },
  "patch /api/v1/customers/{id}": {
    audit: "customer.updated",
    run: async () => {
      const created = await api("/api/v1/customers", {
        token: admin(),
        body: { kind: "person", country: "FR", identity: { name: "Audit Person" } },
      });
      const { id } = await created.json<{ id: string }>();
      const response = await api(`/api/v1/customers/${id}`, {
        method: "PATCH",
        token: admin(),
        body: { pep: true },
      });
      return { response };
    },
  },
  // --- Webhooks
  "post /api/v1/webhooks/endpoints": {
    audit: "webhook_endpoint.created",
    run: async () => ({
      response: await api("/api/v1/webhooks/endpoints", {
        token: admin(),
        body: { url: `${inject("webhookReceiver")}/r/${crypto.randomUUID()}/ok`, events: ["job.finished"] },
      }),
    }),
  },
  "patch /api/v1/webhooks/endpoints/{id}": {
    audit: "webhook_endpoint.updated",
    summary: { after: { events: ["model.activated"] } },
    run: async () => {
      const endpoint = await auditedEndpoint();
      const response = await api(`/api/v1/webhooks/endpoints/${endpoint.id}`, {
        method: "PATCH",
        token: admin(),
        body: { version: endpoint.version, events: ["model.activated"] },
      });
      return { response };
    },
  },
  "delete /api/v1/webhooks/endpoints/{id}": {
    audit: "webhook_endpoint.deleted",
    run: async () => {
      const endpoint = await auditedEndpoint();
      const response = await api(`/api/v1/webhooks/endpoints/${endpoint.id}?version=${endpoint.version}`, {
        method: "DELETE",
        token: admin(),
      });
      return { response };
    },
  },
  "post /api/v1/webhooks/deliveries/{id}/redeliver": {
    audit: "webhook_delivery.redelivered",
    run: async () => {
      const endpoint = await auditedEndpoint();
      const [event] = await query<{ id: string }>(
        sql`insert into webhook_events (tenant_id, type, data) values (${tenant.id}, 'job.finished', '{}') returning id`,
      );
      const [delivery] = await query<{ id: string }>(sql`insert into webhook_deliveries
          (tenant_id, endpoint_id, event_id, status, attempts) values (${tenant.id}, ${endpoint.id}, ${event?.id}, 'failed', 9)
        returning id`);
      const response = await api(`/api/v1/webhooks/deliveries/${delivery?.id}/redeliver`, {
        method: "POST",
        token: admin(),
      });
      return { response };
    },
  },
  // --- Financial crime: identity verification
  "post /api/v1/customers/{id}/verifications": {
    audit: "identity_verification.started",
    run: async () => {
      const customer = await verifiableCustomer();
      const response = await api(`/api/v1/customers/${customer}/verifications`, {
        method: "POST",
        token: admin(),
      });
      return { response };
    },
  },
  "post /api/v1/identity-verifications/{id}/review": {
    audit: "identity_verification.reviewed",
    summary: { after: { status: "verified", note: "Document checked by hand." } },
    run: async () => {
      const customer = await verifiableCustomer();
      // Awaiting review, started by someone else (the reviewer is never who started it).
      const [held] = await query<{ id: string }>(sql`insert into identity_verifications
          (tenant_id, customer_id, status, provider_session_id, session_url, expires_at, decided_at, started_by_type)
        values (${tenant.id}, ${customer}, 'needs_review', ${`ses_${crypto.randomUUID()}`},
                'https://verify.example/s/x', now() + interval '7 days', now(), 'user')
        returning id`);
      const response = await api(`/api/v1/identity-verifications/${held?.id}/review`, {
        token: admin(),
        body: { decision: "approve", note: "Document checked by hand." },
      });
      return { response };
    },
  },
  "post /api/v1/identity-verifications/events": {
    audit: "identity_verification.decided",
    bySystem: true,
    summary: { after: { status: "verified" } },
    run: async () => {
      const customer = await verifiableCustomer();
      const started = await api(`/api/v1/customers/${customer}/verifications`, {
        method: "POST",
        token: admin(),
      });
      const { provider_session_id } = await ok<{ provider_session_id: string }>(started);
      const provider = inject("identityProvider");
      const decided = await fetch(`${provider.url}/sessions/${provider_session_id}/decide`, {
        method: "POST",
        body: JSON.stringify({ decision: "approved" }),
      });
      const event = await decided.json<{ body: string; signature: string }>();
      const response = await call("/api/v1/identity-verifications/events", {
        method: "POST",
        headers: { "content-type": "application/json", "x-signature": event.signature },
        body: event.body,
      });
      return { response };
    },
  },
  // --- Financial crime: the money check and CTRs
  "put /api/v1/security/policy": {
    audit: "money_policy.changed",
    run: async () => {
      const current = await ok<{ version: number }>(await api("/api/v1/security/policy", { token: admin() }));
      const response = await api("/api/v1/security/policy", {
        method: "PUT",
        token: admin(),
        body: { based_on: current.version, policy: { rules: { new_ip: { points: 6 } } } },
      });
      return { response };
    },
  },
  "post /api/v1/security/policy/dry-run": {
    exempt: "A replay of stored checks under a candidate policy: it reads and writes nothing.",
  },
  "post /api/v1/security/fraud-check": {
    exempt: "The check a movement would get, computed without posting or recording anything.",
  },
  "post /api/v1/security/blocklist": {
    audit: "money_blocklist.added",
    run: async () => ({
      response: await api("/api/v1/security/blocklist", {
        token: admin(),
        body: { kind: "domain", value: `${crypto.randomUUID().slice(0, 8)}.example` },
      }),
    }),
  },
  "delete /api/v1/security/blocklist/{id}": {
    audit: "money_blocklist.removed",
    run: async () => {
      const entry = await ok<{ id: string }>(
        await api("/api/v1/security/blocklist", {
          token: admin(),
          body: { kind: "counterparty", value: `Removed ${crypto.randomUUID()}` },
        }),
      );
      return {
        response: await api(`/api/v1/security/blocklist/${entry.id}`, { method: "DELETE", token: admin() }),
      };
    },
  },
  "post /api/v1/portfolios/{id}/transactions/{tid}/approve": {
    audit: "money_check.approved",
    run: async () => {
      const { portfolioId, transactionId, reviewer } = await heldMovement();
      return {
        response: await api(txPath(portfolioId, `/${transactionId}/approve`), { token: reviewer, body: {} }),
      };
    },
  },
  "post /api/v1/portfolios/{id}/transactions/{tid}/reject": {
    audit: "money_check.rejected",
    run: async () => {
      const { portfolioId, transactionId, reviewer } = await heldMovement();
      return {
        response: await api(txPath(portfolioId, `/${transactionId}/reject`), {
          token: reviewer,
          body: { note: "not confirmed" },
        }),
      };
    },
  },
  "post /api/v1/compliance/ctr": {
    audit: "ctr.created",
    run: async () => {
      const customer = await ok<{ id: string }>(
        await api("/api/v1/customers", {
          token: admin(),
          body: { kind: "entity", country: "US", identity: { name: "Cash Heavy LLC" } },
        }),
      );
      const response = await api("/api/v1/compliance/ctr", {
        token: admin(),
        body: {
          customer_id: customer.id,
          business_day: "2026-11-02",
          direction: "in",
          currency: "USD",
          total: "15000",
        },
      });
      return { response };
    },
  },
  "post /api/v1/compliance/monitoring/runs": {
    audit: "monitoring.run",
    run: async () => ({
      response: await api("/api/v1/compliance/monitoring/runs", {
        token: admin(),
        body: { to: "2026-10-08T00:00:00Z", days: 7 },
      }),
    }),
  },
  "post /api/v1/compliance/ctrs/{id}/file": {
    audit: "ctr.filed",
    run: async () => {
      const customer = await ok<{ id: string }>(
        await api("/api/v1/customers", {
          token: admin(),
          body: { kind: "entity", country: "US", identity: { name: "Filed LLC" } },
        }),
      );
      const ctr = await ok<{ id: string }>(
        await api("/api/v1/compliance/ctr", {
          token: admin(),
          body: {
            customer_id: customer.id,
            business_day: "2026-11-03",
            direction: "out",
            currency: "USD",
            total: "12000",
          },
        }),
      );
      const response = await api(`/api/v1/compliance/ctrs/${ctr.id}/file`, {
        token: admin(),
        body: { filing_reference: "BSA-42" },
      });
      return { response };
    },
  },
  // --- Financial crime: sanctions screening
  "post /api/v1/compliance/sanctions-lists": {
    audit: "sanctions_list.uploaded",
    run: async () => ({ response: await uploadList(admin()) }),
  },
  "post /api/v1/compliance/sanctions-matches/{id}/confirm": {
    audit: "sanctions_match.confirmed",
    run: async () => ({
      response: await api(`/api/v1/compliance/sanctions-matches/${await openMatch()}/confirm`, {
        token: admin(),
        body: { reason: "Date of birth and nationality agree with the listing." },
      }),
    }),
  },
  "post /api/v1/compliance/sanctions-matches/{id}/dismiss": {
    audit: "sanctions_match.dismissed",
    run: async () => ({
      response: await api(`/api/v1/compliance/sanctions-matches/${await openMatch()}/dismiss`, {
        token: admin(),
        body: { reason: "Born thirty years after the listed party." },
      }),
    }),
  },
  "post /api/v1/compliance/screenings": {
    audit: "sanctions.screened",
    run: async () => {
      await sanctionsList();
      return {
        response: await api("/api/v1/compliance/screenings", {
          token: admin(),
          body: { name: "Sea Lantern" },
        }),
      };
    },
  },
  // --- Financial crime: alerts, cases and SARs
  "post /api/v1/compliance/cases": {
    audit: "case.opened",
    run: async () => {
      const alert = await raiseAlert(tenant);
      const response = await api("/api/v1/compliance/cases", {
        token: admin(),
        body: { title: "Audited case", alert_ids: [alert.id] },
      });
      return { response, summary: { after: { alertIds: [alert.id], status: "open" } } };
    },
  },
  "patch /api/v1/compliance/cases/{id}": {
    audit: "case.updated",
    summary: { before: { status: "open" }, after: { status: "investigating" } },
    run: async () => {
      const kase = await openCase(admin());
      const response = await api(`/api/v1/compliance/cases/${kase.id}`, {
        method: "PATCH",
        token: admin(),
        body: { status: "investigating" },
      });
      return { response };
    },
  },
  "post /api/v1/compliance/cases/{id}/alerts": {
    audit: "case.alerts_added",
    run: async () => {
      const kase = await openCase(admin());
      const alert = await raiseAlert(tenant);
      const response = await api(`/api/v1/compliance/cases/${kase.id}/alerts`, {
        token: admin(),
        body: { alert_ids: [alert.id] },
      });
      return { response, summary: { after: { alertIds: [alert.id] } } };
    },
  },
  "post /api/v1/compliance/cases/{id}/notes": {
    audit: "case.note_added",
    run: async () => {
      const kase = await openCase(admin());
      const response = await api(`/api/v1/compliance/cases/${kase.id}/notes`, {
        token: admin(),
        body: { body: "Audited note" },
      });
      return { response };
    },
  },
  "post /api/v1/compliance/cases/{id}/attachments": {
    audit: "case.attachment_added",
    summary: { after: { filename: "evidence.txt", contentType: "text/plain", sizeBytes: 8 } },
    run: async () => {
      const kase = await openCase(admin());
      const response = await api(`/api/v1/compliance/cases/${kase.id}/attachments`, {
        token: admin(),
        body: { filename: "evidence.txt", content_type: "text/plain", content_base64: btoa("evidence") },
      });
      return { response };
    },
  },
  "post /api/v1/compliance/cases/{id}/sar": {
    audit: "sar.drafted",
    run: async () => {
      const kase = await openCase(admin());
      const response = await api(`/api/v1/compliance/cases/${kase.id}/sar`, {
        token: admin(),
        body: { narrative: "Audited narrative" },
      });
      return { response, summary: { after: { caseId: kase.id, status: "draft" } } };
    },
  },
  "patch /api/v1/compliance/cases/{id}/sar": {
    audit: "sar.updated",
    summary: { after: { status: "draft", narrativeChanged: true } },
    run: async () => {
      const kase = await openCase(admin());
      await ok(
        await api(`/api/v1/compliance/cases/${kase.id}/sar`, { token: admin(), body: { narrative: "a" } }),
      );
      const response = await api(`/api/v1/compliance/cases/${kase.id}/sar`, {
        method: "PATCH",
        token: admin(),
        body: { narrative: "b" },
      });
      return { response };
    },
  },
  "post /api/v1/compliance/cases/{id}/sar/approve": {
    audit: "sar.approved",
    summary: { before: { status: "draft" }, after: { status: "approved" } },
    run: async () => {
      const kase = await openCase(admin());
      const preparer = await member("org_admin");
      await ok(
        await api(`/api/v1/compliance/cases/${kase.id}/sar`, {
          token: preparer.token,
          body: { narrative: "a" },
        }),
      );
      const response = await api(`/api/v1/compliance/cases/${kase.id}/sar/approve`, {
        method: "POST",
        token: admin(),
      });
      return { response };
    },
  },
  "post /api/v1/compliance/cases/{id}/sar/file": {
    audit: "sar.filed",
    summary: {
      before: { status: "approved" },
      after: { status: "filed", filingReference: "31000123456789" },
    },
    run: async () => {
      const kase = await openCase(admin());
      const preparer = await member("org_admin");
      await ok(
        await api(`/api/v1/compliance/cases/${kase.id}/sar`, {
          token: preparer.token,
          body: { narrative: "a" },
        }),
      );
      await ok(
        await api(`/api/v1/compliance/cases/${kase.id}/sar/approve`, { method: "POST", token: admin() }),
      );
      const response = await api(`/api/v1/compliance/cases/${kase.id}/sar/file`, {
        token: preparer.token,
        body: { filing_reference: "31000123456789" },
      });
      return { response };
    },
  },
  "post /api/v1/security/report-fraud": {
    audit: "fraud.reported",
    run: async () => {
      const created = await ok<{ id: string }>(
        await api("/api/v1/customers", {
          token: admin(),
          body: { kind: "entity", country: "BE", identity: { name: "Reported BV" } },
        }),
      );
      const response = await api("/api/v1/security/report-fraud", {
        token: admin(),
        body: {
          subject: { type: "customer", id: created.id },
          category: "scam",
          description: "Audited report",
        },
      });
      return {
        response,
        summary: { after: { subjectType: "customer", subjectId: created.id, category: "scam" } },
      };
    },
  },
  // --- Risk: companies, predictions, bulk jobs, models
  "post /api/v1/companies": {
    audit: "company.created",
    run: async () => ({
      response: await api("/api/v1/companies", {
        token: admin(),
        body: { name: `Audited ${uniqueSymbol()}` },
      }),
    }),
  },
  "patch /api/v1/companies/{id}": {
    audit: "company.updated",
    run: async () => {
      const company = await createCompany(admin());
      const response = await api(`/api/v1/companies/${company.id}`, {
        method: "PATCH",
        token: admin(),
        body: { industry: "Audit" },
      });
      return { response };
    },
  },
  "post /api/v1/companies/{id}/financials": {
    audit: "statements.filed",
    run: async () => {
      const company = await createCompany(admin());
      return { response: await fileStatements(admin(), company.id, [annualStatement(2024)]) };
    },
  },
  "post /api/v1/predictions/annual": {
    audit: "prediction.created",
    run: async () => {
      const company = await createCompany(admin());
      await ok(await fileStatements(admin(), company.id, [annualStatement(2023), annualStatement(2024)]));
      const response = await api("/api/v1/predictions/annual", {
        token: admin(),
        body: { company_id: company.id },
      });
      return { response };
    },
  },
  "post /api/v1/predictions/quarterly": {
    audit: "prediction.created",
    run: async () => {
      const company = await createCompany(admin());
      await ok(await fileStatements(admin(), company.id, eightQuarters(2024)));
      const response = await api("/api/v1/predictions/quarterly", {
        token: admin(),
        body: { company_id: company.id },
      });
      return { response };
    },
  },
  "post /api/v1/predictions/credit": {
    audit: "prediction.created",
    run: async () => ({
      response: await api("/api/v1/predictions/credit", {
        token: admin(),
        body: { application: manifestOf("credit-lr").samples[0]?.input },
      }),
    }),
  },
  "post /api/v1/predictions/bulk": {
    audit: "job.submitted",
    run: async () => ({ response: await uploadBulk(admin(), creditCsv(), "text/csv") }),
  },
  "post /api/v1/jobs/{id}/cancel": {
    audit: "job.cancelled",
    run: async () => {
      // A job as the API accepts one, left queued: nothing is delivered, so it cannot finish first.
      const model = trainedModels().find((m) => m.name === "credit-lr");
      const [job] = await query<{ id: string }>(sql`
        insert into scoring_jobs (tenant_id, input_format, input_key, input_bytes, model_name, model_version,
                                  model_sha256, model_source, actor_type)
        values (${tenant.id}, 'csv', ${`audit/${crypto.randomUUID()}.csv`}, 1, 'credit-lr',
                ${model?.version}, ${model?.sha256["model.onnx"]}, 'platform', 'user')
        returning id`);
      return { response: await api(`/api/v1/jobs/${job?.id}/cancel`, { method: "POST", token: admin() }) };
    },
  },
  "post /api/v1/models": {
    audit: "model.uploaded",
    run: async () => ({ response: await uploadModel(admin()).response }),
  },
  "post /api/v1/models/{name}/versions/{version}/activate": {
    audit: "model.activated",
    run: async () => {
      const { name, response } = uploadModel(admin());
      await ok(await response);
      return {
        response: await api(`/api/v1/models/${name}/versions/1.0.0/activate`, {
          method: "POST",
          token: admin(),
        }),
      };
    },
  },
};

/** The audit events a request appended, in any tenant's trail (found by its request id). */
async function auditOf(requestId: string) {
  return query<{
    tenant_id: string;
    action: string;
    actor_type: string;
    actor_id: string | null;
    summary: Record<string, unknown>;
  }>(
    sql`select tenant_id, action, actor_type, actor_id, summary from audit_events
         where request_id = ${requestId} order by seq`,
  );
}

/** The security events recorded for a user since `since` (the database's clock). */
async function securityTypesSince(userId: string, since: string) {
  const rows = await query<{ type: string }>(
    sql`select type from security_events where user_id = ${userId} and created_at >= ${since}::timestamptz`,
  );
  return rows.map((r) => r.type);
}

/** Polls (bounded) for security events recorded after the response; fails with what was there. */
async function awaitSecurity(userId: string, since: string, expected: string[]) {
  const deadline = Date.now() + 10_000;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    const types = await securityTypesSince(userId, since);
    if (expected.every((type) => types.includes(type)) || Date.now() > deadline) return types;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

beforeAll(async () => {
  await publishTrainedModels();
  passwordHash = await hashPassword(PASSWORD);
  tenant = await createTenant("audit-coverage");
}, SETUP_TIMEOUT_MS);

describe("audit coverage", () => {
  it("has a recipe (or a stated exemption) for every state-changing operation, and none for a missing one", async () => {
    const document = await (await call("/openapi.json")).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const unsafe = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((method) => UNSAFE.includes(method))
        .map((method) => `${method} ${path}`),
    );
    expect(unsafe.length).toBeGreaterThan(0);
    const covered = Object.keys(RECIPES);
    expect(
      unsafe.filter((operation) => !covered.includes(operation)),
      "state-changing operations without a recipe",
    ).toEqual([]);
    expect(
      covered.filter((operation) => !unsafe.includes(operation)),
      "recipes for operations the document does not have",
    ).toEqual([]);
    for (const [operation, recipe] of Object.entries(RECIPES)) {
      if ("exempt" in recipe) expect(recipe.exempt.length, `${operation}: the reason`).toBeGreaterThan(10);
      else expect(recipe.audit ?? recipe.security, `${operation}: the evidence`).toBeTruthy();
    }
  });

  for (const [operation, recipe] of Object.entries(RECIPES)) {
    if ("exempt" in recipe) continue;
    it(`${operation} records ${[recipe.audit, ...(recipe.security ?? [])].filter(Boolean).join(" + ")}`, async () => {
      const [clock] = await query<{ now: string }>(sql`select now()::text as now`);
      const since = clock?.now as string;
      const { response, userId, summary } = await recipe.run();
      expect(response.status, await response.clone().text()).toBeLessThan(300);
      const requestId = response.headers.get("x-request-id");
      expect(requestId).toBeTruthy();

      const events = await auditOf(requestId as string);
      const actions = events.map((e) => e.action);
      expect(
        actions.filter((action) => GENERIC.test(action)),
        "generic fallback events",
      ).toEqual([]);
      if (recipe.audit) {
        expect(actions, "audit events of the request").toContain(recipe.audit);
        const event = events.find((e) => e.action === recipe.audit);
        if (recipe.bySystem) expect(event?.actor_type).toBe("system");
        else expect(event?.actor_id ?? null).not.toBeNull();
        const shown = summary ?? recipe.summary;
        if (shown) expect(event?.summary, "audit summary").toMatchObject(shown);
      }
      if (recipe.security) {
        expect(userId, "whose security events").toBeTruthy();
        const types = recipe.afterResponse
          ? await awaitSecurity(userId as string, since, recipe.security)
          : await securityTypesSince(userId as string, since);
        for (const type of recipe.security) expect(types, "security events of the user").toContain(type);
      }
    });
  }

  it("keeps secrets out of a profile change's audit summary and names the changed fields only", async () => {
    const user = await member();
    const response = await api("/api/v1/auth/me", {
      method: "PATCH",
      token: user.token,
      body: { display_name: "Second Name" },
    });
    expect(response.status).toBe(200);
    const [event] = await auditOf(response.headers.get("x-request-id") as string);
    expect(event).toMatchObject({ tenant_id: tenant.id, action: "user.updated", actor_id: user.id });
    expect(event?.summary).toEqual({
      before: { email: user.email, displayName: null },
      after: { displayName: "Second Name" },
    });
    expect(JSON.stringify(event?.summary)).not.toMatch(/password|hash|totp/i);
  });
});
