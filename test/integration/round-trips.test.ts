/**
 * Round trips to the database per request, counted by the local servers from the request id the Worker
 * forwards: a read makes one call over HTTP and opens no WebSocket; what the edge can refuse alone makes
 * none. Each budget here is one the README promises; a regression fails here, not only in the bench.
 */

import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { chunkRequestId, rescreenRequestId } from "../../src/queues/messages";
import { hashingOf, hashPassword, verifyPassword } from "../../src/services/auth/passwords";
import { generateTotp } from "../../src/services/auth/totp";
import { openDatabase } from "../../src/services/context";
import { api, mailboxToken, PASSWORD, registerUser, stepUp, uniqueEmail } from "./auth-helpers";
import { upload } from "./bulk-fixtures";
import { raiseAlert } from "./compliance-fixtures";
import { bindings, databaseCalls, databaseStatements } from "./helpers";
import { createAsset, createPortfolio, funded, holdings, transact } from "./portfolio-fixtures";
import {
  annualStatement,
  manifestOf,
  publishTrainedModels,
  uploadOwnModel,
  waitForJob,
} from "./risk-fixtures";
import { ALT, matchesOf, SDN, uploadList, waitForList } from "./sanctions-fixtures";
import { addOrganization, addUser, createApiKey, createTenant, query, tokenFor } from "./tenancy-fixtures";

const tagged = (headers: Record<string, string> = {}) => {
  const requestId = `rt-${crypto.randomUUID()}`;
  return { requestId, headers: { ...headers, "X-Request-Id": requestId } };
};

async function counted(path: string, init: Parameters<typeof api>[1] = {}) {
  const { requestId, headers } = tagged(init.headers);
  const response = await api(path, { ...init, headers });
  expect(response.headers.get("x-request-id")).toBe(requestId);
  return { response, calls: await databaseCalls(requestId) };
}

/** A call's kind, by its statements: the prediction's one write after the response, a key's last use, or a read. */
const kindOf = (statements: string[]) =>
  statements.some((sql) => sql.includes('insert into "predictions"'))
    ? "write"
    : statements.some((sql) => sql.includes('update "api_keys"'))
      ? "last use"
      : "read";

