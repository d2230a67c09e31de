import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { hashToken } from "../../src/services/auth/secrets";
import { api, mailboxToken, PASSWORD, registerUser, uniqueEmail } from "./auth-helpers";
import { problemOf } from "./helpers";
import { addOrganization, addUser, createTenant, query } from "./tenancy-fixtures";

interface InvitationView {
  id: string;
  tenant_id: string;
  email: string;
  role: string;
  organization_id: string | null;
  status: string;
}

interface AcceptedView {
  user: { id: string; tenant_id: string; email: string; role: string; email_verified: boolean };
  tenant: { id: string };
  membership: { organization_id: string; role: string } | null;
  access_token?: string;
  refresh_token?: string;
}

async function invite(token: string, body: Record<string, unknown>): Promise<InvitationView> {
  const response = await api("/api/v1/invitations", { token, body });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json();
}

const accept = (token: string, body: Record<string, unknown> = { password: PASSWORD }) =>
  api(`/api/v1/invitations/${token}/accept`, { body });

async function actionsIn(adminToken: string): Promise<Array<{ action: string; actor_id: string }>> {
  const response = await api("/api/v1/audit-events?limit=100", { token: adminToken });
  expect(response.status).toBe(200);
  return (await response.json<{ items: Array<{ action: string; actor_id: string }> }>()).items;
}

async function expectInvalidToken(response: Response) {
  expect(response.status).toBe(400);
  expect((await problemOf(response)).code).toBe("invalid_token");
}

