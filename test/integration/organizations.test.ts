import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { problemOf } from "./helpers";
import {
  addOrganization,
  addUser,
  createApiKey,
  createTenant,
  type Member,
  query,
  type TenantFixture,
} from "./tenancy-fixtures";

interface Organization {
  id: string;
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}
interface MemberView {
  user_id: string;
  email: string;
  display_name: string | null;
  role: string;
  joined_at: string;
}
interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
interface AuditEvent {
  action: string;
  actor_id: string;
  resource_type: string;
  resource_id: string | null;
  summary: { before?: Record<string, unknown>; after?: Record<string, unknown> };
}

/** The tenant's audit trail, newest first, as its admin reads it. */
async function trail(tenant: TenantFixture): Promise<AuditEvent[]> {
  const response = await api("/api/v1/audit-events?limit=100", { token: tenant.admin.token });
  expect(response.status).toBe(200);
  return (await response.json<Page<AuditEvent>>()).items;
}

async function createOrganization(tenant: TenantFixture, body: Record<string, unknown>) {
  const response = await api("/api/v1/organizations", { token: tenant.admin.token, body });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json<Organization>();
}

const orgPath = (id: string, rest = "") => `/api/v1/organizations/${id}${rest}`;

describe("organizations", () => {
  it("are created, read, renamed and deleted by the tenant admin, each change in the audit trail", async () => {
    const tenant = await createTenant("orgs");
    const created = await createOrganization(tenant, { name: "  Rates desk ", description: "G10 rates" });
    expect(created).toMatchObject({ name: "Rates desk", description: "G10 rates" });

    const read = await api(orgPath(created.id), { token: tenant.admin.token });
    expect(read.status).toBe(200);
    expect(await read.json<Organization>()).toEqual(created);

    const renamed = await api(orgPath(created.id), {
      method: "PATCH",
      token: tenant.admin.token,
      body: { name: "Rates and FX", description: null },
    });
    expect(renamed.status).toBe(200);
    expect(await renamed.json<Organization>()).toMatchObject({ name: "Rates and FX", description: null });

    const member = await addUser(tenant, "viewer", [{ organizationId: created.id, role: "viewer" }]);
    const deleted = await api(orgPath(created.id), { method: "DELETE", token: tenant.admin.token });
    expect(deleted.status).toBe(204);
    expect((await api(orgPath(created.id), { token: tenant.admin.token })).status).toBe(404);
    // Memberships went with it.
    const left = await query(sql`select 1 from memberships where user_id = ${member.id}`);
    expect(left).toHaveLength(0);

    const events = (await trail(tenant)).filter((e) => e.resource_id === created.id);
    expect(events.map((e) => e.action)).toEqual([
      "organization.deleted",
      "organization.updated",
      "organization.created",
    ]);
    expect(events.every((e) => e.actor_id === tenant.admin.id && e.resource_type === "organization")).toBe(
      true,
    );
    expect(events[1]?.summary).toEqual({
      before: { name: "Rates desk", description: "G10 rates" },
      after: { name: "Rates and FX", description: null },
    });
  });

  it("refuses a duplicate name, ignoring case, on creation and on rename", async () => {
    const tenant = await createTenant("orgs");
    await createOrganization(tenant, { name: "Equities" });
    const dup = await api("/api/v1/organizations", { token: tenant.admin.token, body: { name: "EQUITIES" } });
    expect(dup.status).toBe(409);
    expect((await problemOf(dup)).code).toBe("conflict");

    const other = await createOrganization(tenant, { name: "Credit" });
    const rename = await api(orgPath(other.id), {
      method: "PATCH",
      token: tenant.admin.token,
      body: { name: "equities" },
    });
    expect(rename.status).toBe(409);

    // Another tenant may use the same name.
    await createOrganization(await createTenant("orgs"), { name: "Equities" });
  });

  it("lists what the caller can see, filtered by name and paged by cursor", async () => {
    const tenant = await createTenant("orgs");
    const theirs = await createTenant("orgs");
    const a = await createOrganization(tenant, { name: "Alpha 50%" });
    const b = await createOrganization(tenant, { name: "Beta" });
    const c = await createOrganization(tenant, { name: "alphabet" });
    await createOrganization(theirs, { name: "Alpha elsewhere" });

    const first = await api("/api/v1/organizations?limit=2", { token: tenant.admin.token });
    const page1 = await first.json<Page<Organization>>();
    expect(page1.items.map((o) => o.id)).toEqual([c.id, b.id]);
    expect(page1.next_cursor).not.toBeNull();
    const second = await api(`/api/v1/organizations?limit=2&cursor=${page1.next_cursor}`, {
      token: tenant.admin.token,
    });
    const page2 = await second.json<Page<Organization>>();
    expect(page2).toEqual({ items: [expect.objectContaining({ id: a.id })], next_cursor: null });

    const named = await api("/api/v1/organizations?q=ALPHA", { token: tenant.admin.token });
    expect((await named.json<Page<Organization>>()).items.map((o) => o.id)).toEqual([c.id, a.id]);
    // LIKE wildcards in the search are literal.
    const literal = await api("/api/v1/organizations?q=50%25", { token: tenant.admin.token });
    expect((await literal.json<Page<Organization>>()).items.map((o) => o.id)).toEqual([a.id]);
    const wildcard = await api("/api/v1/organizations?q=_", { token: tenant.admin.token });
    expect((await wildcard.json<Page<Organization>>()).items).toEqual([]);

    const analyst = await addUser(tenant, "analyst", [{ organizationId: b.id, role: "analyst" }]);
    const mine = await api("/api/v1/organizations", { token: analyst.token });
    expect((await mine.json<Page<Organization>>()).items.map((o) => o.id)).toEqual([b.id]);
    const loner = await addUser(tenant, "viewer");
    const none = await api("/api/v1/organizations", { token: loner.token });
    expect(await none.json()).toEqual({ items: [], next_cursor: null });

    expect((await api("/api/v1/organizations?cursor=nonsense", { token: tenant.admin.token })).status).toBe(
      400,
    );
  });

  it("answers 404 for another tenant's organization on every route, and for a non-member", async () => {
    const mine = await createTenant("orgs");
    const theirs = await createTenant("orgs");
    const foreign = await addOrganization(theirs);
    const foreignUser = await addUser(theirs, "analyst", [{ organizationId: foreign.id, role: "org_admin" }]);
    const token = mine.admin.token;
    const attempts: Array<[string, { method?: string; body?: unknown }]> = [
      [orgPath(foreign.id), {}],
      [orgPath(foreign.id), { method: "PATCH", body: { name: "taken over" } }],
      [orgPath(foreign.id), { method: "DELETE" }],
      [orgPath(foreign.id, "/members"), {}],
      [orgPath(foreign.id, "/members"), { body: { user_id: mine.admin.id, role: "viewer" } }],
      [orgPath(foreign.id, `/members/${foreignUser.id}`), { method: "PATCH", body: { role: "viewer" } }],
      [orgPath(foreign.id, `/members/${foreignUser.id}`), { method: "DELETE" }],
    ];
    for (const [path, init] of attempts) {
      const response = await api(path, { ...init, token });
      expect(response.status, `${init.method ?? "GET"} ${path}`).toBe(404);
      expect((await problemOf(response)).code).toBe("not_found");
    }
    const [row] = await query<{ name: string; members: number }>(
      sql`select name, (select count(*)::int from memberships where organization_id = ${foreign.id}) as members
            from organizations where id = ${foreign.id}`,
    );
    expect(row).toEqual({ name: foreign.name, members: 1 });

    const org = await addOrganization(mine);
    const outsider = await addUser(mine, "analyst");
    const hidden = await api(orgPath(org.id), { token: outsider.token });
    expect(hidden.status).toBe(404);
    expect((await api(orgPath(org.id, "/members"), { token: outsider.token })).status).toBe(404);
  });

  it("lets a viewer member read but not change the organization (403)", async () => {
    const tenant = await createTenant("orgs");
    const org = await addOrganization(tenant);
    const viewer = await addUser(tenant, "viewer", [{ organizationId: org.id, role: "viewer" }]);
    expect((await api(orgPath(org.id), { token: viewer.token })).status).toBe(200);
    const patch = await api(orgPath(org.id), {
      method: "PATCH",
      token: viewer.token,
      body: { name: "mine" },
    });
    expect(patch.status).toBe(403);
    expect((await problemOf(patch)).code).toBe("forbidden");
    const add = await api(orgPath(org.id, "/members"), {
      token: viewer.token,
      body: { user_id: viewer.id, role: "org_admin" },
    });
    expect(add.status).toBe(403);
    const create = await api("/api/v1/organizations", { token: viewer.token, body: { name: "x" } });
    expect(create.status).toBe(403);
    const remove = await api(orgPath(org.id), { method: "DELETE", token: viewer.token });
    expect(remove.status).toBe(403);
  });

  it("refuses deletion while a live API key is confined to the organization", async () => {
    const tenant = await createTenant("orgs");
    const org = await createOrganization(tenant, { name: "Keyed" });
    const key = await createApiKey(tenant, { scopes: ["audit:read"], organization_id: org.id });
    const refused = await api(orgPath(org.id), { method: "DELETE", token: tenant.admin.token });
    expect(refused.status).toBe(409);
    expect((await problemOf(refused)).detail).toContain("1 live API key");

    // An expired key does not hold it back, a revoked one neither.
    await query(sql`update api_keys set expires_at = now() - interval '1 minute' where id = ${key.id}`);
    const other = await createApiKey(tenant, { scopes: ["audit:read"], organization_id: org.id });
    expect((await api(orgPath(org.id), { method: "DELETE", token: tenant.admin.token })).status).toBe(409);
    await api(`/api/v1/api-keys/${other.id}`, { method: "DELETE", token: tenant.admin.token });
    expect((await api(orgPath(org.id), { method: "DELETE", token: tenant.admin.token })).status).toBe(204);
  });

  it("refuses bad input with problems", async () => {
    const tenant = await createTenant("orgs");
    const token = tenant.admin.token;
    const unknownField = await api("/api/v1/organizations", { token, body: { name: "x", owner: "me" } });
    expect(unknownField.status).toBe(422);
    expect((await api("/api/v1/organizations", { token, body: { name: "   " } })).status).toBe(422);
    expect((await api("/api/v1/organizations", { token, body: { name: "x".repeat(101) } })).status).toBe(422);
    expect((await api(orgPath("not-a-uuid"), { token })).status).toBe(400);
    expect((await api("/api/v1/organizations?q=%00", { token })).status).toBe(400);
  });
});