/** The calls of a request once `count` of them have arrived (after-response work lands a moment later). */
async function untilCalls(requestId: string, count: number) {
  for (let waited = 0; ; waited += 25) {
    const calls = await databaseStatements(requestId);
    if (calls.http.length >= count || waited > 5_000) {
      // A moment more, so a call beyond the budget would be seen too.
      await new Promise((resolve) => setTimeout(resolve, 100));
      return databaseStatements(requestId);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Whether a call touches the authority outbox (its clearing after the answer: a read, then a delete). */
const touchesOutbox = (call: string[]) => call.some((sql) => sql.includes('"authority_outbox"'));

/** Expects `before` calls before the answer, then the two of the authority outbox's clearing, and no more. */
async function expectCallsThenOutbox(requestId: string, before: number) {
  const calls = (await untilCalls(requestId, before + 2)).http;
  expect(calls.slice(0, before).some(touchesOutbox)).toBe(false);
  expect(calls.slice(before).every(touchesOutbox)).toBe(true);
  expect(calls).toHaveLength(before + 2);
}

/** A request that makes two calls before its answer, then the notice e-mail's delivery marked: three in all. */
async function twoThenMail(path: string, init: NonNullable<Parameters<typeof api>[1]>, status: number) {
  const { requestId, headers } = tagged();
  const response = await api(path, { ...init, headers: { ...init.headers, ...headers } });
  expect(response.status, await response.clone().text()).toBe(status);
  const calls = await untilCalls(requestId, 3);
  expect(calls.websocket).toBe(0);
  expect(calls.http).toHaveLength(3);
  expect(calls.http[2]?.some((statement) => statement.includes('"email_outbox"'))).toBe(true);
  return response;
}

describe("database round trips per request", () => {
  it("counts a request's WebSocket connections, so the zeros below are real", async () => {
    const requestId = `rt-${crypto.randomUUID()}`;
    const database = openDatabase(loadConfig(bindings), requestId);
    try {
      await database.db.execute(sql`select 1`);
    } finally {
      await database.close();
    }
    expect(await databaseCalls(requestId)).toEqual({ http: 0, websocket: 1 });
  });

  it("readiness reads the database in one call", async () => {
    const { response, calls } = await counted("/health/ready");
    expect(response.status).toBe(200);
    expect(calls).toEqual({ http: 1, websocket: 0 });
  });

  it("GET /auth/me makes one call", async () => {
    const tenant = await createTenant("rt");
    const { response, calls } = await counted("/api/v1/auth/me", { token: tenant.admin.token });
    expect(response.status).toBe(200);
    expect(calls).toEqual({ http: 1, websocket: 0 });
  });

  it("a user's own profile change makes two calls: the account's read, then the change with its audit event", async () => {
    const tenant = await createTenant("rt");
    const { response, calls } = await counted("/api/v1/auth/me", {
      token: tenant.admin.token,
      method: "PATCH",
      body: { display_name: "Renamed Admin" },
    });
    expect(response.status, await response.clone().text()).toBe(200);
    expect((await response.json<{ display_name: string }>()).display_name).toBe("Renamed Admin");
    expect(calls).toEqual({ http: 2, websocket: 0 });
  });

  it("asking for an address change, and confirming it, make two calls each: the account and its link, then the change with its audit and the other sessions ended", async () => {
    const user = await registerUser("rt-move");
    const newEmail = uniqueEmail("rt-moved");
    await stepUp(user.access_token, { password: PASSWORD });
    // Asking is two calls (the account with the address's holder, then the link, both e-mails and the event),
    // then each e-mail's delivery marked after the answer.
    const request = tagged();
    const asked = await api("/api/v1/auth/change-email", {
      token: user.access_token,
      body: { email: newEmail },
      headers: request.headers,
    });
    expect(asked.status).toBe(202);
    const askCalls = await untilCalls(request.requestId, 4);
    expect(askCalls.websocket).toBe(0);
    expect(askCalls.http).toHaveLength(4);
    expect(askCalls.http.slice(2).every((call) => call.some((sql) => sql.includes('"email_outbox"')))).toBe(
      true,
    );
    const token = await mailboxToken(newEmail, "change_email");
    const { response, calls } = await counted("/api/v1/auth/change-email/confirm", {
      token: user.access_token,
      body: { token },
    });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(calls).toEqual({ http: 2, websocket: 0 });
    // A spent link is refused on the read.
    const again = await counted("/api/v1/auth/change-email/confirm", {
      token: user.access_token,
      body: { token },
    });
    expect(again.response.status).toBe(400);
    expect(again.calls).toEqual({ http: 1, websocket: 0 });
  });

  it("holdings make one call, the caller's standing checked in it", async () => {
    const { asset, portfolio, token } = await funded("500.00");
    await transact(token, portfolio.id, {
      type: "buy",
      asset_id: asset.id,
      quantity: "2",
      price: "10",
      executed_at: "2025-02-01T00:00:00Z",
    });
    const { response, calls } = await counted(`/api/v1/portfolios/${portfolio.id}/holdings`, { token });
    expect(response.status, await response.clone().text()).toBe(200);
    const body = await response.json<{ cash: { balance: string }; positions: Array<{ quantity: string }> }>();
    expect(body.cash.balance).toBe("480.00");
    expect(body.positions.map((p) => p.quantity)).toEqual(["2"]);
    expect(calls).toEqual({ http: 1, websocket: 0 });
  });

  it("lists make one call each, for a tenant admin and for a member who sees one organization", async () => {
    const tenant = await createTenant("rt");
    const org = await addOrganization(tenant);
    await createPortfolio(tenant.admin.token, { organization_id: org.id });
    const analyst = await addUser(tenant, "viewer", [{ organizationId: org.id, role: "analyst" }]);
    await createPortfolio(tenant.admin.token, { organization_id: (await addOrganization(tenant)).id });
    for (const path of [
      "/api/v1/portfolios",
      "/api/v1/organizations",
      "/api/v1/audit-events",
      "/api/v1/security-events",
      "/api/v1/jobs",
      "/api/v1/api-keys",
      "/api/v1/auth/sessions",
      "/api/v1/auth/security-events",
      "/api/v1/models",
      `/api/v1/organizations/${org.id}/members`,
      `/api/v1/organizations/${org.id}`,
      "/api/v1/invitations",
    ]) {
      const { response, calls } = await counted(path, { token: tenant.admin.token });
      expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
      expect(calls, path).toEqual({ http: 1, websocket: 0 });
    }
    const { response, calls } = await counted("/api/v1/portfolios", { token: analyst.token });
    expect(response.status).toBe(200);
    expect((await response.json<{ items: unknown[] }>()).items).toHaveLength(1);
    expect(calls).toEqual({ http: 1, websocket: 0 });
  });

  it("sanctions: an upload is two calls; its rescreen a read, a read and a write per page, and the list's mark; onboarding, a change of name, a decision and a screening two each; the lists one", async () => {
    const tenant = await createTenant("rt-sdn");
    const token = tenant.admin.token;
    const onboard = (name: string, headers?: Record<string, string>) =>
      api("/api/v1/customers", {
        token,
        headers,
        body: { kind: "person", country: "GB", identity: { name } },
      });
    await onboard("Dmitri Korvalenko");
    await onboard("Ada Quill Marlowe");
    const { requestId, headers } = tagged();
    const uploaded = await uploadList(token, { sdn: SDN, alt: ALT }, headers);
    expect(uploaded.status).toBe(202);
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    const { id } = await uploaded.json<{ id: string }>();
    expect((await waitForList(token, id)).status).toBe("ready");
    // The list, the page of customers with their matches, the page's write, the list marked ready.
    expect(await databaseCalls(rescreenRequestId(id, undefined))).toEqual({ http: 4, websocket: 0 });

    const onboarding = tagged();
    const created = await onboard("Henrik Olav Brandvold", onboarding.headers);
    expect(created.status).toBe(201);
    expect(await databaseCalls(onboarding.requestId)).toEqual({ http: 2, websocket: 0 });
    const customer = (await created.json<{ id: string }>()).id;
    const renamed = await counted(`/api/v1/customers/${customer}`, {
      method: "PATCH",
      token,
      body: { identity: { name: "Henrik Olav Brandvoll" } },
    });
    expect(renamed.response.status).toBe(200);
    expect(renamed.calls).toEqual({ http: 2, websocket: 0 });
    const [match] = await matchesOf(token, `&customer_id=${customer}&live=true`);
    const decided = await counted(`/api/v1/compliance/sanctions-matches/${match?.id}/dismiss`, {
      token,
      body: { reason: "Born in 2001; the listed party in 1980." },
    });
    expect(decided.response.status).toBe(200);
    expect(decided.calls).toEqual({ http: 2, websocket: 0 });
    const screened = await counted("/api/v1/compliance/screenings", { token, body: { name: "Skyferry 7" } });
    expect(screened.response.status).toBe(200);
    expect(screened.calls).toEqual({ http: 2, websocket: 0 });
    for (const path of [
      "/api/v1/compliance/sanctions-lists",
      `/api/v1/compliance/sanctions-lists/${id}`,
      "/api/v1/compliance/sanctions-matches",
      `/api/v1/compliance/sanctions-matches/${match?.id}`,
    ]) {
      const { response, calls } = await counted(path, { token });
      expect(response.status, path).toBe(200);
      expect(calls, path).toEqual({ http: 1, websocket: 0 });
    }
  });

  it("a buy makes two calls - the read it is decided on, then the write - and its replay two; a refusal one", async () => {
    const { asset, portfolio, token } = await funded("500.00");
    const path = `/api/v1/portfolios/${portfolio.id}/transactions`;
    const order = { type: "buy", asset_id: asset.id, quantity: "2", price: "10" };
    const key = { "Idempotency-Key": crypto.randomUUID() };
    const bought = await counted(path, { token, method: "POST", body: order, headers: key });
    expect(bought.response.status, await bought.response.clone().text()).toBe(201);
    expect(bought.calls).toEqual({ http: 2, websocket: 0 });
    // The retry: read, then the call that finds the recorded answer (and audits the replay).
    const replayed = await counted(path, { token, method: "POST", body: order, headers: key });
    expect(replayed.response.headers.get("idempotency-replayed")).toBe("true");
    expect(await replayed.response.text()).toBe(await bought.response.text());
    expect(replayed.calls).toEqual({ http: 2, websocket: 0 });
    // Refused on what the read showed, with no key to record it under: nothing to write.
    const refused = await counted(path, { token, method: "POST", body: { ...order, quantity: "100" } });
    expect(refused.response.status).toBe(422);
    expect(refused.calls).toEqual({ http: 1, websocket: 0 });
    expect((await holdings(token, portfolio.id)).cash.balance).toBe("480.00");
  });

  it("a price batch makes two calls, and a conflicting one is refused on the read", async () => {
    const tenant = await createTenant("rt");
    const asset = await createAsset(tenant);
    const body = {
      items: [{ symbol: asset.symbol, price: "10.5", currency: "USD", at: "2025-03-01T00:00:00Z" }],
    };
    const key = { "Idempotency-Key": crypto.randomUUID() };
    const first = await counted("/api/v1/prices", { token: tenant.admin.token, body, headers: key });
    expect(first.response.status, await first.response.clone().text()).toBe(200);
    expect(await first.response.json()).toEqual({ received: 1, inserted: 1, unchanged: 0 });
    expect(first.calls).toEqual({ http: 2, websocket: 0 });
    const other = { items: [{ ...body.items[0], price: "11" }] };
    const refused = await counted("/api/v1/prices", { token: tenant.admin.token, body: other });
    expect(refused.response.status).toBe(409);
    expect(refused.calls).toEqual({ http: 1, websocket: 0 });
  });

  it("creating an API key is one call, the caller's right checked in it; revoking one is one before the answer", async () => {
    const tenant = await createTenant("rt");
    await stepUp(tenant.admin.token, { password: PASSWORD });
    const created = await counted("/api/v1/api-keys", {
      token: tenant.admin.token,
      body: { name: "rt", scopes: ["portfolios:read"] },
    });
    expect(created.response.status, await created.response.clone().text()).toBe(201);
    expect(created.calls).toEqual({ http: 1, websocket: 0 });
    const { id } = await created.response.json<{ id: string }>();
    const { requestId, headers } = tagged();
    const revoked = await api(`/api/v1/api-keys/${id}`, {
      token: tenant.admin.token,
      method: "DELETE",
      headers,
    });
    expect(revoked.status).toBe(204);
    // After the answer, the tenant's authority outbox is cleared (read, then delete).
    await expectCallsThenOutbox(requestId, 1);
  });

  it("an asset is created in one call and changed in two", async () => {
    const tenant = await createTenant("rt");
    const symbol = `RT${crypto.randomUUID().slice(0, 6).toUpperCase()}`;
    const created = await counted("/api/v1/assets", {
      token: tenant.admin.token,
      body: { symbol, name: "Round trip", asset_class: "stock", currency: "USD", quantity_scale: 0 },
    });
    expect(created.response.status, await created.response.clone().text()).toBe(201);
    expect(created.calls).toEqual({ http: 1, websocket: 0 });
    const { id } = await created.response.json<{ id: string }>();
    const changed = await counted(`/api/v1/assets/${id}`, {
      token: tenant.admin.token,
      method: "PATCH",
      body: { name: "Round trip, renamed", quantity_scale: 2 },
    });
    expect(changed.response.status, await changed.response.clone().text()).toBe(200);
    expect(changed.calls).toEqual({ http: 2, websocket: 0 });
  });

  it("a company is created in one call, changed in two, its statements filed in two", async () => {
    const tenant = await createTenant("rt");
    const created = await counted("/api/v1/companies", {
      token: tenant.admin.token,
      body: { name: "Round Trip Ltd", currency: "USD" },
    });
    expect(created.response.status, await created.response.clone().text()).toBe(201);
    expect(created.calls).toEqual({ http: 1, websocket: 0 });
    const { id } = await created.response.json<{ id: string }>();
    const changed = await counted(`/api/v1/companies/${id}`, {
      token: tenant.admin.token,
      method: "PATCH",
      body: { industry: "Tools" },
    });
    expect(changed.response.status, await changed.response.clone().text()).toBe(200);
    expect(changed.calls).toEqual({ http: 2, websocket: 0 });
    const filed = await counted(`/api/v1/companies/${id}/financials`, {
      token: tenant.admin.token,
      body: { statements: [annualStatement(2025)] },
    });
    expect(filed.response.status, await filed.response.clone().text()).toBe(201);
    expect(filed.calls).toEqual({ http: 2, websocket: 0 });
  });

  it("a member's role is changed and a member removed in two calls before the answer", async () => {
    const tenant = await createTenant("rt");
    const org = await addOrganization(tenant);
    const member = await addUser(tenant, "viewer", [{ organizationId: org.id, role: "org_admin" }]);
    const path = `/api/v1/organizations/${org.id}/members/${member.id}`;
    for (const [init, status] of [
      [{ method: "PATCH", body: { role: "analyst" } }, 200],
      [{ method: "DELETE" }, 204],
    ] as const) {
      const { requestId, headers } = tagged();
      const response = await api(path, { token: tenant.admin.token, ...init, headers });
      expect(response.status, await response.clone().text()).toBe(status);
      // Two calls before the answer; after it, the member's authority outbox is cleared (read, then delete).
      await expectCallsThenOutbox(requestId, 2);
    }
  });

  it("a user's role is changed and the user disabled in two calls before the answer, unlocked in two", async () => {
    const tenant = await createTenant("rt");
    const user = await addUser(tenant, "viewer");
    const { requestId, headers } = tagged();
    const changed = await api(`/api/v1/users/${user.id}`, {
      token: tenant.admin.token,
      method: "PATCH",
      body: { role: "analyst" },
      headers,
    });
    expect(changed.status, await changed.clone().text()).toBe(200);
    // After the answer, the user's authority outbox is cleared (read, then delete).
    await expectCallsThenOutbox(requestId, 2);
    // Disabling ends the user's sessions in the same batch: still two calls before the answer.
    const disabling = tagged();
    const disabled = await api(`/api/v1/users/${user.id}`, {
      token: tenant.admin.token,
      method: "PATCH",
      body: { status: "disabled" },
      headers: disabling.headers,
    });
    expect(disabled.status, await disabled.clone().text()).toBe(200);
    await expectCallsThenOutbox(disabling.requestId, 2);
    expect((await databaseCalls(disabling.requestId)).websocket).toBe(0);
    const unlocked = await counted(`/api/v1/users/${user.id}/unlock`, {
      token: tenant.admin.token,
      method: "POST",
    });
    expect(unlocked.response.status, await unlocked.response.clone().text()).toBeLessThan(300);
    expect(unlocked.calls).toEqual({ http: 2, websocket: 0 });
  });

  it("a portfolio is created in one call, changed and deleted in two", async () => {
    const tenant = await createTenant("rt");
    const org = await addOrganization(tenant);
    const created = await counted("/api/v1/portfolios", {
      token: tenant.admin.token,
      body: { organization_id: org.id, name: "rt", base_currency: "USD" },
    });
    expect(created.response.status, await created.response.clone().text()).toBe(201);
    expect(created.calls).toEqual({ http: 1, websocket: 0 });
    const { id } = await created.response.json<{ id: string }>();
    const changed = await counted(`/api/v1/portfolios/${id}`, {
      token: tenant.admin.token,
      method: "PATCH",
      body: { name: "rt renamed", allow_negative_cash: true },
    });
    expect(changed.response.status, await changed.response.clone().text()).toBe(200);
    expect(changed.calls).toEqual({ http: 2, websocket: 0 });
    const deleted = await counted(`/api/v1/portfolios/${id}`, {
      token: tenant.admin.token,
      method: "DELETE",
    });
    expect(deleted.response.status, await deleted.response.clone().text()).toBe(204);
    expect(deleted.calls).toEqual({ http: 2, websocket: 0 });
  });

  it("an organization is created in one call, renamed and deleted in two; a member is added in one", async () => {
    const tenant = await createTenant("rt");
    const created = await counted("/api/v1/organizations", {
      token: tenant.admin.token,
      body: { name: `rt-${crypto.randomUUID()}` },
    });
    expect(created.response.status, await created.response.clone().text()).toBe(201);
    expect(created.calls).toEqual({ http: 1, websocket: 0 });
    const { id } = await created.response.json<{ id: string }>();
    const renamed = await counted(`/api/v1/organizations/${id}`, {
      token: tenant.admin.token,
      method: "PATCH",
      body: { name: `rt-${crypto.randomUUID()}` },
    });
    expect(renamed.response.status, await renamed.response.clone().text()).toBe(200);
    expect(renamed.calls).toEqual({ http: 2, websocket: 0 });
    const member = await addUser(tenant, "viewer");
    const { requestId, headers } = tagged();
    const added = await api(`/api/v1/organizations/${id}/members`, {
      token: tenant.admin.token,
      body: { user_id: member.id, role: "analyst" },
      headers,
    });
    expect(added.status, await added.clone().text()).toBe(201);
    // One call before the answer; after it, the member's authority outbox is cleared (read, then delete).
    await expectCallsThenOutbox(requestId, 1);
    // Deleting it: the read and the write (which reads the outbox rows of its cascade, so the member's
    // authority is told before the answer); after the answer, those rows are deleted.
    const deletion = tagged();
    const deleted = await api(`/api/v1/organizations/${id}`, {
      token: tenant.admin.token,
      method: "DELETE",
      headers: deletion.headers,
    });
    expect(deleted.status).toBe(204);
    const deletionCalls = (await untilCalls(deletion.requestId, 3)).http;
    expect(deletionCalls).toHaveLength(3);
    expect(deletionCalls[2]?.some((sql) => sql.startsWith('delete from "authority_outbox"'))).toBe(true);
  });

  it("settling, cancelling and reversing make two calls each", async () => {
    const { portfolio, token } = await funded("500.00");
    const base = `/api/v1/portfolios/${portfolio.id}/transactions`;
    const pending = async () =>
      (await transact(token, portfolio.id, { type: "withdrawal", amount: "5.00", settle: false })).id;
    for (const action of ["settle", "cancel"]) {
      const { response, calls } = await counted(`${base}/${await pending()}/${action}`, {
        token,
        method: "POST",
      });
      expect(response.status, await response.clone().text()).toBe(200);
      expect(calls).toEqual({ http: 2, websocket: 0 });
    }
    const settled = await transact(token, portfolio.id, { type: "deposit", amount: "7.00" });
    const reversed = await counted(`${base}/${settled.id}/reverse`, { token, method: "POST" });
    expect(reversed.response.status, await reversed.response.clone().text()).toBe(201);
    expect(reversed.calls).toEqual({ http: 2, websocket: 0 });
    expect((await holdings(token, portfolio.id)).cash.balance).toBe("495.00");
  });

  it("registration makes one call before it answers; the verification e-mail is delivered after", async () => {
    const { requestId, headers } = tagged();
    const response = await api("/api/v1/auth/register", {
      body: { email: uniqueEmail("rt-reg"), password: PASSWORD },
      headers,
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const calls = (await untilCalls(requestId, 2)).http;
    expect(calls[0]?.some((sql) => sql.includes('insert into "tenants"'))).toBe(true);
    // After the answer: the delivery attempt's mark on the queued message.
    expect(calls.slice(1).every((call) => call.some((sql) => sql.includes('"email_outbox"')))).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it("a password sign-in makes two calls: the account's read, then the session with its device and event", async () => {
    const registered = await registerUser("rt");
    const signIn = () =>
      counted("/api/v1/auth/login", { body: { email: registered.email, password: registered.password } });
    await signIn();
    // A device already seen: nothing to alert after the answer either.
    const { response, calls } = await signIn();
    expect(response.status, await response.clone().text()).toBe(200);
    expect(calls).toEqual({ http: 2, websocket: 0 });
    const { access_token } = await response.json<{ access_token: string }>();
    expect((await api("/api/v1/auth/me", { token: access_token })).status).toBe(200);
  });

  it("a sign-in whose hash has older parameters replaces it in the session's batch: still two calls, no WebSocket", async () => {
    const registered = await registerUser("rt");
    const params = hashingOf(loadConfig(bindings));
    const older = await hashPassword(registered.password, { ...params, ln: params.ln + 1 });
    await query(sql`update users set password_hash = ${older} where email = ${registered.email}`);
    const signIn = () =>
      counted("/api/v1/auth/login", { body: { email: registered.email, password: registered.password } });
    const { response, calls } = await signIn();
    expect(response.status, await response.clone().text()).toBe(200);
    expect(calls.websocket).toBe(0);
    expect(calls.http).toBe(2);
    const [row] = await query<{ password_hash: string }>(
      sql`select password_hash from users where email = ${registered.email}`,
    );
    expect(row?.password_hash).not.toBe(older);
    expect(await verifyPassword(registered.password, row?.password_hash ?? null, params)).toEqual({
      valid: true,
      needsRehash: false,
    });
    expect((await signIn()).response.status).toBe(200);
  });

  it("a refresh rotates in one call; a reused token is refused in one call, and revoked at the edge", async () => {
    const registered = await registerUser("rt");
    const refresh = (token: string) =>
      counted("/api/v1/auth/refresh", { method: "POST", body: { refresh_token: token } });
    const rotated = await refresh(registered.refresh_token);
    expect(rotated.response.status, await rotated.response.clone().text()).toBe(200);
    expect(rotated.calls).toEqual({ http: 1, websocket: 0 });
    const pair = await rotated.response.json<{ access_token: string; refresh_token: string }>();
    const reused = await refresh(registered.refresh_token);
    expect(reused.response.status).toBe(401);
    expect(reused.calls).toEqual({ http: 1, websocket: 0 });
    // The family is gone: its newest token and its access token too.
    expect((await refresh(pair.refresh_token)).response.status).toBe(401);
    expect((await api("/api/v1/auth/me", { token: pair.access_token })).status).toBe(401);
  });

  it("signing out, ending a session and ending the others make one call each, and their tokens are refused at once", async () => {
    const user = await registerUser("rt");
    const signIn = async () => {
      const response = await api("/api/v1/auth/login", { body: { email: user.email, password: PASSWORD } });
      expect(response.status, await response.clone().text()).toBe(200);
      return response.json<{ access_token: string; session_id: string }>();
    };
    const [second, third] = [await signIn(), await signIn()];
    const live = async (token: string) => (await api("/api/v1/auth/me", { token })).status;
    const one = await counted(`/api/v1/auth/sessions/${second.session_id}`, {
      method: "DELETE",
      token: user.access_token,
    });
    expect(one.response.status, await one.response.clone().text()).toBe(204);
    expect(one.calls).toEqual({ http: 1, websocket: 0 });
    expect(await live(second.access_token)).toBe(401);
    const again = await counted(`/api/v1/auth/sessions/${second.session_id}`, {
      method: "DELETE",
      token: user.access_token,
    });
    expect(again.response.status).toBe(404);
    expect(again.calls).toEqual({ http: 1, websocket: 0 });
    expect(await live(third.access_token)).toBe(200);
    const others = await counted("/api/v1/auth/sessions", { method: "DELETE", token: user.access_token });
    expect(others.response.status, await others.response.clone().text()).toBe(200);
    expect(await others.response.json()).toEqual({ sessions_ended: 1 });
    expect(others.calls).toEqual({ http: 1, websocket: 0 });
    expect(await live(third.access_token)).toBe(401);
    expect(await live(user.access_token)).toBe(200);
    const out = await counted("/api/v1/auth/logout", { method: "POST", token: user.access_token, body: {} });
    expect(out.response.status, await out.response.clone().text()).toBe(204);
    expect(out.calls).toEqual({ http: 1, websocket: 0 });
    expect(await live(user.access_token)).toBe(401);
  });

  it("a step-up and every two-factor change make two calls before the answer, the code claimed in the change's batch", async () => {
    const user = await registerUser("rt");
    const token = user.access_token;
    const twoCalls = async (path: string, init: Parameters<typeof api>[1], status: number) => {
      const { response, calls } = await counted(path, { ...init, token });
      expect(response.status, await response.clone().text()).toBe(status);
      expect(calls).toEqual({ http: 2, websocket: 0 });
      return response;
    };
    await twoCalls("/api/v1/auth/step-up", { body: { password: PASSWORD } }, 200);
    const enable = await twoCalls("/api/v1/auth/2fa/enable", { method: "POST" }, 200);
    const { secret } = await enable.json<{ secret: string }>();
    const code = generateTotp({ secret, now: Date.now() });
    const verify = await twoThenMail("/api/v1/auth/2fa/verify", { token, body: { code } }, 200);
    const { backup_codes } = await verify.json<{ backup_codes: string[] }>();
    // The step the code used is claimed: the same code again is refused.
    const replayed = await api("/api/v1/auth/step-up", { token, body: { code } });
    expect(replayed.status).toBeGreaterThanOrEqual(400);
    await twoCalls("/api/v1/auth/step-up", { body: { code: backup_codes[0] } }, 200);
    await twoCalls("/api/v1/auth/2fa/backup-codes", { method: "POST" }, 200);
    await twoThenMail("/api/v1/auth/2fa/disable", { token, body: {} }, 204);
  });

  it("a sign-in with a second factor makes two calls at each step, and a challenge answers once", async () => {
    const user = await registerUser("rt");
    const token = user.access_token;
    await stepUp(token, { password: PASSWORD });
    const enable = await api("/api/v1/auth/2fa/enable", { method: "POST", token });
    const { secret } = await enable.json<{ secret: string }>();
    const verify = await api("/api/v1/auth/2fa/verify", {
      token,
      body: { code: generateTotp({ secret, now: Date.now() }) },
    });
    expect(verify.status, await verify.clone().text()).toBe(200);
    const { backup_codes } = await verify.json<{ backup_codes: string[] }>();
    const challenge = async () => {
      const { response, calls } = await counted("/api/v1/auth/login", {
        body: { email: user.email, password: PASSWORD },
      });
      expect(response.status, await response.clone().text()).toBe(200);
      expect(calls).toEqual({ http: 2, websocket: 0 });
      return (await response.json<{ mfa_token: string }>()).mfa_token;
    };
    const first = await challenge();
    const code = generateTotp({ secret, now: Date.now() + 30_000 });
    const signedIn = await counted("/api/v1/auth/login/2fa", { body: { mfa_token: first, code } });
    expect(signedIn.response.status, await signedIn.response.clone().text()).toBe(200);
    expect(signedIn.calls).toEqual({ http: 2, websocket: 0 });
    const replayed = await counted("/api/v1/auth/login/2fa", { body: { mfa_token: first, code } });
    expect(replayed.response.status).toBe(401);
    expect(replayed.calls).toEqual({ http: 1, websocket: 0 });
    const second = await challenge();
    const backup = await counted("/api/v1/auth/2fa/backup-code", {
      body: { mfa_token: second, backup_code: backup_codes[0] },
    });
    expect(backup.response.status, await backup.response.clone().text()).toBe(200);
    expect(backup.calls).toEqual({ http: 2, websocket: 0 });
  });

  it("a password change or reset makes two calls before the answer and the notice's mark after; a link signs in or verifies in two or one", async () => {
    const user = await registerUser("rt");
    await stepUp(user.access_token, { password: PASSWORD });
    const changed = `${PASSWORD}-changed`;
    await twoThenMail(
      "/api/v1/auth/change-password",
      { token: user.access_token, body: { current_password: PASSWORD, new_password: changed } },
      200,
    );
    // The link is made after the same 202 as for an unknown address: the account's read, then the link with
    // its e-mail and event in one call, then the delivery's mark - over HTTP.
    const asked = tagged();
    const forgot = await api("/api/v1/auth/password/forgot", {
      body: { email: user.email },
      headers: asked.headers,
    });
    expect(forgot.status).toBe(202);
    const linkCalls = await untilCalls(asked.requestId, 3);
    expect(linkCalls.websocket).toBe(0);
    expect(linkCalls.http).toHaveLength(3);
    const reset = await mailboxToken(user.email, "password_reset");
    await twoThenMail("/api/v1/auth/password/reset", { body: { token: reset, new_password: PASSWORD } }, 204);
    // The link is spent: a second use is refused on the read alone.
    const again = await counted("/api/v1/auth/password/reset", {
      body: { token: reset, new_password: changed },
    });
    expect(again.response.status).toBe(400);
    expect(again.calls).toEqual({ http: 1, websocket: 0 });
    const magic = await api("/api/v1/auth/magic-link", { body: { email: user.email } });
    expect(magic.status).toBe(202);
    const signedIn = await counted("/api/v1/auth/magic-link/verify", {
      body: { token: await mailboxToken(user.email, "magic_link") },
    });
    expect(signedIn.response.status, await signedIn.response.clone().text()).toBe(200);
    expect(signedIn.calls).toEqual({ http: 2, websocket: 0 });
    // The password change spent the registration's verification link with every other: a new one.
    const { access_token } = await signedIn.response.json<{ access_token: string }>();
    const link = await api("/api/v1/auth/verify-email", { method: "POST", token: access_token, body: {} });
    expect(link.status, await link.clone().text()).toBe(202);
    const verified = await counted("/api/v1/auth/verify-email/confirm", {
      body: { token: await mailboxToken(user.email, "verify_email", 2) },
    });
    expect(verified.response.status, await verified.response.clone().text()).toBe(204);
    expect(verified.calls).toEqual({ http: 1, websocket: 0 });
  });

  it("accepting an invitation makes two calls before it answers - the read, then the claim with every change - whether it creates the account or joins one", async () => {
    const tenant = await createTenant("rt");
    const org = await addOrganization(tenant);
    const invite = async (email: string) => {
      const response = await api("/api/v1/invitations", {
        token: tenant.admin.token,
        body: { email, role: "viewer", organization_id: org.id },
      });
      expect(response.status, await response.clone().text()).toBe(201);
      return mailboxToken(email, "invitation");
    };
    /** The calls of an accept: two before the answer; after it, the standing change's outbox is cleared. */
    const accepted = async (token: string, body: Record<string, unknown>, status: number) => {
      const { requestId, headers } = tagged();
      const response = await api(`/api/v1/invitations/${token}/accept`, { body, headers });
      expect(response.status, await response.clone().text()).toBe(status);
      await expectCallsThenOutbox(requestId, 2);
      return response;
    };
    const fresh = await invite(uniqueEmail("rt-inv"));
    const created = await accepted(fresh, { password: PASSWORD }, 201);
    const { access_token } = await created.json<{ access_token: string }>();
    expect((await api("/api/v1/auth/me", { token: access_token })).status).toBe(200);
    // The used link: refused on the read.
    const used = await counted(`/api/v1/invitations/${fresh}/accept`, { body: { password: PASSWORD } });
    expect(used.response.status).toBe(400);
    expect(used.calls).toEqual({ http: 1, websocket: 0 });

    const member = await addUser(tenant, "analyst");
    await accepted(await invite(member.email), {}, 200);
  });

  it("activating a model version makes two calls: the model's rows with the caller's standing, then the activation with its audit event", async () => {
    await publishTrainedModels();
    const tenant = await createTenant("rt");
    // After the answer, the tenant's authority outbox is cleared (read, then delete).
    for (const version of ["1.0.0", "1.0.0"]) {
      const { requestId, headers } = tagged();
      const activated = await api(`/api/v1/models/credit-lr/versions/${version}/activate`, {
        token: tenant.admin.token,
        method: "POST",
        headers,
      });
      expect(activated.status, await activated.clone().text()).toBe(200);
      await expectCallsThenOutbox(requestId, 2);
      expect((await databaseCalls(requestId)).websocket).toBe(0);
    }
  });

  it("a model upload makes two calls, both over HTTP: the version claimed with the caller's standing, then marked ready with its audit event", async () => {
    await publishTrainedModels();
    const tenant = await createTenant("rt");
    const { requestId, headers } = tagged();
    const uploaded = await uploadOwnModel(
      tenant.admin.token,
      (m) => {
        m.name = `rt-${crypto.randomUUID().slice(0, 8)}`;
      },
      { headers },
    );
    expect(uploaded.status, await uploaded.clone().text()).toBe(201);
    // After the answer, the tenant's authority outbox is cleared (read, then delete).
    await expectCallsThenOutbox(requestId, 2);
    const calls = await databaseStatements(requestId);
    expect(calls.websocket).toBe(0);
    expect(calls.http[0]?.some((statement) => statement.includes('insert into "model_versions"'))).toBe(true);
    expect(calls.http[1]?.some((statement) => statement.includes("files_ready = true"))).toBe(true);
  });

  it("sending an invitation makes two round trips before the answer (its reads side by side), then the e-mail's; a second replaces the first", async () => {
    const tenant = await createTenant("rt");
    const email = uniqueEmail("rt-invite");
    const send = async () => {
      const { requestId, headers } = tagged();
      const response = await api("/api/v1/invitations", {
        token: tenant.admin.token,
        headers,
        body: { email, role: "viewer" },
      });
      expect(response.status, await response.clone().text()).toBe(201);
      // The tenant's read and the look across tenants for an expired holder of the address go at once; then
      // the write; then, after the answer, the e-mail's delivery marked.
      const calls = await untilCalls(requestId, 4);
      expect(calls.websocket).toBe(0);
      expect(calls.http).toHaveLength(4);
      expect(calls.http[2]?.some((statement) => statement.includes('insert into "invitations"'))).toBe(true);
      expect(calls.http[3]?.some((statement) => statement.includes('"email_outbox"'))).toBe(true);
      return (await response.json<{ id: string }>()).id;
    };
    await send();
    const second = await send();
    const [audited] = await query<{ replaced: number }>(
      sql`select (summary -> 'after' ->> 'replaced')::int as replaced from audit_events
           where action = 'invitation.created' and resource_id = ${second}`,
    );
    expect(audited?.replaced).toBe(1);
  });

  it("an operator's invitation into another tenant makes two round trips too: the standing beside that tenant's reads, then the write", async () => {
    const home = await createTenant("rt");
    const user = await addUser(home, "tenant_admin");
    await query(sql`update users set role = 'super_admin' where id = ${user.id}`);
    const token = await tokenFor({ ...user, role: "super_admin" }, home.id);
    const other = await createTenant("rt-other");
    const { requestId, headers } = tagged();
    const response = await api("/api/v1/invitations", {
      token,
      headers,
      body: { email: uniqueEmail("rt-founder"), role: "tenant_admin", tenant_id: other.id },
    });
    expect(response.status, await response.clone().text()).toBe(201);
    expect((await response.json<{ tenant_id: string }>()).tenant_id).toBe(other.id);
    // The standing, the tenant's reads and the look for an expired holder at once; the write; the e-mail's mark.
    const calls = await untilCalls(requestId, 5);
    expect(calls.websocket).toBe(0);
    expect(calls.http).toHaveLength(5);
    expect(calls.http[3]?.some((statement) => statement.includes('insert into "invitations"'))).toBe(true);
    expect(calls.http[4]?.some((statement) => statement.includes('"email_outbox"'))).toBe(true);
  });

  it("an operator creates, reads, lists and changes tenants in two calls each: the standing, then one batch", async () => {
    const home = await createTenant("rt");
    const user = await addUser(home, "tenant_admin");
    await query(sql`update users set role = 'super_admin' where id = ${user.id}`);
    const token = await tokenFor({ ...user, role: "super_admin" }, home.id);
    const created = await counted("/api/v1/tenants", { token, body: { name: "Counted" } });
    expect(created.response.status, await created.response.clone().text()).toBe(201);
    expect(created.calls).toEqual({ http: 2, websocket: 0 });
    const { id } = await created.response.json<{ id: string }>();
    const got = await counted(`/api/v1/tenants/${id}`, { token });
    expect(got.response.status).toBe(200);
    expect(got.calls).toEqual({ http: 2, websocket: 0 });
    const listed = await counted("/api/v1/tenants?limit=5", { token });
    expect(listed.response.status).toBe(200);
    expect(listed.calls).toEqual({ http: 2, websocket: 0 });
    // A change of quotas or status is news for the tenant's authority at the edge: its outbox is cleared
    // after the answer (a read, then a delete).
    const { requestId, headers } = tagged();
    const changed = await api(`/api/v1/tenants/${id}`, {
      token,
      headers,
      method: "PATCH",
      body: { name: "Counted again", quotas: { requests_per_minute: 600 } },
    });
    expect(changed.status, await changed.clone().text()).toBe(200);
    expect(await changed.json()).toMatchObject({
      name: "Counted again",
      quotas: { requests_per_minute: 600 },
    });
    await expectCallsThenOutbox(requestId, 2);
    expect((await databaseCalls(requestId)).websocket).toBe(0);
  });

  it("verifying the audit chain is one call and exporting a short one two, the caller's standing riding in them", async () => {
    const tenant = await createTenant("rt");
    const { response, calls } = await counted("/api/v1/audit-events/verify", { token: tenant.admin.token });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toMatchObject({ first_break: null });
    expect(calls).toEqual({ http: 1, websocket: 0 });
    // An export of a short trail: its events with the standing, then (the file written) its audit event.
    const organization = await api("/api/v1/organizations", {
      token: tenant.admin.token,
      body: { name: "Audited" },
    });
    expect(organization.status, await organization.clone().text()).toBe(201);
    const exported = await counted("/api/v1/audit-events/export", {
      token: tenant.admin.token,
      body: { from_seq: 1 },
    });
    expect(exported.response.status, await exported.response.clone().text()).toBe(201);
    expect(exported.calls).toEqual({ http: 2, websocket: 0 });
  });

  it("revoking an invitation makes two calls: the read it is decided on, then the revocation with its audit event", async () => {
    const tenant = await createTenant("rt");
    const created = await api("/api/v1/invitations", {
      token: tenant.admin.token,
      body: { email: uniqueEmail("rt-revoke"), role: "viewer" },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { id } = await created.json<{ id: string }>();
    const revoked = await counted(`/api/v1/invitations/${id}`, {
      token: tenant.admin.token,
      method: "DELETE",
    });
    expect(revoked.response.status, await revoked.response.clone().text()).toBe(204);
    expect(revoked.calls).toEqual({ http: 2, websocket: 0 });
    const listed = await api("/api/v1/invitations?status=revoked", { token: tenant.admin.token });
    expect((await listed.json<{ items: Array<{ id: string }> }>()).items.map((i) => i.id)).toContain(id);
  });

  it("a credit prediction is answered without the database once the edge holds the standing; written once after", async () => {
    await publishTrainedModels();
    const tenant = await createTenant("rt");
    const credit = () => {
      const { requestId, headers } = tagged();
      const response = api("/api/v1/predictions/credit", {
        token: tenant.admin.token,
        headers,
        body: { application: { age: 40 } },
      });
      return { requestId, response };
    };
    // The first finds no copy at the edge: one batch before the answer (the caller's standing, the model's
    // versions, the tenant and its day's quota), given to the Durable Objects; one statement after it.
    const first = credit();
    expect((await first.response).status).toBe(201);
    const firstCalls = await untilCalls(first.requestId, 2);
    expect(firstCalls.http.map(kindOf)).toEqual(["read", "write"]);

    // The next is answered from the edge's copies: its only call is the write after the response.
    const second = credit();
    const answered = await second.response;
    expect(answered.status, await answered.clone().text()).toBe(201);
    const secondCalls = await untilCalls(second.requestId, 1);
    expect(secondCalls.http.map(kindOf)).toEqual(["write"]);
    expect(secondCalls.websocket).toBe(0);
  });

  it("a prediction with an API key is answered without the database once the edge holds the key", async () => {
    await publishTrainedModels();
    const tenant = await createTenant("rt-key");
    const { key } = await createApiKey(tenant, { scopes: ["predictions:write"] });
    const credit = () => {
      const { requestId, headers } = tagged();
      const response = api("/api/v1/predictions/credit", {
        token: key,
        headers,
        body: { application: { age: 40 } },
      });
      return { requestId, response };
    };
    // The first reads the key, then what the tenant's authority did not hold; both are given to it. After the
    // response: the prediction, and the key's last use.
    const first = credit();
    expect((await first.response).status).toBe(201);
    const firstCalls = (await untilCalls(first.requestId, 4)).http.map(kindOf);
    expect(firstCalls.sort()).toEqual(["last use", "read", "read", "write"]);

    const second = credit();
    expect((await second.response).status).toBe(201);
    const calls = await untilCalls(second.requestId, 1);
    // Its only call is the write after the response (the key's last use is recorded once a minute).
    expect(calls.http.map(kindOf)).toEqual(["write"]);
  });

  it("the first request of a tenant in an isolate makes one call too: its quota is judged by that call's standing", async () => {
    const tenant = await createTenant("rt-first");
    const { response, calls } = await counted("/api/v1/portfolios", { token: tenant.admin.token });
    expect(response.status).toBe(200);
    expect(calls).toEqual({ http: 1, websocket: 0 });
    // Counted before the quota was known, and shown by the quota the standing carried.
    const policy = response.headers.get("ratelimit-policy") ?? "";
    expect(policy).toMatch(/"tenant";q=\d+;/);
    expect(policy).not.toContain(String(Number.MAX_SAFE_INTEGER));
  });

  it("a read with an API key makes one call once the tenant's authority holds the key", async () => {
    const tenant = await createTenant("rt-key-read");
    const { key } = await createApiKey(tenant, { scopes: ["audit:read"] });
    // A key new to the isolate is read from the database (which tells the isolate its tenant); the next asks
    // the tenant's authority, which holds no copy yet, reads it and gives it one (under the generation it
    // answered before that read, so a revocation in between is never undone); from then on it is held.
    for (let i = 0; i < 2; i++) {
      expect((await counted("/api/v1/audit-events?limit=1", { token: key })).response.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const { response, calls } = await counted("/api/v1/audit-events?limit=1", { token: key });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(calls).toEqual({ http: 1, websocket: 0 });
  });

  it("refuses a bad token and malformed input without touching the database", async () => {
    const tenant = await createTenant("rt");
    const bad = await counted("/api/v1/auth/me", { token: "e30.e30.sig" });
    expect(bad.response.status).toBe(401);
    expect(bad.calls).toEqual({ http: 0, websocket: 0 });

    const malformed = await counted("/api/v1/portfolios", {
      token: tenant.admin.token,
      body: { name: "", base_currency: "usd" },
    });
    expect(malformed.response.status).toBe(422);
    expect(malformed.calls).toEqual({ http: 0, websocket: 0 });
  });

  it("refuses a revoked token without touching the database", async () => {
    const tenant = await createTenant("rt");
    const logout = await api("/api/v1/auth/logout", { token: tenant.admin.token, method: "POST" });
    expect(logout.status).toBeLessThan(300);
    const { response, calls } = await counted("/api/v1/auth/me", { token: tenant.admin.token });
    expect(response.status).toBe(401);
    expect(calls).toEqual({ http: 0, websocket: 0 });
  });
});

describe("database round trips per bulk chunk", () => {
  it("a job is submitted in two calls; each chunk is read in one and recorded in one, over HTTP", async () => {
    await publishTrainedModels();
    const tenant = await createTenant("rt-bulk");
    const base = manifestOf("credit-gbdt").samples.map((s) => s.input as Record<string, unknown>);
    const rows: Array<Record<string, unknown>> = Array.from({ length: 1100 }, (_, i) => ({
      ...base[i % base.length],
      reference: `r${i}`,
    }));
    rows[600] = { age: 12, reference: "bad" };
    const body = `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
    const { requestId, headers } = tagged();
    const accepted = await upload(
      tenant.admin.token,
      body,
      "application/x-ndjson",
      "?model=credit-gbdt",
      headers,
    );
    expect(accepted.status, await accepted.clone().text()).toBe(202);
    // The submission: its admission (model and quota) read, then the job recorded - one call each.
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    const { id } = await accepted.json<{ id: string }>();
    const job = await waitForJob(tenant.admin.token, id);
    expect(job.progress).toMatchObject({
      rows_scored: 1099,
      rows_failed: 1,
      chunks_total: 3,
      chunks_done: 3,
    });
    for (const chunk of [0, 1, 2]) {
      const calls = await databaseStatements(chunkRequestId(id, chunk));
      expect(calls.websocket, `chunk ${chunk}`).toBe(0);
      expect(
        calls.http.map((statements) => statements.some((sql) => sql.includes("finedge_record_chunk"))),
      ).toEqual([false, true]);
    }
  });

  it("a submission under an Idempotency-Key is recorded in two calls, and its retry answered in two", async () => {
    await publishTrainedModels();
    const tenant = await createTenant("rt-bulk-key");
    const sample = manifestOf("credit-gbdt").samples[0]?.input as Record<string, unknown>;
    const body = `${JSON.stringify({ ...sample, reference: "k1" })}\n`;
    const key = { "Idempotency-Key": crypto.randomUUID() };
    const first = tagged();
    const accepted = await upload(tenant.admin.token, body, "application/x-ndjson", "?model=credit-gbdt", {
      ...first.headers,
      ...key,
    });
    expect(accepted.status, await accepted.clone().text()).toBe(202);
    // The key looked up in the admission's own read, then the job recorded.
    expect(await databaseCalls(first.requestId)).toEqual({ http: 2, websocket: 0 });
    const retry = tagged();
    const replayed = await upload(tenant.admin.token, body, "application/x-ndjson", "?model=credit-gbdt", {
      ...retry.headers,
      ...key,
    });
    expect(replayed.status).toBe(202);
    expect(replayed.headers.get("idempotency-replayed")).toBe("true");
    expect((await replayed.json<{ id: string }>()).id).toBe((await accepted.json<{ id: string }>()).id);
    // The job found under the key, then the replay audited.
    expect(await databaseCalls(retry.requestId)).toEqual({ http: 2, websocket: 0 });
  });
});

describe("compliance alerts, cases and SARs", () => {
  it("read in one call and write in at most two, a note in one", async () => {
    const tenant = await createTenant("rt-cases");
    const officer = await addUser(tenant, "org_admin");
    const admin = tenant.admin.token;
    const [first, second] = [await raiseAlert(tenant), await raiseAlert(tenant)];
    const opened = await counted("/api/v1/compliance/cases", {
      token: admin,
      body: { title: "Counted", alert_ids: [first?.id], assignee_id: officer.id },
    });
    expect(opened.response.status).toBe(201);
    expect(opened.calls).toEqual({ http: 2, websocket: 0 });
    const { id } = await opened.response.json<{ id: string }>();
    const path = `/api/v1/compliance/cases/${id}`;
    const writes: Array<[string, Parameters<typeof api>[1], number, number]> = [
      [`${path}/alerts`, { token: admin, body: { alert_ids: [second?.id] } }, 200, 2],
      [`${path}/notes`, { token: admin, body: { body: "Counted note." } }, 201, 1],
      [
        `${path}/attachments`,
        {
          token: admin,
          body: { filename: "n.txt", content_type: "text/plain", content_base64: btoa("counted") },
        },
        201,
        2,
      ],
      [path, { method: "PATCH", token: admin, body: { status: "investigating" } }, 200, 2],
      [path, { method: "PATCH", token: admin, body: { status: "escalated" } }, 200, 2],
      [`${path}/sar`, { token: officer.token, body: { narrative: "Counted." } }, 201, 2],
      [
        `${path}/sar`,
        { method: "PATCH", token: officer.token, body: { narrative: "Counted again." } },
        200,
        2,
      ],
      [`${path}/sar/approve`, { method: "POST", token: admin }, 200, 2],
      [`${path}/sar/file`, { token: officer.token, body: {} }, 200, 2],
      [path, { method: "PATCH", token: officer.token, body: { status: "closed_sar_filed" } }, 200, 2],
    ];
    for (const [url, init, status, http] of writes) {
      const { response, calls } = await counted(url, init);
      expect(response.status, `${url}: ${await response.clone().text()}`).toBe(status);
      expect(calls, url).toEqual({ http, websocket: 0 });
    }
    for (const url of [
      "/api/v1/compliance/alerts?status=closed",
      `/api/v1/compliance/alerts/${first?.id}`,
      "/api/v1/compliance/cases?overdue=true",
      path,
      `${path}/attachments`,
      `${path}/sar`,
      `${path}/sar/export?format=csv`,
      "/api/v1/compliance/reports",
      "/api/v1/compliance/audit-logs?resource_type=sar",
    ]) {
      const { response, calls } = await counted(url, { token: officer.token });
      expect(response.status, url).toBe(200);
      expect(calls, url).toEqual({ http: 1, websocket: 0 });
    }
    const customer = await api("/api/v1/customers", {
      token: admin,
      body: { kind: "entity", country: "IT", identity: { name: "Contata S.r.l." } },
    });
    const reported = await counted("/api/v1/security/report-fraud", {
      token: admin,
      body: {
        subject: { type: "customer", id: (await customer.json<{ id: string }>()).id },
        category: "other",
        description: "Counted report.",
      },
    });
    expect(reported.response.status).toBe(201);
    expect(reported.calls).toEqual({ http: 2, websocket: 0 });
  });
});
