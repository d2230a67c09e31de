import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { OrgRole, Role } from "../../src/db/schema";
import { hashPassword } from "../../src/services/auth/passwords";
import { api, loginUser, mailboxToken, PASSWORD, uniqueEmail } from "./auth-helpers";
import { problemOf } from "./helpers";
import {
  addOrganization,
  addUser,
  createApiKey,
  createTenant,
  type Member,
  query,
  stepUpMember,
} from "./tenancy-fixtures";

interface UserView {
  id: string;
  email: string;
  role: string;
  status: string;
  email_verified: boolean;
  two_factor_enabled: boolean;
  organizations: Array<{ organization_id: string; role: string }>;
}

/** A user who can sign in: a real password and a real session, so revocation is tested end to end. */
async function signedInUser(
  tenant: { id: string },
  role: Role,
  memberOf: Array<{ organizationId: string; role: OrgRole }> = [],
): Promise<Member & { password: string; refresh: string }> {
  const member = await addUser(tenant, role, memberOf);
  const hash = await hashPassword(PASSWORD);
  await query(sql`update users set password_hash = ${hash} where id = ${member.id}`);
  const login = await loginUser(member.email, PASSWORD);
  expect(login.status).toBe(200);
  const { access_token, refresh_token } = login.body as { access_token: string; refresh_token: string };
  return { ...member, password: PASSWORD, token: access_token, refresh: refresh_token };
}

interface AuditView {
  action: string;
  actor_id: string | null;
  resource_id: string | null;
  summary: { before?: Record<string, unknown>; after?: Record<string, unknown> };
}

const patch = (token: string, id: string, body: unknown) =>
  api(`/api/v1/users/${id}`, { method: "PATCH", token, body });