describe("invitations", () => {
  it("invite, e-mail, accept: the invitee is signed in, a member of the organization, and both steps audited", async () => {
    const tenant = await createTenant("inv");
    const org = await addOrganization(tenant);
    const email = uniqueEmail("invitee");
    const created = await invite(tenant.admin.token, {
      email: email.toUpperCase(),
      role: "analyst",
      organization_id: org.id,
    });
    expect(created).toMatchObject({ email, role: "analyst", organization_id: org.id, status: "pending" });

    const token = await mailboxToken(email, "invitation");
    expect(JSON.stringify(created)).not.toContain(token);
    const stored = await query<{ token_hash: string }>(
      sql`select token_hash from invitations where id = ${created.id}`,
    );
    expect(stored[0]?.token_hash).toBe(await hashToken(token));

    const response = await accept(token, { password: PASSWORD, display_name: "Grace" });
    expect(response.status, await response.clone().text()).toBe(201);
    const accepted = await response.json<AcceptedView>();
    // The organization's role is held in the organization; in the tenant the account is a viewer.
    expect(accepted.user).toMatchObject({
      email,
      role: "viewer",
      tenant_id: tenant.id,
      email_verified: true,
    });
    expect(accepted.membership).toEqual({ organization_id: org.id, role: "analyst" });
    const me = await api("/api/v1/auth/me", { token: accepted.access_token as string });
    expect(me.status).toBe(200);

    const user = await api(`/api/v1/users/${accepted.user.id}`, { token: tenant.admin.token });
    expect((await user.json<{ organizations: unknown[] }>()).organizations).toEqual([
      { organization_id: org.id, role: "analyst" },
    ]);
    const trail = await actionsIn(tenant.admin.token);
    expect(trail).toContainEqual(
      expect.objectContaining({ action: "invitation.created", actor_id: tenant.admin.id }),
    );
    expect(trail).toContainEqual(
      expect.objectContaining({ action: "invitation.accepted", actor_id: accepted.user.id }),
    );

    await expectInvalidToken(await accept(token));
    const listed = await api("/api/v1/invitations?status=accepted", { token: tenant.admin.token });
    expect((await listed.json<{ items: InvitationView[] }>()).items.map((i) => i.id)).toEqual([created.id]);
    const revoke = await api(`/api/v1/invitations/${created.id}`, {
      method: "DELETE",
      token: tenant.admin.token,
    });
    expect(revoke.status).toBe(409);
  });

  it("refuses an expired, a revoked and a replaced invitation with one generic answer", async () => {
    const tenant = await createTenant("inv");
    const expiring = await invite(tenant.admin.token, { email: uniqueEmail("late"), role: "viewer" });
    const expiredToken = await mailboxToken(expiring.email, "invitation");
    await query(
      sql`update invitations set expires_at = now() - interval '1 minute' where id = ${expiring.id}`,
    );
    await expectInvalidToken(await accept(expiredToken));
    const expired = await api("/api/v1/invitations?status=expired", { token: tenant.admin.token });
    expect((await expired.json<{ items: InvitationView[] }>()).items.map((i) => i.id)).toEqual([expiring.id]);

    const revoked = await invite(tenant.admin.token, { email: uniqueEmail("gone"), role: "viewer" });
    const revokedToken = await mailboxToken(revoked.email, "invitation");
    const deleted = await api(`/api/v1/invitations/${revoked.id}`, {
      method: "DELETE",
      token: tenant.admin.token,
    });
    expect(deleted.status).toBe(204);
    await expectInvalidToken(await accept(revokedToken));

    const email = uniqueEmail("twice");
    await invite(tenant.admin.token, { email, role: "viewer" });
    const firstToken = await mailboxToken(email, "invitation");
    await invite(tenant.admin.token, { email, role: "analyst" });
    const secondToken = await mailboxToken(email, "invitation");
    await expectInvalidToken(await accept(firstToken));
    const response = await accept(secondToken);
    expect(response.status).toBe(201);
    expect((await response.json<AcceptedView>()).user.role).toBe("analyst");

    await expectInvalidToken(await accept("A".repeat(43)));
    expect((await accept("short")).status).toBe(400);
  });

  it("keeps one open invitation per address and place when several are created at once", async () => {
    const tenant = await createTenant("inv-race");
    const email = uniqueEmail("race");
    const created = await Promise.all(
      Array.from({ length: 8 }, () => invite(tenant.admin.token, { email, role: "viewer" })),
    );
    expect(new Set(created.map((c) => c.id)).size).toBe(8);
    const open = await query<{ id: string }>(
      sql`select id::text from invitations where tenant_id = ${tenant.id} and email = ${email}
        and accepted_at is null and revoked_at is null`,
    );
    expect(open).toHaveLength(1);
    // The database holds it too: a second open invitation to the same place cannot be written.
    const forged = await query(
      sql`insert into invitations (tenant_id, email, role, token_hash, expires_at)
        values (${tenant.id}, ${email}, 'viewer', ${crypto.randomUUID()}, now() + interval '1 day')`,
    ).catch((error: unknown) => error);
    expect(String((forged as Error).cause ?? forged)).toMatch(/invitations_one_open_key/);
  });

  it("requires a password that meets the policy for a new account, leaving the invitation open", async () => {
    const tenant = await createTenant("inv");
    const created = await invite(tenant.admin.token, { email: uniqueEmail("pw"), role: "viewer" });
    const token = await mailboxToken(created.email, "invitation");
    expect((await accept(token, {})).status).toBe(422);
    const weak = await accept(token, { password: "password" });
    expect(weak.status).toBe(422);
    expect((await problemOf(weak)).errors?.[0]?.pointer).toBe("/password");
    expect((await accept(token)).status).toBe(201);
  });

  it("lets exactly one of two concurrent accepts succeed", async () => {
    const tenant = await createTenant("inv");
    const created = await invite(tenant.admin.token, { email: uniqueEmail("race"), role: "viewer" });
    const token = await mailboxToken(created.email, "invitation");
    const responses = await Promise.all([accept(token), accept(token), accept(token)]);
    expect(responses.map((r) => r.status).sort()).toEqual([201, 400, 400]);
    const users = await query<{ n: number }>(
      sql`select count(*)::int as n from users where email = ${created.email}`,
    );
    expect(users[0]?.n).toBe(1);
  });

  it("adds an existing account of the tenant to the organization, refuses one of another tenant", async () => {
    const tenant = await createTenant("inv");
    const org = await addOrganization(tenant);
    const member = await addUser(tenant, "analyst");
    await invite(tenant.admin.token, { email: member.email, role: "viewer", organization_id: org.id });
    const response = await accept(await mailboxToken(member.email, "invitation"), {});
    expect(response.status).toBe(200);
    const joined = await response.json<AcceptedView>();
    expect(joined.access_token).toBeUndefined();
    expect(joined).toMatchObject({
      user: { id: member.id, role: "analyst" },
      membership: { organization_id: org.id, role: "viewer" },
    });
    // Nothing left to join: already a member, or already in the tenant.
    const again = await api("/api/v1/invitations", {
      token: tenant.admin.token,
      body: { email: member.email, role: "viewer", organization_id: org.id },
    });
    expect(again.status).toBe(409);
    expect(
      (
        await api("/api/v1/invitations", {
          token: tenant.admin.token,
          body: { email: member.email, role: "viewer" },
        })
      ).status,
    ).toBe(409);

    const outsider = await registerUser("outsider");
    await invite(tenant.admin.token, { email: outsider.email, role: "viewer", organization_id: org.id });
    const refused = await accept(await mailboxToken(outsider.email, "invitation"), {});
    expect(refused.status).toBe(409);
    const still = await api("/api/v1/auth/me", { token: outsider.access_token });
    expect((await still.json<{ tenant_id: string }>()).tenant_id).toBe(outsider.tenant.id);
  });

  it("lets an org admin invite only into organizations it administers", async () => {
    const tenant = await createTenant("inv");
    const [mine, viewed, elsewhere] = [
      await addOrganization(tenant),
      await addOrganization(tenant),
      await addOrganization(tenant),
    ];
    const lead = await addUser(tenant, "viewer", [
      { organizationId: mine.id, role: "org_admin" },
      { organizationId: viewed.id, role: "viewer" },
    ]);
    const ok = await invite(lead.token, {
      email: uniqueEmail("team"),
      role: "analyst",
      organization_id: mine.id,
    });
    const cases: Array<[Record<string, unknown>, number]> = [
      [{ role: "analyst", organization_id: elsewhere.id }, 404],
      [{ role: "analyst", organization_id: crypto.randomUUID() }, 404],
      [{ role: "analyst", organization_id: viewed.id }, 403],
      [{ role: "tenant_admin" }, 403],
      [{ role: "analyst" }, 403],
      [{ role: "viewer", tenant_id: crypto.randomUUID() }, 403],
    ];
    for (const [body, status] of cases) {
      const response = await api("/api/v1/invitations", {
        token: lead.token,
        body: { email: uniqueEmail("x"), ...body },
      });
      expect(response.status, JSON.stringify(body)).toBe(status);
    }
    const theirs = await invite(tenant.admin.token, {
      email: uniqueEmail("other"),
      role: "viewer",
      organization_id: elsewhere.id,
    });
    await invite(tenant.admin.token, { email: uniqueEmail("tenant"), role: "viewer" });

    const listed = await api("/api/v1/invitations", { token: lead.token });
    expect((await listed.json<{ items: InvitationView[] }>()).items.map((i) => i.id)).toEqual([ok.id]);
    const all = await api("/api/v1/invitations", { token: tenant.admin.token });
    expect((await all.json<{ items: InvitationView[] }>()).items).toHaveLength(3);
    expect(
      (await api(`/api/v1/invitations/${theirs.id}`, { method: "DELETE", token: lead.token })).status,
    ).toBe(404);
    expect((await api(`/api/v1/invitations/${ok.id}`, { method: "DELETE", token: lead.token })).status).toBe(
      204,
    );
    const analyst = await addUser(tenant, "analyst");
    expect((await api("/api/v1/invitations", { token: analyst.token })).status).toBe(403);
  });

  it("keeps an organization's role in the organization: an org admin's invitee cannot list the tenant's users", async () => {
    const tenant = await createTenant("inv");
    const desk = await addOrganization(tenant);
    const lead = await addUser(tenant, "viewer", [{ organizationId: desk.id, role: "org_admin" }]);
    expect((await api("/api/v1/users", { token: lead.token })).status).toBe(403);
    const email = uniqueEmail("deputy");
    await invite(lead.token, { email, role: "org_admin", organization_id: desk.id });
    const response = await accept(await mailboxToken(email, "invitation"));
    expect(response.status, await response.clone().text()).toBe(201);
    const deputy = await response.json<AcceptedView>();
    expect(deputy.user.role).toBe("viewer");
    expect(deputy.membership).toEqual({ organization_id: desk.id, role: "org_admin" });
    const token = deputy.access_token as string;
    expect((await api("/api/v1/users", { token })).status).toBe(403);
    expect((await api(`/api/v1/organizations/${desk.id}/members`, { token })).status).toBe(200);
    const [stored] = await query<{ role: string }>(sql`select role from users where id = ${deputy.user.id}`);
    expect(stored?.role).toBe("viewer");

    // A tenant-level invitation sets the tenant role - never above the sender's own.
    const analystEmail = uniqueEmail("analyst");
    await invite(tenant.admin.token, { email: analystEmail, role: "analyst" });
    const analyst = await accept(await mailboxToken(analystEmail, "invitation"));
    expect((await analyst.json<AcceptedView>()).user.role).toBe("analyst");
  });

  it("is judged against its sender's standing when accepted: a demoted sender's invitation is refused", async () => {
    const tenant = await createTenant("inv");
    const desk = await addOrganization(tenant);
    const lead = await addUser(tenant, "viewer", [{ organizationId: desk.id, role: "org_admin" }]);

    // Demoted through the API: the invitation is revoked with the demotion; its link is dead.
    const first = await invite(lead.token, {
      email: uniqueEmail("a"),
      role: "analyst",
      organization_id: desk.id,
    });
    const firstToken = await mailboxToken(first.email, "invitation");
    const demote = (role: string) =>
      api(`/api/v1/organizations/${desk.id}/members/${lead.id}`, {
        method: "PATCH",
        token: tenant.admin.token,
        body: { role },
      });
    expect((await demote("analyst")).status).toBe(200);
    await expectInvalidToken(await accept(firstToken));

    // Standing lowered while the invitation was open, without passing through the revocation (as a change
    // made in the database would): the acceptance itself finds the sender can no longer grant it.
    expect((await demote("org_admin")).status).toBe(200);
    const second = await invite(lead.token, {
      email: uniqueEmail("b"),
      role: "viewer",
      organization_id: desk.id,
    });
    const secondToken = await mailboxToken(second.email, "invitation");
    await query(sql`update memberships set role = 'viewer' where user_id = ${lead.id}`);
    const refused = await accept(secondToken);
    expect(refused.status).toBe(409);
    expect(await problemOf(refused)).toMatchObject({
      code: "conflict",
      detail: expect.stringContaining("withdrawn"),
    });
    // Revoked: from now on the link answers like any dead one.
    await expectInvalidToken(await accept(secondToken));
    const users = await query<{ n: number }>(
      sql`select count(*)::int as n from users where email = ${second.email}`,
    );
    expect(users[0]?.n).toBe(0);

    // A disabled sender vouches for nothing either, even for an existing account joining.
    const third = await invite(tenant.admin.token, { email: uniqueEmail("c"), role: "viewer" });
    const member = await addUser(tenant, "analyst");
    const deputy = await addUser(tenant, "tenant_admin");
    await invite(deputy.token, { email: member.email, role: "viewer", organization_id: desk.id });
    const memberToken = await mailboxToken(member.email, "invitation");
    await query(sql`update users set status = 'disabled' where id = ${deputy.id}`);
    expect((await accept(memberToken, {})).status).toBe(409);
    expect((await accept(await mailboxToken(third.email, "invitation"))).status).toBe(201);

    const trail = await api("/api/v1/audit-events?action=invitation.revoked", { token: tenant.admin.token });
    const events = (
      await trail.json<{
        items: Array<{ resource_id: string; actor_type: string; summary: { after: { cause: string } } }>;
      }>()
    ).items;
    expect(events.map((e) => [e.resource_id, e.actor_type, e.summary.after.cause])).toContainEqual([
      second.id,
      "system",
      "sender_lacks_authority",
    ]);
    expect(events.map((e) => [e.resource_id, e.summary.after.cause])).toContainEqual([
      first.id,
      "membership_demoted",
    ]);
  });

  it("hides another tenant's invitations and organizations (404, never counted)", async () => {
    const mine = await createTenant("inv");
    const theirs = await createTenant("inv");
    const theirOrg = await addOrganization(theirs);
    const hidden = await invite(theirs.admin.token, { email: uniqueEmail("hidden"), role: "viewer" });
    expect(
      (await api(`/api/v1/invitations/${hidden.id}`, { method: "DELETE", token: mine.admin.token })).status,
    ).toBe(404);
    const listed = await api("/api/v1/invitations", { token: mine.admin.token });
    expect((await listed.json<{ items: unknown[] }>()).items).toEqual([]);
    const foreign = await api("/api/v1/invitations", {
      token: mine.admin.token,
      body: { email: uniqueEmail("x"), role: "viewer", organization_id: theirOrg.id },
    });
    expect(foreign.status).toBe(404);
    const tenantAdminRole = await api("/api/v1/invitations", {
      token: mine.admin.token,
      body: { email: uniqueEmail("x"), role: "tenant_admin", organization_id: crypto.randomUUID() },
    });
    expect(tenantAdminRole.status).toBe(422);
  });

  it("lets a super admin invite a new tenant's first admin, audited in that tenant", async () => {
    const platform = await createTenant("platform");
    const operator = await addUser(platform, "super_admin");
    const [fresh] = await query<{ id: string }>(
      sql`insert into tenants (name) values ('Fresh Bank') returning id`,
    );
    const tenantId = fresh?.id as string;
    const email = uniqueEmail("founder");
    const created = await invite(operator.token, { email, role: "tenant_admin", tenant_id: tenantId });
    expect(created.tenant_id).toBe(tenantId);

    const refused = await api("/api/v1/invitations", {
      token: platform.admin.token,
      body: { email: uniqueEmail("x"), role: "tenant_admin", tenant_id: tenantId },
    });
    expect(refused.status).toBe(403);
    const unknown = await api("/api/v1/invitations", {
      token: operator.token,
      body: { email: uniqueEmail("x"), role: "tenant_admin", tenant_id: crypto.randomUUID() },
    });
    expect(unknown.status).toBe(404);

    const response = await accept(await mailboxToken(email, "invitation"));
    expect(response.status).toBe(201);
    const founder = await response.json<AcceptedView>();
    expect(founder.user).toMatchObject({ tenant_id: tenantId, role: "tenant_admin" });
    const trail = await actionsIn(founder.access_token as string);
    expect(trail.map((e) => e.action).sort()).toEqual(["invitation.accepted", "invitation.created"]);
    expect(trail).toContainEqual(
      expect.objectContaining({ action: "invitation.created", actor_id: operator.id }),
    );
    expect((await actionsIn(platform.admin.token)).map((e) => e.action)).not.toContain("invitation.created");

    // An operator's invitation stands on the operator's current standing: no longer an operator, refused.
    const later = uniqueEmail("second");
    const pending = await invite(operator.token, { email: later, role: "tenant_admin", tenant_id: tenantId });
    await query(sql`update users set role = 'tenant_admin' where id = ${operator.id}`);
    const withdrawn = await accept(await mailboxToken(later, "invitation"));
    expect(withdrawn.status).toBe(409);
    const revoked = (await actionsIn(founder.access_token as string)).filter(
      (e) => e.action === "invitation.revoked",
    );
    expect(revoked).toHaveLength(1);
    const [row] = await query<{ revoked: boolean }>(
      sql`select revoked_at is not null as revoked from invitations where id = ${pending.id}`,
    );
    expect(row?.revoked).toBe(true);
  });
});
