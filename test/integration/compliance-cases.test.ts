/**
 * Compliance alerts, cases and SARs through the HTTP API: alerts raised with the repository's INSERT and read
 * back with filters; cases opened from open alerts with a deadline 30 days from the earliest detection,
 * worked through their states (a wrong move is 409), assigned only to those entitled, with append-only notes
 * and attachments in R2; SARs drafted from a case, approved under four eyes and filed before a case closes
 * with one; what a caller without a SAR permission can learn; the round trips each takes; tenants apart.
 */
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { caseWithFiledSar, openCase, raiseAlert } from "./compliance-fixtures";
import { databaseCalls, problemOf } from "./helpers";
import { seedPortfolio } from "./portfolio-fixtures";
import {
  addOrganization,
  addUser,
  createTenant,
  type Member,
  query,
  type TenantFixture,
} from "./tenancy-fixtures";

interface CaseView {
  id: string;
  status: string;
  assignee_id: string | null;
  detected_at: string | null;
  due_at: string | null;
  overdue: boolean;
  alerts: Array<{ id: string; status: string; case_id: string | null }>;
  notes: Array<{ id: string; body: string; author_id: string | null }>;
  attachments: Array<{ id: string; filename: string; sha256: string; size_bytes: number }>;
}

interface SarView {
  id: string;
  status: string;
  subject_ids: string[];
  transaction_ids: string[];
  amounts: Array<{ currency: string; total: string; transactions: number }>;
  due_at: string;
  prepared_by: string;
  approved_by: string | null;
}

const DAY = 86_400_000;

let tenant: TenantFixture;
let officer: Member;
let analyst: Member;
let viewer: Member;

beforeAll(async () => {
  tenant = await createTenant("cases");
  officer = await addUser(tenant, "org_admin");
  analyst = await addUser(tenant, "analyst");
  viewer = await addUser(tenant, "viewer");
});

const patchCase = (token: string, id: string, body: Record<string, unknown>) =>
  api(`/api/v1/compliance/cases/${id}`, { method: "PATCH", token, body });

async function moveTo(id: string, ...statuses: string[]) {
  for (const status of statuses) {
    const moved = await patchCase(tenant.admin.token, id, { status });
    expect(moved.status, await moved.clone().text()).toBe(200);
  }
}

describe("alerts", () => {
  it("are raised with the repository's INSERT, listed with filters and read one by one", async () => {
    const own = await createTenant("alerts");
    const customer = await api("/api/v1/customers", {
      token: own.admin.token,
      body: { kind: "entity", country: "DE", identity: { name: "Alert Subject GmbH" } },
    });
    const { id: customerId } = await customer.json<{ id: string }>();
    const fraud = await raiseAlert(own, { kind: "fraud", rule: "FRD-VELOCITY", customerId, score: 91 });
    const monitoring = await raiseAlert(own);
    const listed = await api("/api/v1/compliance/alerts", { token: own.admin.token });
    expect((await listed.json<{ items: Array<{ id: string }> }>()).items.map((a) => a.id)).toEqual([
      monitoring.id,
      fraud.id,
    ]);
    for (const [q, ids] of [
      ["kind=fraud", [fraud.id]],
      [`customer_id=${customerId}`, [fraud.id]],
      ["status=closed", []],
      ["status=open&kind=monitoring", [monitoring.id]],
    ] as const) {
      const page = await api(`/api/v1/compliance/alerts?${q}`, { token: own.admin.token });
      expect(
        (await page.json<{ items: Array<{ id: string }> }>()).items.map((a) => a.id),
        q,
      ).toEqual(ids);
    }
    const requestId = `alerts-${crypto.randomUUID()}`;
    const one = await api(`/api/v1/compliance/alerts/${fraud.id}`, {
      token: own.admin.token,
      headers: { "X-Request-Id": requestId },
    });
    expect(await one.json()).toMatchObject({
      id: fraud.id,
      kind: "fraud",
      rule: "FRD-VELOCITY",
      customer_id: customerId,
      score: 91,
      status: "open",
      case_id: null,
      reasons: [{ code: "structuring" }],
    });
    expect(await databaseCalls(requestId)).toEqual({ http: 1, websocket: 0 });

    expect((await api(`/api/v1/compliance/alerts/${fraud.id}`, { token: tenant.admin.token })).status).toBe(
      404,
    );
    const ownViewer = await addUser(own, "viewer");
    expect((await api("/api/v1/compliance/alerts", { token: ownViewer.token })).status).toBe(403);
  });
});

