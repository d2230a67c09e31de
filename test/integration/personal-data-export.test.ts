import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api, loginUser, PASSWORD } from "./auth-helpers";
import { databaseCalls, problemOf } from "./helpers";
import { addUser, createTenant, query, stepUpMember } from "./tenancy-fixtures";

type Exported = {
  export_id: string;
  download_url: string;
  expires_at: string;
  bytes: number;
  sha256: string;
};

const download = (url: string) => {
  const { pathname, search } = new URL(url);
  return api(`${pathname}${search}`);
};

describe("personal data export", () => {
  it("gives a user their own data behind a short-lived signed link, in two round trips", async () => {
    const tenant = await createTenant("export");
    const member = await addUser(tenant, "analyst");
    await stepUpMember(member);
    const login = await loginUser(member.email, PASSWORD, { "user-agent": "ExportTest/1.0" });
    expect(login.status).toBe(200);
    const token = login.body.access_token as string;

    const requestId = `export-${crypto.randomUUID()}`;
    const response = await api("/api/v1/auth/me/export", {
      method: "POST",
      token,
      headers: { "x-request-id": requestId },
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const exported = await response.json<Exported>();
    expect(new Date(exported.expires_at).getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });

    const file = await download(exported.download_url);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-disposition")).toContain("attachment");
    const text = await file.text();
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    expect(Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")).toBe(
      exported.sha256,
    );
    const body = JSON.parse(text);
    expect(body.profile).toMatchObject({ id: member.id, email: member.email });
    expect(body.sessions.length).toBeGreaterThan(0);
    expect(body.sessions[0].userAgent).toBe("ExportTest/1.0");
    expect(body.security_events.map((e: { type: string }) => e.type)).toContain("login_success");
    expect(body).toHaveProperty("memberships");
    expect(body).toHaveProperty("audit_events");

    const [event] = await query<{ actor_id: string; resource_id: string }>(
      sql`select actor_id, resource_id from audit_events where tenant_id = ${tenant.id}
          and action = 'personal_data.exported'`,
    );
    expect(event).toEqual({ actor_id: member.id, resource_id: member.id });

    // A forged or altered link is refused without saying why.
    const url = new URL(exported.download_url);
    // A character inside the MAC: the last one of base64url may carry only padding bits, which decode alike.
    const link = url.searchParams.get("token") ?? "";
    const at = link.length - 10;
    const forged = `${link.slice(0, at)}${link[at] === "A" ? "B" : "A"}${link.slice(at + 1)}`;
    const refused = await api(`${url.pathname}?token=${encodeURIComponent(forged)}`);
    expect(refused.status).toBe(403);
    expect((await problemOf(refused)).code).toBe("forbidden");
    expect((await api(`${url.pathname}?token=a.b.c`)).status).toBe(403);
  });

  it("lets a tenant admin export a member's data on a request, and nobody else", async () => {
    const tenant = await createTenant("export");
    const member = await addUser(tenant, "viewer");
    const analyst = await addUser(tenant, "analyst");
    const path = `/api/v1/users/${member.id}/export`;
    const body = { request_reference: "DSR-2031-0042" };

    const refused = await api(path, { token: analyst.token, body });
    expect(refused.status).toBe(403);
    const missing = await api(`/api/v1/users/${crypto.randomUUID()}/export`, {
      token: tenant.admin.token,
      body,
    });
    expect(missing.status).toBe(404);
    const invalid = await api(path, { token: tenant.admin.token, body: {} });
    expect(invalid.status).toBe(422);

    const response = await api(path, { token: tenant.admin.token, body });
    expect(response.status).toBe(201);
    const file = await download((await response.json<Exported>()).download_url);
    expect((await file.json<{ profile: { email: string } }>()).profile.email).toBe(member.email);
    const [event] = await query<{ actor_id: string; summary: { after: { reference: string } } }>(
      sql`select actor_id, summary from audit_events where tenant_id = ${tenant.id}
          and action = 'personal_data.exported' and resource_id = ${member.id}`,
    );
    expect(event?.actor_id).toBe(tenant.admin.id);
    expect(event?.summary.after.reference).toBe("DSR-2031-0042");
  });
});