describe("text a JSON body carries that UTF-8 cannot", () => {
  it("takes a lone surrogate as U+FFFD, in the row and in its audit event, as the client's own bytes would be", async () => {
    const tenant = await createTenant("org");
    const name = `lone \ud800 ${crypto.randomUUID()}`;
    const created = await api("/api/v1/organizations", { token: tenant.admin.token, body: { name } });
    expect(created.status, await created.clone().text()).toBe(201);
    const { id } = await created.json<{ id: string }>();
    const [row] = await query<{ name: string }>(sql`select name from organizations where id = ${id}`);
    expect(row?.name).toBe(name.replace("\ud800", "\ufffd"));
    const [event] = await query<{ name: string }>(
      sql`select summary->'after'->>'name' as name from audit_events where resource_id = ${id}`,
    );
    expect(event?.name).toBe(row?.name);
  });
});

describe("organization members", () => {
  async function setup() {
    const tenant = await createTenant("members");
    const org = await createOrganization(tenant, { name: "Desk" });
    const admin = await addUser(tenant, "analyst", [{ organizationId: org.id, role: "org_admin" }]);
    return { tenant, org, admin };
  }

  const addMember = (org: Organization, actor: Member, body: unknown) =>
    api(orgPath(org.id, "/members"), { token: actor.token, body });

  it("are added, listed, re-roled and removed by an org admin, each change audited", async () => {
    const { tenant, org, admin } = await setup();
    const user = await addUser(tenant, "viewer");
    const added = await addMember(org, admin, { user_id: user.id, role: "analyst" });
    expect(added.status).toBe(201);
    const view = await added.json<MemberView>();
    expect(view).toMatchObject({ user_id: user.id, email: user.email, display_name: null, role: "analyst" });

    const again = await addMember(org, admin, { user_id: user.id, role: "viewer" });
    expect(again.status).toBe(409);

    const list = await api(orgPath(org.id, "/members?limit=1"), { token: admin.token });
    const page1 = await list.json<Page<MemberView>>();
    expect(page1.items.map((m) => m.user_id)).toEqual([user.id]);
    const rest = await api(orgPath(org.id, `/members?limit=1&cursor=${page1.next_cursor}`), {
      token: admin.token,
    });
    expect((await rest.json<Page<MemberView>>()).items.map((m) => [m.user_id, m.role])).toEqual([
      [admin.id, "org_admin"],
    ]);

    const changed = await api(orgPath(org.id, `/members/${user.id}`), {
      method: "PATCH",
      token: admin.token,
      body: { role: "viewer" },
    });
    expect(changed.status).toBe(200);
    expect(await changed.json<MemberView>()).toMatchObject({ user_id: user.id, role: "viewer" });
    const removed = await api(orgPath(org.id, `/members/${user.id}`), {
      method: "DELETE",
      token: admin.token,
    });
    expect(removed.status).toBe(204);
    const gone = await api(orgPath(org.id, `/members/${user.id}`), { method: "DELETE", token: admin.token });
    expect(gone.status).toBe(404);

    const events = (await trail(tenant)).filter((e) => e.resource_id === `${org.id}:${user.id}`);
    expect(events.map((e) => [e.action, e.actor_id])).toEqual([
      ["member.removed", admin.id],
      ["member.role_changed", admin.id],
      ["member.added", admin.id],
    ]);
    expect(events[1]?.summary).toEqual({
      before: { organizationId: org.id, userId: user.id, role: "analyst" },
      after: { organizationId: org.id, userId: user.id, role: "viewer" },
    });
  });

  it("only admits users of the same tenant (404 naming the user)", async () => {
    const { org, admin } = await setup();
    const stranger = await addUser(await createTenant("members"), "viewer");
    const response = await addMember(org, admin, { user_id: stranger.id, role: "viewer" });
    expect(response.status).toBe(404);
    expect((await problemOf(response)).detail).toContain(stranger.id);
    const changed = await api(orgPath(org.id, `/members/${stranger.id}`), {
      method: "PATCH",
      token: admin.token,
      body: { role: "viewer" },
    });
    expect(changed.status).toBe(404);
    expect((await addMember(org, admin, { user_id: admin.id, role: "owner" })).status).toBe(422);
  });

  it("apply a removal or a demotion on the affected user's very next request", async () => {
    const { tenant, org, admin } = await setup();
    const analyst = await addUser(tenant, "analyst", [{ organizationId: org.id, role: "analyst" }]);
    expect((await api(orgPath(org.id), { token: analyst.token })).status).toBe(200);
    await api(orgPath(org.id, `/members/${analyst.id}`), { method: "DELETE", token: admin.token });
    expect((await api(orgPath(org.id), { token: analyst.token })).status).toBe(404);

    const second = await addUser(tenant, "viewer", [{ organizationId: org.id, role: "org_admin" }]);
    const rename = (name: string) =>
      api(orgPath(org.id), { method: "PATCH", token: second.token, body: { name } });
    expect((await rename("Desk two")).status).toBe(200);
    const demoted = await api(orgPath(org.id, `/members/${second.id}`), {
      method: "PATCH",
      token: admin.token,
      body: { role: "viewer" },
    });
    expect(demoted.status).toBe(200);
    expect((await rename("Desk three")).status).toBe(403);
    expect((await api(orgPath(org.id), { token: second.token })).status).toBe(200);
  });

  it("take the invitations a member sent into an organization with a removal or demotion there, audited", async () => {
    const { tenant, org, admin } = await setup();
    const other = await createOrganization(tenant, { name: "Other desk" });
    const lead = await addUser(tenant, "viewer", [
      { organizationId: org.id, role: "org_admin" },
      { organizationId: other.id, role: "org_admin" },
    ]);
    const send = async (organizationId: string, role: string) => {
      const response = await api("/api/v1/invitations", {
        token: lead.token,
        body: {
          email: `lead-${crypto.randomUUID().slice(0, 8)}@example.com`,
          role,
          organization_id: organizationId,
        },
      });
      expect(response.status, await response.clone().text()).toBe(201);
      return (await response.json<{ id: string }>()).id;
    };
    const [here, hereToo, there] = [
      await send(org.id, "analyst"),
      await send(org.id, "viewer"),
      await send(other.id, "viewer"),
    ];
    const open = async () =>
      Object.fromEntries(
        (
          await query<{ id: string; revoked: boolean }>(
            sql`select id::text, revoked_at is not null as revoked from invitations where invited_by = ${lead.id}`,
          )
        ).map((row) => [row.id, !row.revoked]),
      );

    // Still an org admin after a no-op change: nothing revoked.
    const same = await api(orgPath(org.id, `/members/${lead.id}`), {
      method: "PATCH",
      token: admin.token,
      body: { role: "org_admin" },
    });
    expect(same.status).toBe(200);
    expect(await open()).toEqual({ [here]: true, [hereToo]: true, [there]: true });

    // Removed from one desk: its invitations go, the other desk's stay.
    const removed = await api(orgPath(org.id, `/members/${lead.id}`), {
      method: "DELETE",
      token: admin.token,
    });
    expect(removed.status).toBe(204);
    expect(await open()).toEqual({ [here]: false, [hereToo]: false, [there]: true });

    // Demoted in the other: an analyst invites nobody.
    const demoted = await api(orgPath(other.id, `/members/${lead.id}`), {
      method: "PATCH",
      token: tenant.admin.token,
      body: { role: "analyst" },
    });
    expect(demoted.status).toBe(200);
    expect(await open()).toEqual({ [here]: false, [hereToo]: false, [there]: false });

    const revocations = (await trail(tenant))
      .filter((e) => e.action === "invitation.revoked")
      .map((e) => [e.resource_id, e.summary.after?.cause, e.summary.before?.organizationId]);
    expect(revocations.sort()).toEqual(
      [
        [here, "membership_removed", org.id],
        [hereToo, "membership_removed", org.id],
        [there, "membership_demoted", other.id],
      ].sort(),
    );
  });

  it("never leave an organization without an org admin, unless a tenant admin decides so", async () => {
    const { tenant, org, admin } = await setup();
    const demote = await api(orgPath(org.id, `/members/${admin.id}`), {
      method: "PATCH",
      token: admin.token,
      body: { role: "analyst" },
    });
    expect(demote.status).toBe(409);
    expect((await problemOf(demote)).code).toBe("conflict");
    const leave = await api(orgPath(org.id, `/members/${admin.id}`), {
      method: "DELETE",
      token: admin.token,
    });
    expect(leave.status).toBe(409);

    // With a second admin appointed, the first may step down.
    const other = await addUser(tenant, "viewer");
    expect((await addMember(org, admin, { user_id: other.id, role: "org_admin" })).status).toBe(201);
    expect(
      (await api(orgPath(org.id, `/members/${admin.id}`), { method: "DELETE", token: admin.token })).status,
    ).toBe(204);
    const last = await api(orgPath(org.id, `/members/${other.id}`), { method: "DELETE", token: other.token });
    expect(last.status).toBe(409);

    // The tenant admin may remove the last one.
    const byTenantAdmin = await api(orgPath(org.id, `/members/${other.id}`), {
      method: "DELETE",
      token: tenant.admin.token,
    });
    expect(byTenantAdmin.status).toBe(204);
  });

  it("two org admins demoting each other at once: one wins, the organization keeps an admin", async () => {
    const { tenant, org, admin } = await setup();
    const other = await addUser(tenant, "viewer");
    expect((await addMember(org, admin, { user_id: other.id, role: "org_admin" })).status).toBe(201);
    const demote = (by: { token: string }, id: string) =>
      api(orgPath(org.id, `/members/${id}`), { method: "PATCH", token: by.token, body: { role: "analyst" } });
    const answers = await Promise.all([demote(admin, other.id), demote(other, admin.id)]);
    // The loser is refused as the last admin's demotion (409) or, judged once demoted, as no admin (403).
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const members = await api(orgPath(org.id, "/members"), { token: tenant.admin.token });
    const roles = (await members.json<{ items: Array<{ role: string }> }>()).items.map((m) => m.role);
    expect(roles.filter((role) => role === "org_admin")).toHaveLength(1);
  });
});