describe("cases", () => {
  it("open from alerts due 30 days after the earliest, take the alerts, and refuse an alert twice", async () => {
    const early = await raiseAlert(tenant);
    const late = await raiseAlert(tenant);
    const detected = new Date(Date.now() - 3 * DAY);
    await query(
      sql`update compliance_alerts set created_at = ${detected.toISOString()}::timestamptz where id = ${early.id}`,
    );
    const requestId = `case-${crypto.randomUUID()}`;
    const created = await api("/api/v1/compliance/cases", {
      token: analyst.token,
      headers: { "X-Request-Id": requestId },
      body: { title: "Velocity", alert_ids: [late.id, early.id], assignee_id: analyst.id },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    const kase = await created.json<CaseView>();
    expect(kase).toMatchObject({ status: "open", assignee_id: analyst.id, overdue: false });
    expect(new Date(kase.detected_at as string).getTime()).toBe(detected.getTime());
    expect(new Date(kase.due_at as string).getTime()).toBe(detected.getTime() + 30 * DAY);
    expect(kase.alerts.map((a) => [a.id, a.case_id])).toEqual([
      [early.id, kase.id],
      [late.id, kase.id],
    ]);

    const again = await api("/api/v1/compliance/cases", {
      token: analyst.token,
      body: { title: "Again", alert_ids: [early.id] },
    });
    expect(again.status).toBe(409);
    const unknown = await api("/api/v1/compliance/cases", {
      token: analyst.token,
      body: { title: "Unknown", alert_ids: [crypto.randomUUID()] },
    });
    expect(unknown.status).toBe(404);
    expect((await problemOf(unknown)).errors?.[0]?.pointer).toBe("/alert_ids/0");

    // A manual case: detected when opened.
    const manual = await openCase(analyst.token, { title: "Tip from a branch" });
    expect(new Date(manual.due_at as string).getTime()).toBeGreaterThan(Date.now() + 29 * DAY);

    // An alert raised earlier, added later, brings the deadline forward.
    const older = await raiseAlert(tenant);
    const olderAt = new Date(Date.now() - 10 * DAY);
    await query(
      sql`update compliance_alerts set created_at = ${olderAt.toISOString()}::timestamptz where id = ${older.id}`,
    );
    const added = await api(`/api/v1/compliance/cases/${kase.id}/alerts`, {
      token: analyst.token,
      body: { alert_ids: [older.id] },
    });
    expect(added.status, await added.clone().text()).toBe(200);
    const withOlder = await added.json<CaseView>();
    expect(new Date(withOlder.due_at as string).getTime()).toBe(olderAt.getTime() + 30 * DAY);
    expect(withOlder.alerts).toHaveLength(3);
  });

  it("move only along the lifecycle, close for sars:manage holders only, and close their alerts", async () => {
    const alert = await raiseAlert(tenant);
    const kase = await openCase(analyst.token, { alert_ids: [alert.id] });
    const skip = await patchCase(analyst.token, kase.id, { status: "escalated" });
    expect(skip.status).toBe(409);
    expect((await problemOf(skip)).detail).toContain("open to escalated");
    const requestId = `move-${crypto.randomUUID()}`;
    const moved = await api(`/api/v1/compliance/cases/${kase.id}`, {
      method: "PATCH",
      token: analyst.token,
      headers: { "X-Request-Id": requestId },
      body: { status: "investigating" },
    });
    expect(moved.status).toBe(200);
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    // Closing is the officer's decision, whichever way.
    expect((await patchCase(analyst.token, kase.id, { status: "closed_no_action" })).status).toBe(403);
    const sarFiled = await patchCase(officer.token, kase.id, { status: "closed_sar_filed" });
    expect(sarFiled.status).toBe(409);
    const closed = await patchCase(officer.token, kase.id, { status: "closed_no_action" });
    expect(closed.status, await closed.clone().text()).toBe(200);
    const view = await closed.json<CaseView>();
    expect(view.status).toBe("closed_no_action");
    expect(view.alerts.map((a) => a.status)).toEqual(["closed"]);
    expect((await patchCase(officer.token, kase.id, { status: "investigating" })).status).toBe(409);
    expect((await patchCase(officer.token, kase.id, { status: "closed_no_action" })).status).toBe(409);
    expect((await patchCase(analyst.token, kase.id, { title: "Renamed" })).status).toBe(409);
    const events = await query<{ action: string }>(
      sql`select action from audit_events where resource_id = ${kase.id} order by seq`,
    );
    expect(events.map((e) => e.action)).toEqual(["case.opened", "case.updated", "case.closed"]);
  });

  it("are assigned only to active users who hold cases:manage, checked again when written", async () => {
    const kase = await openCase(analyst.token);
    const toViewer = await patchCase(analyst.token, kase.id, { assignee_id: viewer.id });
    expect(toViewer.status).toBe(422);
    expect((await problemOf(toViewer)).errors?.[0]?.pointer).toBe("/assignee_id");
    const other = await createTenant("cases-other");
    expect((await patchCase(analyst.token, kase.id, { assignee_id: other.admin.id })).status).toBe(422);
    const assigned = await patchCase(analyst.token, kase.id, { assignee_id: officer.id });
    expect((await assigned.json<CaseView>()).assignee_id).toBe(officer.id);
    const colleague = await addUser(tenant, "analyst");
    await query(sql`update users set status = 'disabled' where id = ${colleague.id}`);
    expect((await patchCase(analyst.token, kase.id, { assignee_id: colleague.id })).status).toBe(422);
    const unassigned = await patchCase(analyst.token, kase.id, { assignee_id: null });
    expect((await unassigned.json<CaseView>()).assignee_id).toBeNull();
    // A member demoted below the tier loses the case routes at once.
    const demoted = await addUser(tenant, "analyst");
    await query(sql`update users set role = 'viewer' where id = ${demoted.id}`);
    expect((await patchCase(demoted.token, kase.id, { title: "Mine now" })).status).toBe(403);

    const mine = await api(`/api/v1/compliance/cases?assignee_id=${officer.id}`, { token: analyst.token });
    expect((await mine.json<{ items: CaseView[] }>()).items.map((c) => c.id)).not.toContain(kase.id);
  });

  it("keep append-only notes with their author, attachments in R2, and list overdue cases", async () => {
    const kase = await openCase(analyst.token);
    const requestId = `note-${crypto.randomUUID()}`;
    const note = await api(`/api/v1/compliance/cases/${kase.id}/notes`, {
      token: analyst.token,
      headers: { "X-Request-Id": requestId },
      body: { body: "Called the branch; the customer declined to explain the deposits." },
    });
    expect(note.status, await note.clone().text()).toBe(201);
    expect(await databaseCalls(requestId)).toEqual({ http: 1, websocket: 0 });
    expect(await note.json()).toMatchObject({ author_type: "user", author_id: analyst.id });
    const [grants] = await query<{ update: boolean; remove: boolean; insert: boolean }>(
      sql`select has_table_privilege('finedge_app', 'compliance_case_notes', 'UPDATE') as update,
                 has_table_privilege('finedge_app', 'compliance_case_notes', 'DELETE') as remove,
                 has_table_privilege('finedge_app', 'compliance_case_notes', 'INSERT') as insert`,
    );
    expect(grants).toEqual({ update: false, remove: false, insert: true });
    // Not even the tables' owner changes a note.
    await expect(
      query(sql`update compliance_case_notes set body = 'changed' where case_id = ${kase.id}`),
    ).rejects.toThrow();

    const bytes = new TextEncoder().encode("date,amount\n2026-01-02,9900.00\n");
    const content = btoa(String.fromCharCode(...bytes));
    const uploadId = `upload-${crypto.randomUUID()}`;
    const uploaded = await api(`/api/v1/compliance/cases/${kase.id}/attachments`, {
      token: analyst.token,
      headers: { "X-Request-Id": uploadId },
      body: { filename: "deposits.csv", content_type: "text/csv", content_base64: content },
    });
    expect(uploaded.status, await uploaded.clone().text()).toBe(201);
    expect(await databaseCalls(uploadId)).toEqual({ http: 2, websocket: 0 });
    const attachment = await uploaded.json<{ id: string; size_bytes: number; sha256: string }>();
    expect(attachment.size_bytes).toBe(bytes.byteLength);
    const listed = await api(`/api/v1/compliance/cases/${kase.id}/attachments`, { token: analyst.token });
    expect((await listed.json<{ items: Array<{ id: string }> }>()).items.map((a) => a.id)).toEqual([
      attachment.id,
    ]);
    const download = await api(`/api/v1/compliance/cases/${kase.id}/attachments/${attachment.id}`, {
      token: analyst.token,
    });
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("text/csv");
    expect(download.headers.get("content-disposition")).toContain("deposits.csv");
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);

    for (const body of [
      { filename: "run.html", content_type: "text/html", content_base64: content },
      { filename: "../x.csv", content_type: "text/csv", content_base64: content },
      { filename: "x.csv", content_type: "text/csv", content_base64: "not base64!" },
      { filename: "big.pdf", content_type: "application/pdf", content_base64: "A".repeat(1_500_000) },
    ]) {
      const refused = await api(`/api/v1/compliance/cases/${kase.id}/attachments`, {
        token: analyst.token,
        body,
      });
      expect(refused.status, body.filename).toBe(422);
    }

    const detail = await api(`/api/v1/compliance/cases/${kase.id}`, { token: analyst.token });
    const view = await detail.json<CaseView>();
    expect(view.notes.map((n) => n.author_id)).toEqual([analyst.id]);
    expect(view.attachments.map((a) => a.id)).toEqual([attachment.id]);

    await query(sql`update compliance_cases set due_at = now() - interval '1 day' where id = ${kase.id}`);
    const overdue = await api("/api/v1/compliance/cases?overdue=true", { token: analyst.token });
    const items = (await overdue.json<{ items: CaseView[] }>()).items;
    expect(items.map((c) => c.id)).toContain(kase.id);
    expect(items.every((c) => c.overdue)).toBe(true);
  });
});

describe("SARs", () => {
  it("are drafted from a case with its subjects, transactions and totals, and exported as JSON and CSV", async () => {
    const org = await addOrganization(tenant);
    const { transaction, portfolio } = await seedPortfolio(tenant, org);
    const customer = await api("/api/v1/customers", {
      token: tenant.admin.token,
      body: {
        kind: "person",
        country: "US",
        identity: {
          name: "Sam Q. Example",
          date_of_birth: "1980-05-01",
          national_id: "123-45-6789",
          address: {
            line1: "1 Main St",
            city: "Springfield",
            region: "IL",
            postal_code: "62701",
            country: "US",
          },
        },
      },
    });
    const { id: customerId } = await customer.json<{ id: string }>();
    const alert = await raiseAlert(tenant, {
      kind: "fraud",
      customerId,
      portfolioId: portfolio.id,
      transactionIds: [transaction.id],
    });
    const kase = await openCase(analyst.token, { alert_ids: [alert.id] });
    await moveTo(kase.id, "investigating", "escalated");
    const requestId = `sar-${crypto.randomUUID()}`;
    const drafted = await api(`/api/v1/compliance/cases/${kase.id}/sar`, {
      token: tenant.admin.token,
      headers: { "X-Request-Id": requestId },
      body: { narrative: 'Rapid buy after a deposit, "layering", then silence.' },
    });
    expect(drafted.status, await drafted.clone().text()).toBe(201);
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    const sar = await drafted.json<SarView>();
    expect(sar).toMatchObject({
      status: "draft",
      subject_ids: [customerId],
      transaction_ids: [transaction.id],
      amounts: [{ currency: "USD", total: "10.00", transactions: 1 }],
      prepared_by: tenant.admin.id,
      approved_by: null,
    });
    const again = await api(`/api/v1/compliance/cases/${kase.id}/sar`, {
      token: officer.token,
      body: { narrative: "Twice." },
    });
    expect(again.status).toBe(409);
    const badWindow = await api(`/api/v1/compliance/cases/${(await openCase(analyst.token)).id}/sar`, {
      token: officer.token,
      body: { narrative: "x", activity_from: "2026-02-01T00:00:00Z", activity_to: "2026-01-01T00:00:00Z" },
    });
    expect(badWindow.status).toBe(422);

    const json = await api(`/api/v1/compliance/cases/${kase.id}/sar/export`, { token: officer.token });
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({
      sar: { id: sar.id },
      subjects: [{ id: customerId, identity: { name: "Sam Q. Example" } }],
    });
    const csv = await api(`/api/v1/compliance/cases/${kase.id}/sar/export?format=csv`, {
      token: officer.token,
    });
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const [header, line] = (await csv.text()).trim().split("\r\n");
    expect(header?.split(",").slice(0, 6)).toEqual([
      "filing_type",
      "bsa_id",
      "filer_name",
      "subject_type",
      "subject_name",
      "subject_tin",
    ]);
    expect(line).toContain(
      "individual,Sam Q. Example,123-45-6789,1980-05-01,1 Main St,Springfield,IL,62701,US",
    );
    expect(line).toContain(",10.00,USD,1,");
    expect(line).toContain('"Rapid buy after a deposit, ""layering"", then silence."');
  });

  it("need four eyes: the preparer cannot approve, and a case closes with a SAR only once it is filed", async () => {
    const alert = await raiseAlert(tenant);
    const kase = await openCase(analyst.token, { alert_ids: [alert.id] });
    await moveTo(kase.id, "investigating", "escalated");
    const sarPath = `/api/v1/compliance/cases/${kase.id}/sar`;
    expect((await api(sarPath, { token: officer.token, body: { narrative: "Draft." } })).status).toBe(201);
    const early = await api(`${sarPath}/file`, { token: officer.token, body: {} });
    expect(early.status).toBe(409);
    const own = await api(`${sarPath}/approve`, { method: "POST", token: officer.token });
    expect(own.status).toBe(403);
    expect((await problemOf(own)).code).toBe("four_eyes");
    expect((await patchCase(officer.token, kase.id, { status: "closed_sar_filed" })).status).toBe(409);
    expect((await patchCase(officer.token, kase.id, { status: "closed_no_action" })).status).toBe(409);
    const edited = await api(sarPath, {
      method: "PATCH",
      token: officer.token,
      body: { narrative: "Better." },
    });
    expect(edited.status).toBe(200);
    const approved = await api(`${sarPath}/approve`, { method: "POST", token: tenant.admin.token });
    expect(approved.status, await approved.clone().text()).toBe(200);
    expect(await approved.json()).toMatchObject({ status: "approved", approved_by: tenant.admin.id });
    expect(
      (await api(sarPath, { method: "PATCH", token: officer.token, body: { narrative: "Late edit." } }))
        .status,
    ).toBe(409);
    const filed = await api(`${sarPath}/file`, {
      token: officer.token,
      body: { filing_reference: "31000123456789" },
    });
    expect(filed.status).toBe(200);
    expect(await filed.json()).toMatchObject({
      status: "filed",
      filing_reference: "31000123456789",
      late: false,
    });
    const closed = await patchCase(officer.token, kase.id, { status: "closed_sar_filed" });
    expect(closed.status, await closed.clone().text()).toBe(200);
    expect((await closed.json<CaseView>()).alerts.map((a) => a.status)).toEqual(["closed"]);
    // The database refuses what the Worker refuses.
    await expect(
      query(sql`update compliance_sars set approved_by = prepared_by where case_id = ${kase.id}`),
    ).rejects.toThrow();
    const actions = await query<{ action: string }>(
      sql`select action from audit_events where tenant_id = ${tenant.id} and resource_type = 'sar'
            and resource_id = (select id::text from compliance_sars where case_id = ${kase.id}) order by seq`,
    );
    expect(actions.map((a) => a.action)).toEqual(["sar.drafted", "sar.updated", "sar.approved", "sar.filed"]);
  });

  it("stay unknown to a caller without a SAR permission: status, filters and refusals say nothing", async () => {
    const { kase: withSar } = await caseWithFiledSar(tenant, officer.token, tenant.admin.token);
    expect((await patchCase(officer.token, withSar.id, { status: "closed_sar_filed" })).status).toBe(200);
    const withoutSar = await openCase(analyst.token);
    await moveTo(withoutSar.id, "investigating");
    expect((await patchCase(officer.token, withoutSar.id, { status: "closed_no_action" })).status).toBe(200);
    const drafting = await openCase(analyst.token);
    await moveTo(drafting.id, "investigating", "escalated");
    expect(
      (
        await api(`/api/v1/compliance/cases/${drafting.id}/sar`, {
          token: officer.token,
          body: { narrative: "d" },
        })
      ).status,
    ).toBe(201);
    const plain = await openCase(analyst.token);
    await moveTo(plain.id, "investigating", "escalated");

    // The analyst sees both closed cases alike, and the escalated ones alike.
    const views = await Promise.all(
      [withSar, withoutSar, drafting, plain].map(async (k) =>
        (await api(`/api/v1/compliance/cases/${k.id}`, { token: analyst.token })).json<
          CaseView & { version: number }
        >(),
      ),
    );
    expect(views.map((v) => v.status)).toEqual(["closed", "closed", "escalated", "escalated"]);
    expect(Object.keys(views[0] as object).sort()).toEqual(Object.keys(views[1] as object).sort());
    expect(views[2]?.version).toBe(views[3]?.version);
    const closedList = await api("/api/v1/compliance/cases?status=closed", { token: analyst.token });
    const closedIds = (await closedList.json<{ items: CaseView[] }>()).items.map((c) => c.id);
    expect(closedIds).toEqual(expect.arrayContaining([withSar.id, withoutSar.id]));
    expect(
      (await api("/api/v1/compliance/cases?status=closed_sar_filed", { token: analyst.token })).status,
    ).toBe(403);
    expect(
      (await api("/api/v1/compliance/cases?status=closed_no_action", { token: analyst.token })).status,
    ).toBe(403);

    // Every SAR route and every close answers the analyst the same way, SAR or not.
    for (const k of [drafting, plain]) {
      const answers = await Promise.all([
        api(`/api/v1/compliance/cases/${k.id}/sar`, { token: analyst.token }),
        api(`/api/v1/compliance/cases/${k.id}/sar/export`, { token: analyst.token }),
        api(`/api/v1/compliance/cases/${k.id}/sar`, { token: analyst.token, body: { narrative: "x" } }),
        patchCase(analyst.token, k.id, { status: "closed_no_action" }),
        patchCase(analyst.token, k.id, { status: "closed_sar_filed" }),
      ]);
      expect(answers.map((a) => a.status)).toEqual([403, 403, 403, 403, 403]);
      const details = await Promise.all(answers.map(async (a) => (await problemOf(a)).detail));
      expect(details.join("|")).not.toMatch(/SAR is|has a SAR/);
    }
    // An officer sees how they closed.
    const officerView = await api(`/api/v1/compliance/cases/${withSar.id}`, { token: officer.token });
    expect((await officerView.json<CaseView>()).status).toBe("closed_sar_filed");
  });

  it("keeps tenants apart", async () => {
    const { kase } = await caseWithFiledSar(tenant, officer.token, tenant.admin.token);
    const other = await createTenant("cases-foreign");
    for (const path of [
      `/api/v1/compliance/cases/${kase.id}`,
      `/api/v1/compliance/cases/${kase.id}/sar`,
      `/api/v1/compliance/cases/${kase.id}/sar/export`,
      `/api/v1/compliance/cases/${kase.id}/attachments`,
    ]) {
      expect((await api(path, { token: other.admin.token })).status, path).toBe(404);
    }
    expect((await patchCase(other.admin.token, kase.id, { title: "Mine" })).status).toBe(404);
    const note = await api(`/api/v1/compliance/cases/${kase.id}/notes`, {
      token: other.admin.token,
      body: { body: "x" },
    });
    expect(note.status).toBe(404);
    const list = await api("/api/v1/compliance/cases", { token: other.admin.token });
    expect((await list.json<{ items: unknown[] }>()).items).toEqual([]);
  });
});

describe("reports of suspected fraud", () => {
  it("raise an alert and open a case for what the reporter can see, without giving the reporter cases", async () => {
    const own = await createTenant("report");
    const desk = await addOrganization(own);
    const elsewhere = await addOrganization(own);
    const { portfolio, transaction } = await seedPortfolio(own, desk);
    const { portfolio: hidden } = await seedPortfolio(own, elsewhere);
    const reporter = await addUser(own, "viewer", [{ organizationId: desk.id, role: "viewer" }]);
    const requestId = `report-${crypto.randomUUID()}`;
    const reported = await api("/api/v1/security/report-fraud", {
      token: reporter.token,
      headers: { "X-Request-Id": requestId },
      body: {
        subject: { type: "transaction", id: transaction.id },
        category: "unauthorized_transaction",
        description: "The client says they never bought this.",
      },
    });
    expect(reported.status, await reported.clone().text()).toBe(201);
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    const { id } = await reported.json<{ id: string }>();
    expect(
      Object.keys(await (await api(`/api/v1/compliance/alerts/${id}`, { token: own.admin.token })).json()),
    ).toContain("case_id");
    const alert = await (await api(`/api/v1/compliance/alerts/${id}`, { token: own.admin.token })).json<{
      kind: string;
      case_id: string;
      portfolio_id: string;
      transaction_ids: string[];
      reasons: Array<{ code: string; detail: string }>;
    }>();
    expect(alert).toMatchObject({
      kind: "report",
      portfolio_id: portfolio.id,
      transaction_ids: [transaction.id],
      reasons: [{ code: "unauthorized_transaction", detail: "The client says they never bought this." }],
    });
    const kase = await (
      await api(`/api/v1/compliance/cases/${alert.case_id}`, { token: own.admin.token })
    ).json<CaseView>();
    expect(kase).toMatchObject({ status: "open", alerts: [{ id, case_id: alert.case_id }] });
    expect(new Date(kase.due_at as string).getTime() - new Date(kase.detected_at as string).getTime()).toBe(
      30 * DAY,
    );

    // The reporter does not thereby see cases or alerts.
    for (const path of [
      "/api/v1/compliance/cases",
      `/api/v1/compliance/cases/${alert.case_id}`,
      `/api/v1/compliance/alerts/${id}`,
    ]) {
      expect((await api(path, { token: reporter.token })).status, path).toBe(403);
    }
    // What the reporter cannot see cannot be reported: 404 as if it did not exist.
    const customer = await api("/api/v1/customers", {
      token: own.admin.token,
      body: { kind: "entity", country: "FR", identity: { name: "Signalée SARL" } },
    });
    const { id: customerId } = await customer.json<{ id: string }>();
    for (const subject of [
      { type: "portfolio", id: hidden.id },
      { type: "customer", id: customerId },
      { type: "transaction", id: crypto.randomUUID() },
    ]) {
      const refused = await api("/api/v1/security/report-fraud", {
        token: reporter.token,
        body: { subject, category: "scam", description: "Looks wrong." },
      });
      expect(refused.status, subject.type).toBe(404);
    }
    const byAnalyst = await api("/api/v1/security/report-fraud", {
      token: (await addUser(own, "analyst")).token,
      body: {
        subject: { type: "customer", id: customerId },
        category: "identity_theft",
        description: "Forged ID.",
      },
    });
    expect(byAnalyst.status).toBe(201);
    const foreign = await api("/api/v1/security/report-fraud", {
      token: tenant.admin.token,
      body: { subject: { type: "portfolio", id: portfolio.id }, category: "scam", description: "Elsewhere." },
    });
    expect(foreign.status).toBe(404);
  });
});

describe("compliance oversight", () => {
  it("counts alerts, cases and SARs for a period with their ageing, in one call", async () => {
    const own = await createTenant("oversight");
    const second = await addUser(own, "org_admin");
    const old = await raiseAlert(own, { kind: "fraud" });
    await query(
      sql`update compliance_alerts set created_at = now() - interval '40 days' where id = ${old.id}`,
    );
    await raiseAlert(own, { kind: "fraud" });
    const fresh = await raiseAlert(own);
    const { kase } = await caseWithFiledSar(own, own.admin.token, second.token);
    expect((await patchCase(own.admin.token, kase.id, { status: "closed_sar_filed" })).status).toBe(200);
    const open = await openCase(own.admin.token, { alert_ids: [fresh.id] });
    await query(sql`update compliance_cases set created_at = now() - interval '10 days', due_at = now() - interval '1 day'
                    where id = ${open.id}`);
    // Two CTRs: one filed on time, one open past its deadline.
    const holder = await api("/api/v1/customers", {
      token: own.admin.token,
      body: { kind: "entity", country: "US", identity: { name: "Cash Counted LLC" } },
    });
    const holderId = (await holder.json<{ id: string }>()).id;
    await query(sql`insert into currency_transaction_reports (tenant_id, customer_id, business_day, direction, currency,
        total, source, status, due_on, created_by_type, created_by, filed_at, filed_by)
      values (${own.id}, ${holderId}, current_date - 3, 'in', 'USD', 12000, 'automatic', 'filed', current_date + 12,
              'system', 'ctr', now(), 'someone'),
             (${own.id}, ${holderId}, current_date - 20, 'out', 'USD', 15000, 'manual', 'open', current_date - 5,
              'user', 'someone', null, null)`);
    const requestId = `report-${crypto.randomUUID()}`;
    const response = await api("/api/v1/compliance/reports", {
      token: second.token,
      headers: { "X-Request-Id": requestId },
    });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await databaseCalls(requestId)).toEqual({ http: 1, websocket: 0 });
    expect(await response.json()).toMatchObject({
      alerts: {
        raised: 3,
        raised_by_kind: { fraud: 1, monitoring: 2 },
        // The 40-day-old alert and the two fresh ones; the filed case's alert closed with it.
        open: 3,
        open_without_case: 2,
        open_ageing: { age_0_7: 2, age_8_30: 0, age_over_30: 1 },
      },
      cases: {
        opened: 2,
        closed_no_action: 0,
        closed_sar_filed: 1,
        open: 1,
        overdue: 1,
        open_ageing: { age_0_7: 0, age_8_30: 1, age_over_30: 0 },
      },
      sars: { drafted: 1, approved: 1, filed: 1, filed_late: 0, unfiled: 0 },
      ctrs: { created: 2, automatic: 1, filed: 1, filed_late: 0, open: 1, open_overdue: 1 },
    });
    const earlier = await api(
      `/api/v1/compliance/reports?from=${new Date(Date.now() - 60 * DAY).toISOString()}&to=${new Date(Date.now() - 35 * DAY).toISOString()}`,
      { token: second.token },
    );
    expect(await earlier.json()).toMatchObject({
      alerts: { raised: 1, raised_by_kind: { fraud: 1 } },
      cases: { opened: 0 },
    });
    expect(
      (
        await api("/api/v1/compliance/reports?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", {
          token: second.token,
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await api("/api/v1/compliance/reports?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", {
          token: second.token,
        })
      ).status,
    ).toBe(400);
    expect(
      (await api("/api/v1/compliance/reports", { token: (await addUser(own, "analyst")).token })).status,
    ).toBe(403);
  });

  it("shows examiners the compliance trail only, filtered, in one call", async () => {
    const own = await createTenant("examined");
    const second = await addUser(own, "org_admin");
    const { kase } = await caseWithFiledSar(own, own.admin.token, second.token);
    await addOrganization(own);
    const requestId = `trail-${crypto.randomUUID()}`;
    const all = await api("/api/v1/compliance/audit-logs", {
      token: second.token,
      headers: { "X-Request-Id": requestId },
    });
    expect(all.status).toBe(200);
    expect(await databaseCalls(requestId)).toEqual({ http: 1, websocket: 0 });
    const actions = (await all.json<{ items: Array<{ action: string }> }>()).items.map((e) => e.action);
    expect(actions).toEqual([
      "sar.filed",
      "sar.approved",
      "sar.drafted",
      "case.updated",
      "case.updated",
      "case.opened",
    ]);
    const sarOnly = await api("/api/v1/compliance/audit-logs?resource_type=sar&action=sar.approved", {
      token: second.token,
    });
    expect(
      (await sarOnly.json<{ items: Array<{ actor_id: string }> }>()).items.map((e) => e.actor_id),
    ).toEqual([second.id]);
    const byActor = await api(
      `/api/v1/compliance/audit-logs?actor_id=${own.admin.id}&resource_type=compliance_case`,
      {
        token: second.token,
      },
    );
    const mine = (await byActor.json<{ items: Array<{ resource_id: string }> }>()).items;
    expect(mine.length).toBe(3);
    expect(mine.every((e) => e.resource_id === kase.id)).toBe(true);
    const future = await api(
      `/api/v1/compliance/audit-logs?from=${new Date(Date.now() + DAY).toISOString()}`,
      {
        token: second.token,
      },
    );
    expect((await future.json<{ items: unknown[] }>()).items).toEqual([]);
    expect(
      (await api("/api/v1/compliance/audit-logs?resource_type=organization", { token: second.token })).status,
    ).toBe(400);
    expect(
      (await api("/api/v1/compliance/audit-logs", { token: (await addUser(own, "analyst")).token })).status,
    ).toBe(403);
  });
});
