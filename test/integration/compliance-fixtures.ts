/** Compliance fixtures: alerts raised the way other features raise them (the repository's INSERT statement). */
import { alertInsert, type NewAlert } from "../../src/db/repositories/alerts.repository";
import { api } from "./auth-helpers";
import { platformDatabase, type TenantFixture } from "./tenancy-fixtures";

/** Raises an alert in the tenant with `alertInsert`, as a fraud check or monitoring scenario would. */
export async function raiseAlert(
  tenant: { id: string },
  fields: Partial<Omit<NewAlert, "tenantId">> = {},
): Promise<{ id: string; createdAt: Date }> {
  const handle = platformDatabase();
  try {
    const [row] = await alertInsert(handle.db, {
      tenantId: tenant.id,
      kind: "monitoring",
      rule: "MON-STRUCTURING",
      score: 70,
      reasons: [{ code: "structuring", detail: "Nine deposits just under the reporting threshold" }],
      ...fields,
    });
    if (!row) throw new Error("alert insert returned nothing");
    return { id: row.id, createdAt: row.createdAt };
  } finally {
    await handle.close();
  }
}

/** Opens a case through the API from the given alerts. */
export async function openCase(
  token: string,
  body: { title?: string; alert_ids?: string[]; assignee_id?: string | null } = {},
): Promise<{ id: string; status: string; due_at: string | null }> {
  const response = await api("/api/v1/compliance/cases", {
    token,
    body: { title: body.title ?? "Structured deposits", ...body },
  });
  if (response.status !== 201) throw new Error(`case: ${response.status} ${await response.text()}`);
  return response.json();
}

/** A case of the tenant with a SAR drafted by `preparer`, approved by `approver` and filed. */
export async function caseWithFiledSar(tenant: TenantFixture, preparer: string, approver: string) {
  const alert = await raiseAlert(tenant);
  const kase = await openCase(tenant.admin.token, { alert_ids: [alert.id] });
  for (const status of ["investigating", "escalated"]) {
    const moved = await api(`/api/v1/compliance/cases/${kase.id}`, {
      method: "PATCH",
      token: tenant.admin.token,
      body: { status },
    });
    if (moved.status !== 200) throw new Error(`move: ${moved.status} ${await moved.text()}`);
  }
  const steps: Array<[string, string, unknown, string]> = [
    [
      `/api/v1/compliance/cases/${kase.id}/sar`,
      "POST",
      { narrative: "Structuring below the threshold." },
      preparer,
    ],
    [`/api/v1/compliance/cases/${kase.id}/sar/approve`, "POST", undefined, approver],
    [
      `/api/v1/compliance/cases/${kase.id}/sar/file`,
      "POST",
      { filing_reference: "31000123456789" },
      approver,
    ],
  ];
  for (const [path, method, body, token] of steps) {
    const response = await api(path, { method, token, ...(body === undefined ? {} : { body }) });
    if (response.status >= 300) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  }
  return { alert, kase };
}

/**
 * An alert (naming `transactionIds`) in a case with a note, an attachment and a drafted SAR: a row in every
 * compliance table.
 */
export async function seedCompliance(
  tenant: { id: string; admin: { token: string } },
  transactionIds: string[] = [],
) {
  const alert = await raiseAlert(tenant, { transactionIds });
  const kase = await openCase(tenant.admin.token, { alert_ids: [alert.id] });
  const path = `/api/v1/compliance/cases/${kase.id}`;
  const note = await api(`${path}/notes`, { token: tenant.admin.token, body: { body: "Seeded note." } });
  const attached = await api(`${path}/attachments`, {
    token: tenant.admin.token,
    body: { filename: "evidence.txt", content_type: "text/plain", content_base64: btoa("evidence") },
  });
  const sar = await api(`${path}/sar`, { token: tenant.admin.token, body: { narrative: "Seeded SAR." } });
  for (const response of [note, attached, sar]) {
    if (response.status !== 201)
      throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  }
  return { alertId: alert.id, caseId: kase.id, attachmentId: (await attached.json<{ id: string }>()).id };
}