async function listed(
  token: string,
  search = "",
): Promise<{ items: UserView[]; next_cursor: string | null }> {
  const response = await api(`/api/v1/users${search}`, { token });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

describe("users", () => {
  it("are listed with their organizations, filtered and paged, never another tenant's", async () => {
    const tenant = await createTenant("users");
    const other = await createTenant("users");
    const org = await addOrganization(tenant);
    const analyst = await addUser(tenant, "analyst", [{ organizationId: org.id, role: "analyst" }]);
    const viewer = await addUser(tenant, "viewer");
    const orgAdmin = await addUser(tenant, "org_admin", [{ organizationId: org.id, role: "org_admin" }]);
    const stranger = await addUser(other, "viewer", []);

    const all = await listed(tenant.admin.token);
    const ids = [tenant.admin.id, analyst.id, viewer.id, orgAdmin.id];
    expect(all.items.map((u) => u.id).sort()).toEqual([...ids].sort());
    expect(JSON.stringify(all)).not.toContain(stranger.id);
    expect(JSON.stringify(all)).not.toMatch(/password|totp_secret/);
    const shown = all.items.find((u) => u.id === analyst.id);
    expect(shown).toMatchObject({ role: "analyst", status: "active", two_factor_enabled: false });
    expect(shown?.organizations).toEqual([{ organization_id: org.id, role: "analyst" }]);

    expect((await listed(tenant.admin.token, "?role=viewer")).items.map((u) => u.id)).toEqual([viewer.id]);
    const members = await listed(tenant.admin.token, `?organization_id=${org.id}`);
    expect(members.items.map((u) => u.id).sort()).toEqual([analyst.id, orgAdmin.id].sort());
    const fragment = analyst.email.slice(0, 14).toUpperCase();
    expect((await listed(tenant.admin.token, `?email=${fragment}`)).items.map((u) => u.id)).toEqual([
      analyst.id,
    ]);
    expect((await listed(tenant.admin.token, "?email=%25")).items).toEqual([]);
    // Another tenant's organization matches nobody here.
    const theirOrg = await addOrganization(other);
    expect((await listed(tenant.admin.token, `?organization_id=${theirOrg.id}`)).items).toEqual([]);

    const first = await listed(tenant.admin.token, "?limit=3");
    expect(first.items).toHaveLength(3);
    expect(first.next_cursor).not.toBeNull();
    const second = await listed(tenant.admin.token, `?limit=3&cursor=${first.next_cursor}`);
    expect(second.next_cursor).toBeNull();
    expect([...first.items, ...second.items].map((u) => u.id).sort()).toEqual([...ids].sort());

    // Org admins read users; analysts do not.
    expect((await api("/api/v1/users", { token: orgAdmin.token })).status).toBe(200);
    expect((await api("/api/v1/users", { token: analyst.token })).status).toBe(403);
    expect((await api(`/api/v1/users?cursor=not-a-cursor`, { token: tenant.admin.token })).status).toBe(400);
  });

  it("answers 404 for another tenant's user on read, change and unlock", async () => {
    const mine = await createTenant("users");
    const theirs = await createTenant("users");
    const target = theirs.admin.id;
    const token = mine.admin.token;
    const responses = [
      await api(`/api/v1/users/${target}`, { token }),
      await patch(token, target, { status: "disabled" }),
      await api(`/api/v1/users/${target}/unlock`, { method: "POST", token }),
    ];
    for (const response of responses) {
      expect(response.status).toBe(404);
      expect((await problemOf(response)).code).toBe("not_found");
    }
    const still = await api(`/api/v1/users/${target}`, { token: theirs.admin.token });
    expect((await still.json<UserView>()).status).toBe("active");
  });

  it("refuses self-demotion, self-disabling, and touching or granting super_admin without being one", async () => {
    const tenant = await createTenant("users");
    const admin = tenant.admin;
    for (const body of [{ status: "disabled" }, { role: "viewer" }]) {
      const response = await patch(admin.token, admin.id, body);
      expect(response.status).toBe(409);
      expect((await problemOf(response)).code).toBe("conflict");
    }
    const renamed = await patch(admin.token, admin.id, { display_name: "Ada" });
    expect(renamed.status).toBe(200);
    expect((await patch(admin.token, admin.id, {})).status).toBe(422);

    const operator = await addUser(tenant, "super_admin");
    expect((await patch(admin.token, operator.id, { role: "viewer" })).status).toBe(403);
    const analyst = await addUser(tenant, "analyst");
    expect((await patch(admin.token, analyst.id, { role: "super_admin" })).status).toBe(403);
    const promoted = await patch(operator.token, analyst.id, { role: "super_admin" });
    expect(promoted.status).toBe(200);
    expect((await promoted.json<UserView>()).role).toBe("super_admin");
  });

  it("keeps the tenant's last active tenant admin, even against a super admin or two admins racing", async () => {
    const tenant = await createTenant("users");
    const operator = await addUser(tenant, "super_admin");
    for (const body of [{ role: "org_admin" }, { status: "disabled" }]) {
      const response = await patch(operator.token, tenant.admin.id, body);
      expect(response.status).toBe(409);
    }
    const second = await addUser(tenant, "tenant_admin");
    expect((await patch(operator.token, tenant.admin.id, { role: "analyst" })).status).toBe(200);
    expect((await patch(operator.token, tenant.admin.id, { role: "tenant_admin" })).status).toBe(200);

    // Each demotes the other at once: one wins, the other is refused (409, or 403 once already demoted).
    const [a, b] = await Promise.all([
      patch(tenant.admin.token, second.id, { role: "viewer" }),
      patch(second.token, tenant.admin.id, { role: "viewer" }),
    ]);
    expect([a.status, b.status].filter((s) => s === 200)).toHaveLength(1);
    const admins = await query<{ n: number }>(
      sql`select count(*)::int as n from users where tenant_id = ${tenant.id} and role = 'tenant_admin'`,
    );
    expect(admins[0]?.n).toBe(1);
  });

  it("disabling ends every session at once and refuses sign-in; re-enabling lets the user back", async () => {
    const tenant = await createTenant("users");
    const user = await signedInUser(tenant, "org_admin");
    expect((await api("/api/v1/auth/me", { token: user.token })).status).toBe(200);

    const disabled = await patch(tenant.admin.token, user.id, { status: "disabled" });
    expect(disabled.status).toBe(200);
    expect((await disabled.json<UserView>()).status).toBe("disabled");
    expect((await api("/api/v1/auth/me", { token: user.token })).status).toBe(401);
    expect((await api("/api/v1/users", { token: user.token })).status).toBe(401);
    expect((await loginUser(user.email, user.password)).status).toBe(401);
    const events = await query<{ details: { reason: string } }>(
      sql`select details from security_events where user_id = ${user.id} and type = 'sessions_revoked'`,
    );
    expect(events.map((e) => e.details.reason)).toEqual(["account_disabled"]);

    expect((await patch(tenant.admin.token, user.id, { status: "active" })).status).toBe(200);
    // The sessions themselves ended: re-enabling does not bring the old tokens back.
    expect((await api("/api/v1/auth/me", { token: user.token })).status).toBe(401);
    expect((await api("/api/v1/auth/refresh", { body: { refresh_token: user.refresh } })).status).toBe(401);
    const again = await loginUser(user.email, user.password);
    expect(again.status).toBe(200);
    expect((await api("/api/v1/users", { token: again.body.access_token as string })).status).toBe(200);

    const trail = await api("/api/v1/audit-events?action=user.updated", { token: tenant.admin.token });
    const items = (await trail.json<{ items: Array<{ resource_id: string; summary: unknown }> }>()).items;
    expect(items.filter((e) => e.resource_id === user.id)).toHaveLength(2);
  });

  it("disabling an admin revokes the keys they created and the invitations they sent, each audited", async () => {
    const tenant = await createTenant("users");
    const org = await addOrganization(tenant);
    const deputy = await addUser(tenant, "tenant_admin");
    await stepUpMember(deputy);
    const created = await api("/api/v1/api-keys", {
      token: deputy.token,
      body: { name: "deputy's feed", scopes: ["portfolios:read", "audit:read"] },
    });
    expect(created.status).toBe(201);
    const key = await created.json<{ id: string; key: string }>();
    const invited = uniqueEmail("deputy-invitee");
    const invitation = await api("/api/v1/invitations", {
      token: deputy.token,
      body: { email: invited, role: "analyst", organization_id: org.id },
    });
    expect(invitation.status).toBe(201);
    const { id: invitationId } = await invitation.json<{ id: string }>();
    const inviteToken = await mailboxToken(invited, "invitation");
    // Another admin's key stands throughout: only the disabled admin's grants end.
    const mine = await createApiKey(tenant, { scopes: ["audit:read"] });
    expect((await api("/api/v1/assets", { token: key.key })).status).toBe(200);

    expect((await patch(tenant.admin.token, deputy.id, { status: "disabled" })).status).toBe(200);

    const refused = await api("/api/v1/assets", { token: key.key });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain("invalid_token");
    const accept = await api(`/api/v1/invitations/${inviteToken}/accept`, { body: { password: PASSWORD } });
    expect(accept.status).toBe(400);
    expect((await problemOf(accept)).code).toBe("invalid_token");
    expect((await api("/api/v1/audit-events", { token: mine.key })).status).toBe(200);

    const trail = await api("/api/v1/audit-events?limit=100", { token: tenant.admin.token });
    const events = (await trail.json<{ items: AuditView[] }>()).items;
    const revocations = events.filter((e) => e.action.endsWith(".revoked"));
    expect(revocations.map((e) => [e.action, e.resource_id, e.actor_id, e.summary.after]).sort()).toEqual(
      [
        [
          "api_key.revoked",
          key.id,
          tenant.admin.id,
          { revoked: true, cause: "issuer_disabled", issuer: deputy.id },
        ],
        [
          "invitation.revoked",
          invitationId,
          tenant.admin.id,
          { revoked: true, cause: "issuer_disabled", issuer: deputy.id },
        ],
      ].sort(),
    );
    const verified = await api("/api/v1/audit-events/verify", { token: tenant.admin.token });
    expect(await verified.json()).toMatchObject({ valid: true });
  });

  it("demoting revokes only what the new role could not issue", async () => {
    const tenant = await createTenant("users");
    const [desk, other] = [await addOrganization(tenant), await addOrganization(tenant)];
    const deputy = await addUser(tenant, "tenant_admin", [{ organizationId: desk.id, role: "org_admin" }]);
    const send = async (body: Record<string, unknown>) => {
      const response = await api("/api/v1/invitations", { token: deputy.token, body });
      expect(response.status, await response.clone().text()).toBe(201);
      return (await response.json<{ id: string; email: string }>()).id;
    };
    await stepUpMember(deputy);
    const created = await api("/api/v1/api-keys", {
      token: deputy.token,
      body: { name: "deputy's key", scopes: ["portfolios:read"], organization_id: desk.id },
    });
    const key = await created.json<{ id: string; key: string }>();
    const tenantLevel = await send({ email: uniqueEmail("t"), role: "analyst" });
    const intoDesk = await send({ email: uniqueEmail("d"), role: "org_admin", organization_id: desk.id });
    const intoOther = await send({ email: uniqueEmail("o"), role: "viewer", organization_id: other.id });

    // Renaming is no demotion: nothing is revoked.
    expect((await patch(tenant.admin.token, deputy.id, { display_name: "Deputy" })).status).toBe(200);
    expect((await api("/api/v1/portfolios", { token: key.key })).status).toBe(200);

    // Now an org admin of one desk: keys and tenant-level invitations are beyond reach, as is the other desk.
    expect((await patch(tenant.admin.token, deputy.id, { role: "org_admin" })).status).toBe(200);
    expect((await api("/api/v1/portfolios", { token: key.key })).status).toBe(401);
    const rows = await query<{ id: string; revoked: boolean }>(
      sql`select id::text, revoked_at is not null as revoked from invitations where invited_by = ${deputy.id}`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.id, r.revoked]))).toEqual({
      [tenantLevel]: true,
      [intoDesk]: false,
      [intoOther]: true,
    });
    const trail = await api("/api/v1/audit-events?limit=100", { token: tenant.admin.token });
    const causes = (await trail.json<{ items: AuditView[] }>()).items
      .filter((e) => e.action.endsWith(".revoked"))
      .map((e) => [e.resource_id, e.summary.after?.cause]);
    expect(causes.sort()).toEqual(
      [
        [key.id, "issuer_demoted"],
        [tenantLevel, "issuer_demoted"],
        [intoOther, "issuer_demoted"],
      ].sort(),
    );
  });

  it("applies a role change on the very next request with the same token", async () => {
    const tenant = await createTenant("users");
    const deputy = await addUser(tenant, "tenant_admin");
    expect((await api("/api/v1/audit-events", { token: deputy.token })).status).toBe(200);
    expect((await patch(tenant.admin.token, deputy.id, { role: "viewer" })).status).toBe(200);
    const refused = await api("/api/v1/audit-events", { token: deputy.token });
    expect(refused.status).toBe(403);
    expect((await api("/api/v1/users", { token: deputy.token })).status).toBe(403);
  });

  it("unlocks a locked-out account: five wrong passwords lock it, an unlock lets the right one in", async () => {
    const tenant = await createTenant("users");
    const user = await signedInUser(tenant, "analyst");
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await loginUser(user.email, "wrong-password-guess")).status);
    expect(statuses).toEqual([401, 401, 401, 401, 423]);
    expect((await loginUser(user.email, user.password)).status).toBe(423);

    const analyst = await addUser(tenant, "analyst");
    const denied = await api(`/api/v1/users/${user.id}/unlock`, { method: "POST", token: analyst.token });
    expect(denied.status).toBe(403);
    const unlocked = await api(`/api/v1/users/${user.id}/unlock`, {
      method: "POST",
      token: tenant.admin.token,
    });
    expect(unlocked.status).toBe(204);
    expect((await loginUser(user.email, user.password)).status).toBe(200);

    const trail = await api(`/api/v1/audit-events?action=user.unlocked&resource_id=${user.id}`, {
      token: tenant.admin.token,
    });
    expect((await trail.json<{ items: unknown[] }>()).items).toHaveLength(1);
  });
});
