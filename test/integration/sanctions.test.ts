/**
 * Sanctions screening through the HTTP API: a list uploaded and refused whole when malformed, every customer
 * rescreened through the queue (and again, changing nothing, when the message is delivered twice), screening
 * on onboarding and on a change of name, the review of a match with its reason and the risk it moves, ad-hoc
 * screening of a counterparty, the round trips each takes, and who may do what.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api } from "./auth-helpers";
import { bindings, call, databaseCalls, problemOf } from "./helpers";
import {
  ALT,
  matchesOf,
  readyList,
  type SanctionsListView,
  type SanctionsMatchView,
  SDN,
  uploadList,
  waitForList,
} from "./sanctions-fixtures";
import { addUser, createApiKey, createTenant, query, type TenantFixture } from "./tenancy-fixtures";

interface Customer {
  id: string;
  risk_rating: string;
  risk_factors: Array<{ factor: string; points: number }>;
  version: number;
}

const person = (name: string) => ({ kind: "person", country: "GB", identity: { name } });
const entity = (name: string) => ({ kind: "entity", country: "DE", identity: { name } });

async function onboard(token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await api("/api/v1/customers", { token, body, headers });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json<Customer>();
}

async function customer(token: string, id: string) {
  const response = await api(`/api/v1/customers/${id}`, { token });
  expect(response.status).toBe(200);
  return response.json<Customer>();
}

const factors = (c: Customer) => c.risk_factors.map((f) => f.factor);

async function auditOf(tenantId: string, action: string) {
  return query<{ resource_id: string; actor_type: string; summary: Record<string, Record<string, unknown>> }>(
    sql`select resource_id, actor_type, summary from audit_events
         where tenant_id = ${tenantId} and action = ${action} order by seq`,
  );
}

describe("sanctions lists", () => {
  it("refuses a malformed upload whole, naming the file and line, and stores nothing", async () => {
    const tenant = await createTenant("sdn-bad");
    const broken = SDN.replace('9003,"SEA LANTERN","vessel"', '9003,"SEA LANTERN","submarine"');
    const response = await uploadList(tenant.admin.token, { sdn: broken, alt: ALT });
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    const problem = await problemOf(response);
    expect(problem.errors).toEqual([
      {
        location: "body",
        pointer: "/sdn",
        message: 'line 3: unknown SDN_Type "submarine"',
        code: "invalid_row",
      },
    ]);

    // An alias of an entry the SDN file does not list is a problem of alt.csv.
    const orphan = await uploadList(tenant.admin.token, {
      sdn: SDN,
      alt: `${ALT}9999,599,"aka","NOBODY",-0- \r\n`,
    });
    expect(orphan.status).toBe(422);
    expect((await problemOf(orphan)).errors?.[0]).toMatchObject({
      pointer: "/alt",
      message: "line 5: ent_num 9999 is not in sdn.csv",
    });

    // Not the format at all, not UTF-8, or no sdn part.
    const notSdn = await uploadList(tenant.admin.token, { sdn: "name,dob\nAda,1984-03-15\n" });
    expect(notSdn.status).toBe(422);
    expect((await problemOf(notSdn)).errors?.[0]).toMatchObject({ pointer: "/sdn", code: "invalid_format" });
    const form = new FormData();
    form.set("sdn", new Blob([new Uint8Array([0xff, 0xfe, 0x41])]), "sdn.csv");
    const binary = await call("/api/v1/compliance/sanctions-lists", {
      method: "POST",
      headers: { authorization: `Bearer ${tenant.admin.token}` },
      body: form,
    });
    expect(binary.status).toBe(422);
    expect((await problemOf(binary)).errors?.[0]).toMatchObject({
      pointer: "/sdn",
      code: "invalid_encoding",
    });
    const noSdn = await uploadList(tenant.admin.token, { alt: ALT });
    expect(noSdn.status).toBe(422);
    expect((await problemOf(noSdn)).errors?.[0]).toMatchObject({ pointer: "/sdn", code: "missing_part" });
    const json = await api("/api/v1/compliance/sanctions-lists", { token: tenant.admin.token, body: {} });
    expect(json.status).toBe(415);

    expect(await query(sql`select id from sanctions_lists where tenant_id = ${tenant.id}`)).toEqual([]);
    const stored = await bindings.FILES.list({ prefix: `sanctions/${tenant.id}/` });
    expect(stored.objects).toEqual([]);
  });

  it("stores a list, rescreens every customer through the queue, and makes it the active list", async () => {
    const tenant = await createTenant("sdn");
    const dmitri = await onboard(tenant.admin.token, person("Dmitri Korvalenko"));
    const zentra = await onboard(tenant.admin.token, entity("Zentra Petrochemicals GmbH"));
    const ada = await onboard(tenant.admin.token, person("Ada Quill Marlowe"));
    // No list yet: onboarding screened against nothing.
    expect(factors(dmitri)).not.toContain("sanctions_potential_match");

    const requestId = `sdn-upload-${crypto.randomUUID()}`;
    const response = await uploadList(tenant.admin.token, undefined, { "X-Request-Id": requestId });
    expect(response.status, await response.clone().text()).toBe(202);
    // Two round trips: the caller's standing (before any file is stored), then the list and its audit event.
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    const accepted = await response.json<SanctionsListView>();
    expect(accepted).toMatchObject({
      version: 1,
      status: "processing",
      entries: 7,
      aliases: 7,
      uploaded_by: { type: "user", id: tenant.admin.id },
    });
    const stored = await bindings.FILES.list({ prefix: `sanctions/${tenant.id}/${accepted.id}/` });
    expect(stored.objects.map((o) => o.key.split("/").at(-1)).sort()).toEqual(["alt.csv", "sdn.csv"]);

    const list = await waitForList(tenant.admin.token, accepted.id);
    expect(list).toMatchObject({ status: "ready", customers_screened: 3, matches_found: 2, failure: null });

    const matches = await matchesOf(tenant.admin.token);
    const byCustomer = new Map(matches.map((m) => [m.customer_id, m]));
    expect(byCustomer.get(dmitri.id)).toMatchObject({
      entry_uid: 9001,
      matched_name: "KORVALENKO, Dmitri",
      origin: "list",
      status: "open",
      live: true,
      list_id: list.id,
    });
    expect(byCustomer.get(zentra.id)).toMatchObject({
      entry_uid: 9007,
      matched_name: "ZENTRA PETROCHEMICALS",
    });
    expect(byCustomer.has(ada.id)).toBe(false);

    // An open match makes the rating high; the customer's history shows the rescreen, by the system.
    const rescreened = await customer(tenant.admin.token, dmitri.id);
    expect(rescreened.risk_rating).toBe("high");
    expect(factors(rescreened)).toContain("sanctions_potential_match");
    expect((await customer(tenant.admin.token, ada.id)).risk_rating).toBe(ada.risk_rating);
    const events = await auditOf(tenant.id, "customer.rescreened");
    expect(events.map((e) => e.resource_id).sort()).toEqual([dmitri.id, zentra.id].sort());
    expect(events.every((e) => e.actor_type === "system")).toBe(true);
    expect((await auditOf(tenant.id, "sanctions_list.ready")).map((e) => e.resource_id)).toEqual([list.id]);

    // Delivered again, the message changes nothing: the list is settled, no match or event is added.
    const batch = createMessageBatch("finedge-scoring-dev", [
      {
        id: "again",
        timestamp: new Date(),
        attempts: 1,
        body: { type: "sanctions_rescreen", tenantId: tenant.id, listId: list.id },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<unknown>, bindings);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["again"]);
    expect(await matchesOf(tenant.admin.token)).toHaveLength(matches.length);
    expect(await auditOf(tenant.id, "customer.rescreened")).toHaveLength(2);

    // Listed, newest first, and read one by one.
    const page = await api("/api/v1/compliance/sanctions-lists", { token: tenant.admin.token });
    expect((await page.json<{ items: SanctionsListView[] }>()).items.map((l) => l.id)).toEqual([list.id]);
  });

  it("supersedes on a new version what it no longer lists, and carries a decision over to the same finding", async () => {
    const tenant = await createTenant("sdn-redeliver");
    const dmitri = await onboard(tenant.admin.token, person("Dmitri Korvalenko"));
    const zentra = await onboard(tenant.admin.token, entity("Zentra Petrochemicals GmbH"));
    const first = await readyList(tenant.admin.token);
    const [zentraMatch] = await matchesOf(tenant.admin.token, `&customer_id=${zentra.id}`);
    const dismissed = await api(`/api/v1/compliance/sanctions-matches/${zentraMatch?.id}/dismiss`, {
      token: tenant.admin.token,
      body: { reason: "Registered in Hamburg in 2019; the listed party is an Iranian petrochemical trader." },
    });
    expect(dismissed.status, await dismissed.clone().text()).toBe(200);

    // A second version without Korvalenko: his match on the first is superseded, the dismissal carries over.
    const withoutDmitri = SDN.split("\r\n")
      .filter((line) => !line.startsWith("9001,"))
      .join("\r\n");
    const altWithout = ALT.split("\r\n")
      .filter((line) => !line.startsWith("9001,"))
      .join("\r\n");
    const second = await readyList(tenant.admin.token, { sdn: withoutDmitri, alt: altWithout });
    expect(second.version).toBe(2);
    const live = await matchesOf(tenant.admin.token, "&live=true");
    expect(live.map((m) => [m.customer_id, m.list_id, m.status])).toEqual([
      [zentra.id, second.id, "dismissed"],
    ]);
    expect(live[0]?.decision?.reason).toContain("Hamburg");
    const superseded = await matchesOf(tenant.admin.token, `&live=false&customer_id=${dmitri.id}`);
    expect(superseded.map((m) => [m.list_id, m.status])).toEqual([[first.id, "open"]]);
    expect(factors(await customer(tenant.admin.token, dmitri.id))).not.toContain("sanctions_potential_match");
    expect(factors(await customer(tenant.admin.token, zentra.id))).not.toContain("sanctions_potential_match");
  });

  it("carries on from where the previous message stopped, counting on from its figures", async () => {
    const tenant = await createTenant("sdn-continue");
    const first = await onboard(tenant.admin.token, person("Dmitri Korvalenko"));
    const second = await onboard(tenant.admin.token, person("Henrik Olav Brandvold"));
    const third = await onboard(tenant.admin.token, entity("Skyferry 7"));
    // The list's files stored as an upload stores them, its row processing, and no message of its own.
    const listId = crypto.randomUUID();
    await bindings.FILES.put(`sanctions/${tenant.id}/${listId}/alt.csv`, ALT);
    await bindings.FILES.put(`sanctions/${tenant.id}/${listId}/sdn.csv`, SDN, {
      customMetadata: { aliases: "alt" },
    });
    await query(sql`insert into sanctions_lists
        (id, tenant_id, version, entries, aliases, sdn_key, alt_key, sdn_sha256, bytes, actor_type)
      values (${listId}, ${tenant.id}, 1, 7, 7, ${`sanctions/${tenant.id}/${listId}/sdn.csv`},
              ${`sanctions/${tenant.id}/${listId}/alt.csv`}, ${"0".repeat(64)}, 1, 'user')`);
    const [position] = await query<{ created_at: string }>(
      sql`select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at
            from customers where id = ${first.id}`,
    );
    const batch = createMessageBatch("finedge-scoring-dev", [
      {
        id: "continued",
        timestamp: new Date(),
        attempts: 1,
        body: {
          type: "sanctions_rescreen",
          tenantId: tenant.id,
          listId,
          after: { t: position?.created_at, i: first.id },
          screened: 1000,
          matched: 10,
        },
      },
    ]);
    await worker.queue(batch as MessageBatch<unknown>, bindings);
    expect((await getQueueResult(batch, createExecutionContext())).explicitAcks).toEqual(["continued"]);
    const list = await waitForList(tenant.admin.token, listId);
    expect(list).toMatchObject({ status: "ready", customers_screened: 1002, matches_found: 12 });
    const screened = new Set((await matchesOf(tenant.admin.token)).map((m) => m.customer_id));
    expect([...screened].sort()).toEqual([second.id, third.id].sort());
  });

  it("marks a list failed, with the reason, when its files cannot be read or every delivery failed", async () => {
    const tenant = await createTenant("sdn-failed");
    const insert = async () => {
      const [row] = await query<{ id: string }>(sql`insert into sanctions_lists
        (tenant_id, version, entries, aliases, sdn_key, sdn_sha256, bytes, actor_type)
        values (${tenant.id}, (select coalesce(max(version), 0) + 1 from sanctions_lists where tenant_id = ${tenant.id}),
                1, 0, 'sanctions/missing/sdn.csv', ${"0".repeat(64)}, 1, 'user')
        returning id`);
      return row?.id as string;
    };
    const deliver = async (queue: string, listId: string) => {
      const batch = createMessageBatch(queue, [
        {
          id: listId,
          timestamp: new Date(),
          attempts: 1,
          body: { type: "sanctions_rescreen", tenantId: tenant.id, listId },
        },
      ]);
      await worker.queue(batch as MessageBatch<unknown>, bindings);
      expect((await getQueueResult(batch, createExecutionContext())).explicitAcks).toEqual([listId]);
    };
    const missing = await insert();
    await deliver("finedge-scoring-dev", missing);
    const failed = await waitForList(tenant.admin.token, missing);
    expect(failed).toMatchObject({ status: "failed", failure: expect.stringContaining("is not in storage") });

    const dead = await insert();
    await deliver("finedge-scoring-dlq-dev", dead);
    expect(await waitForList(tenant.admin.token, dead)).toMatchObject({
      status: "failed",
      failure: expect.stringContaining("the rescreen failed"),
    });
    expect((await auditOf(tenant.id, "sanctions_list.failed")).map((e) => e.resource_id)).toEqual([
      missing,
      dead,
    ]);
    // Neither is the active list: screening has nothing to screen against.
    const none = await api("/api/v1/compliance/screenings", {
      token: tenant.admin.token,
      body: { name: "Sky" },
    });
    expect(none.status).toBe(409);
  });
});

describe("sanctions tables", () => {
  it("are tenant-scoped with row-level security forced and a tenant isolation policy", async () => {
    const tables = await query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
      sql`select relname, relrowsecurity, relforcerowsecurity from pg_class
           where relname in ('sanctions_lists', 'sanctions_matches') order by relname`,
    );
    expect(tables).toEqual([
      { relname: "sanctions_lists", relrowsecurity: true, relforcerowsecurity: true },
      { relname: "sanctions_matches", relrowsecurity: true, relforcerowsecurity: true },
    ]);
    const policies = await query<{ tablename: string; policyname: string }>(
      sql`select tablename, policyname from pg_policies
           where tablename in ('sanctions_lists', 'sanctions_matches') order by tablename`,
    );
    expect(policies.map((p) => [p.tablename, p.policyname])).toEqual([
      ["sanctions_lists", "tenant_isolation"],
      ["sanctions_matches", "tenant_isolation"],
    ]);
  });
});

describe("screening customers and reviewing matches", () => {
  let tenant: TenantFixture;
  const setUp = async () => {
    tenant = await createTenant("sdn-review");
    await readyList(tenant.admin.token);
  };

  it("screens a customer on onboarding and on a change of name, in two round trips each", async () => {
    await setUp();
    const requestId = `sdn-onboard-${crypto.randomUUID()}`;
    const henrik = await onboard(tenant.admin.token, person("Henrik Olav Brandvold"), {
      "X-Request-Id": requestId,
    });
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    expect(henrik.risk_rating).toBe("high");
    expect(factors(henrik)).toContain("sanctions_potential_match");
    const [found] = await matchesOf(tenant.admin.token, `&customer_id=${henrik.id}`);
    expect(found).toMatchObject({ entry_uid: 9006, origin: "onboarding", status: "open", live: true });
    const created = await auditOf(tenant.id, "customer.created");
    expect(created.at(-1)?.summary.after?.sanctionsScreening).toMatchObject({
      listVersion: 1,
      matches: [{ entryUid: 9006, status: "open" }],
    });

    // A change that keeps the name keeps the match (and the rating it drives).
    const pep = await api(`/api/v1/customers/${henrik.id}`, {
      method: "PATCH",
      token: tenant.admin.token,
      body: { pep: true },
    });
    expect(pep.status).toBe(200);
    expect(factors(await pep.json<Customer>())).toContain("sanctions_potential_match");

    // A new name is screened again: the match it no longer finds is superseded.
    const changeId = `sdn-rename-${crypto.randomUUID()}`;
    const renamed = await api(`/api/v1/customers/${henrik.id}`, {
      method: "PATCH",
      token: tenant.admin.token,
      headers: { "X-Request-Id": changeId },
      body: { pep: false, identity: { name: "Henrietta Olsen" } },
    });
    expect(renamed.status, await renamed.clone().text()).toBe(200);
    expect(await databaseCalls(changeId)).toEqual({ http: 2, websocket: 0 });
    const after = await renamed.json<Customer>();
    expect(factors(after)).not.toContain("sanctions_potential_match");
    expect(after.risk_rating).toBe("low");
    const [old] = await matchesOf(tenant.admin.token, `&customer_id=${henrik.id}`);
    expect(old).toMatchObject({ id: found?.id, live: false, status: "open" });

    // And a name that matches is found on the change.
    const vessel = await onboard(tenant.admin.token, entity("Harbour Light Trading"));
    const toVessel = await api(`/api/v1/customers/${vessel.id}`, {
      method: "PATCH",
      token: tenant.admin.token,
      body: { identity: { name: "Northwind Maritime Company Limited" } },
    });
    expect(toVessel.status).toBe(200);
    expect((await toVessel.json<Customer>()).risk_rating).toBe("high");
    expect((await matchesOf(tenant.admin.token, `&customer_id=${vessel.id}`))[0]).toMatchObject({
      entry_uid: 9002,
      origin: "change",
    });
  });

  it("confirms or dismisses a match once, with a reason, audited, and rates the customer again", async () => {
    await setUp();
    const yusuf = await onboard(tenant.admin.token, person("Youssef Al Qadiri"));
    const sky = await onboard(tenant.admin.token, entity("Skyferry 7"));
    const [yusufMatch] = await matchesOf(tenant.admin.token, `&customer_id=${yusuf.id}`);
    const [skyMatch] = await matchesOf(tenant.admin.token, `&customer_id=${sky.id}`);
    expect(yusufMatch?.status).toBe("open");

    const noReason = await api(`/api/v1/compliance/sanctions-matches/${yusufMatch?.id}/dismiss`, {
      token: tenant.admin.token,
      body: {},
    });
    expect(noReason.status).toBe(422);

    const analyst = await addUser(tenant, "analyst");
    const requestId = `sdn-dismiss-${crypto.randomUUID()}`;
    const dismissed = await api(`/api/v1/compliance/sanctions-matches/${yusufMatch?.id}/dismiss`, {
      token: analyst.token,
      headers: { "X-Request-Id": requestId },
      body: { reason: "Date of birth 1990 against the listed 1962; different father's name." },
    });
    expect(dismissed.status, await dismissed.clone().text()).toBe(200);
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    expect(await dismissed.json<SanctionsMatchView>()).toMatchObject({
      status: "dismissed",
      decision: { reason: expect.stringContaining("1962"), decided_by: { type: "user", id: analyst.id } },
    });
    const cleared = await customer(tenant.admin.token, yusuf.id);
    expect(factors(cleared)).not.toContain("sanctions_potential_match");
    expect(cleared.risk_rating).toBe("low");
    const [event] = await auditOf(tenant.id, "sanctions_match.dismissed");
    expect(event?.resource_id).toBe(yusufMatch?.id);
    expect(event?.summary.after).toMatchObject({
      status: "dismissed",
      reason: expect.stringContaining("1962"),
    });

    // Decided once: neither decision is made again.
    for (const verb of ["dismiss", "confirm"]) {
      const again = await api(`/api/v1/compliance/sanctions-matches/${yusufMatch?.id}/${verb}`, {
        token: tenant.admin.token,
        body: { reason: "Second thoughts." },
      });
      expect(again.status).toBe(409);
    }

    const confirmed = await api(`/api/v1/compliance/sanctions-matches/${skyMatch?.id}/confirm`, {
      token: tenant.admin.token,
      body: { reason: "Registration and tail number agree with the listing." },
    });
    expect(confirmed.status).toBe(200);
    const listed = await customer(tenant.admin.token, sky.id);
    expect(listed.risk_rating).toBe("high");
    expect(factors(listed)).toEqual(expect.arrayContaining(["sanctions_confirmed_match"]));
    expect(factors(listed)).not.toContain("sanctions_potential_match");

    // Filters: by status and by customer.
    expect((await matchesOf(tenant.admin.token, "&status=confirmed")).map((m) => m.id)).toEqual([
      skyMatch?.id,
    ]);
    expect((await matchesOf(tenant.admin.token, "&status=dismissed")).map((m) => m.id)).toEqual([
      yusufMatch?.id,
    ]);
    const one = await api(`/api/v1/compliance/sanctions-matches/${skyMatch?.id}`, { token: analyst.token });
    expect((await one.json<SanctionsMatchView>()).status).toBe("confirmed");
    expect(
      (
        await api(`/api/v1/compliance/sanctions-matches/${crypto.randomUUID()}/confirm`, {
          token: tenant.admin.token,
          body: { reason: "No such match." },
        })
      ).status,
    ).toBe(404);
  });

  it("screens a counterparty's name on demand against the active list, and records it", async () => {
    const bare = await createTenant("sdn-none");
    const none = await api("/api/v1/compliance/screenings", {
      token: bare.admin.token,
      body: { name: "Sea Lantern" },
    });
    expect(none.status).toBe(409);

    await setUp();
    const requestId = `sdn-screen-${crypto.randomUUID()}`;
    const response = await api("/api/v1/compliance/screenings", {
      token: tenant.admin.token,
      headers: { "X-Request-Id": requestId },
      body: { name: "Ocean Lantern" },
    });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    const screening = await response.json<{
      id: string;
      list: { id: string; version: number };
      candidates: Array<{
        entry_uid: number;
        matched_name: string;
        alias_type: string;
        weak: boolean;
        score: number;
      }>;
    }>();
    expect(screening.list.version).toBe(1);
    expect(screening.candidates[0]).toMatchObject({
      entry_uid: 9003,
      matched_name: "OCEAN LANTERN",
      alias_type: "fka",
      weak: true,
      score: 1,
    });
    const [event] = await auditOf(tenant.id, "sanctions.screened");
    expect(event).toMatchObject({ resource_id: screening.id });
    expect(event?.summary.after).toMatchObject({ name: "Ocean Lantern", listVersion: 1 });

    // A person is compared with listed individuals only.
    const asPerson = await api("/api/v1/compliance/screenings", {
      token: tenant.admin.token,
      body: { name: "Ocean Lantern", kind: "person" },
    });
    expect((await asPerson.json<{ candidates: unknown[] }>()).candidates).toEqual([]);

    // A machine with the screening scope may screen; one without it may not.
    const key = await createApiKey(tenant, { scopes: ["sanctions:screen"] });
    const byKey = await api("/api/v1/compliance/screenings", {
      token: key.key,
      body: { name: "Skyferry 7" },
    });
    expect(byKey.status).toBe(200);
    const readOnly = await createApiKey(tenant, { scopes: ["sanctions:read"] });
    const refused = await api("/api/v1/compliance/screenings", {
      token: readOnly.key,
      body: { name: "Skyferry 7" },
    });
    expect(refused.status).toBe(403);
  });

  it("refuses to onboard while the active list cannot be loaded, rather than let a customer through unscreened", async () => {
    const lost = await createTenant("sdn-lost");
    await query(sql`insert into sanctions_lists
        (tenant_id, version, status, ready_at, entries, aliases, sdn_key, sdn_sha256, bytes, actor_type)
      values (${lost.id}, 1, 'ready', now(), 1, 0, 'sanctions/lost/sdn.csv', ${"0".repeat(64)}, 1, 'user')`);
    const response = await api("/api/v1/customers", {
      token: lost.admin.token,
      body: person("Ada Quill Marlowe"),
    });
    expect(response.status).toBe(503);
    expect((await problemOf(response)).code).toBe("service_unavailable");
    expect(await query(sql`select id from customers where tenant_id = ${lost.id}`)).toEqual([]);
  });

  it("lets tenant admins upload lists and analysts review, not viewers", async () => {
    await setUp();
    const analyst = await addUser(tenant, "analyst");
    const viewer = await addUser(tenant, "viewer");
    const before = (await bindings.FILES.list({ prefix: `sanctions/${tenant.id}/` })).objects.length;
    expect((await uploadList(analyst.token)).status).toBe(403);
    // Refused on the caller's standing, before any file is stored.
    expect((await bindings.FILES.list({ prefix: `sanctions/${tenant.id}/` })).objects).toHaveLength(before);
    expect(await query(sql`select id from sanctions_lists where tenant_id = ${tenant.id}`)).toHaveLength(1);
    expect((await api("/api/v1/compliance/sanctions-lists", { token: analyst.token })).status).toBe(200);
    expect((await api("/api/v1/compliance/sanctions-lists", { token: viewer.token })).status).toBe(403);
    expect((await api("/api/v1/compliance/sanctions-matches", { token: viewer.token })).status).toBe(403);
  });
});
