/**
 * Tenancy fixtures. A tenant and its admin come from the real registration endpoint; further users and
 * organizations are written straight to the database and given an access token from the real signer -
 * signing in every fixture user would spend a password hash each and test nothing new.
 */

import { eq, sql } from "drizzle-orm";
import { loadConfig } from "../../src/config";
import { RequestDatabase } from "../../src/db/client";
import { memberships, type OrgRole, organizations, type Role, users } from "../../src/db/schema";
import { issueAccessToken } from "../../src/services/auth/jwt";
import { loadSigningKeys } from "../../src/services/auth/keys";
import { hashPassword } from "../../src/services/auth/passwords";
import { api, PASSWORD, registerUser, stepUp, uniqueEmail } from "./auth-helpers";
import { bindings } from "./helpers";

export interface Member {
  id: string;
  email: string;
  role: Role;
  token: string;
}

export interface TenantFixture {
  id: string;
  admin: Member;
}

/** A platform-scoped database handle, as authentication uses (row-level security still applies). */
export function platformDatabase(): RequestDatabase {
  return new RequestDatabase({ url: bindings.DATABASE_URL as string, relay: bindings.WS_RELAY });
}

async function withDatabase<T>(work: (db: RequestDatabase["db"]) => Promise<T>): Promise<T> {
  const handle = platformDatabase();
  try {
    return await work(handle.db);
  } finally {
    await handle.close();
  }
}

/** A fresh access token for a user, signed with the Worker's keys. */
export async function tokenFor(user: { id: string; role: Role }, tenantId: string): Promise<string> {
  const config = loadConfig(bindings);
  const keys = await loadSigningKeys(bindings.JWT_SIGNING_KEYS as string);
  const { token } = await issueAccessToken(
    keys,
    { userId: user.id, tenantId, role: user.role, sessionId: crypto.randomUUID() },
    { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, now: new Date() },
  );
  return token;
}

/**
 * Registers a new tenant; its first user is the tenant admin, whose session is stepped up (with the
 * password) so it can create API keys for the next few minutes.
 */
export async function createTenant(label = "tenant"): Promise<TenantFixture> {
  const registered = await registerUser(label);
  await stepUp(registered.access_token, { password: registered.password });
  return {
    id: registered.tenant.id,
    admin: {
      id: registered.user.id,
      email: registered.email,
      role: "tenant_admin",
      token: registered.access_token,
    },
  };
}

/** Adds a user with a tenant-level role, optionally a member of organizations with their own roles. */
export async function addUser(
  tenant: { id: string },
  role: Role,
  memberOf: Array<{ organizationId: string; role: OrgRole }> = [],
): Promise<Member> {
  const email = uniqueEmail(role);
  const user = await withDatabase(async (db) => {
    const [row] = await db.insert(users).values({ tenantId: tenant.id, email, role }).returning();
    if (!row) throw new Error("user insert returned nothing");
    for (const m of memberOf) {
      await db.insert(memberships).values({ tenantId: tenant.id, userId: row.id, ...m });
    }
    return row;
  });
  return { id: user.id, email, role, token: await tokenFor(user, tenant.id) };
}

/**
 * Gives a fixture user the suite's password and steps their session up with it, as creating an API key or
 * changing 2FA needs (fixture users are written without a password).
 */
export async function stepUpMember(member: Member): Promise<void> {
  const passwordHash = await hashPassword(PASSWORD);
  await withDatabase((db) => db.update(users).set({ passwordHash }).where(eq(users.id, member.id)));
  await stepUp(member.token, { password: PASSWORD });
}

/** Adds an organization directly. */
export async function addOrganization(
  tenant: { id: string },
  name = `org-${crypto.randomUUID().slice(0, 8)}`,
) {
  return withDatabase(async (db) => {
    const [row] = await db.insert(organizations).values({ tenantId: tenant.id, name }).returning();
    if (!row) throw new Error("organization insert returned nothing");
    return row;
  });
}

/** Runs raw SQL with the fixture connection (platform scope). */
export async function query<T extends Record<string, unknown>>(
  statement: Parameters<RequestDatabase["db"]["execute"]>[0],
) {
  return withDatabase(async (db) => (await db.execute<T>(statement)).rows);
}

/**
 * An API key created through the API by the tenant's admin, who steps up first: a fixture made in
 * `beforeAll` may be older than a step-up lasts.
 */
export async function createApiKey(
  tenant: TenantFixture,
  body: { name?: string; scopes: string[]; organization_id?: string; expires_at?: string },
): Promise<{ id: string; key: string }> {
  await stepUp(tenant.admin.token, { password: PASSWORD });
  const response = await api("/api/v1/api-keys", {
    token: tenant.admin.token,
    body: { name: body.name ?? "fixture key", ...body },
  });
  if (response.status !== 201) throw new Error(`api key: ${response.status} ${await response.text()}`);
  return response.json<{ id: string; key: string }>();
}

/** Runs statements as the connection's login role with triggers off: what a rogue DBA could do. */
export async function tamper(statement: ReturnType<typeof sql>) {
  const handle = platformDatabase();
  try {
    await handle.db.transaction(async (tx) => {
      await tx.execute(sql`reset role`);
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(statement);
    });
  } finally {
    await handle.close();
  }
}
