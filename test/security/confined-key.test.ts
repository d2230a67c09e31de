/**
 * Confinement, attacked from the OpenAPI document: an API key confined to one organization, holding every
 * scope, walks every secured route of a tenant whose other organization holds people, a portfolio with a
 * ledger, an invitation and a key of its own. Each route must either refuse the key outright (403: its
 * permission spans the whole tenant, or no scope grants it), or show only the key's organization (the
 * other's ids - given in paths, queries and bodies - answer 404 and never appear), or be tenant-shared
 * reference data, which belongs to no organization (and still never names the other's rows).
 * Afterwards the other organization's data is unchanged.
 */

import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { API_KEY_SCOPES, PERMISSIONS, type Permission } from "../../src/services/tenancy/permissions";
import { api, uniqueEmail } from "../integration/auth-helpers";
import { seedPortfolio } from "../integration/portfolio-fixtures";
import { addOrganization, addUser, createApiKey, createTenant, query } from "../integration/tenancy-fixtures";
import { expectProblem } from "./expectations";
import { serialize } from "./hostile-strings";
import {
  concreteUrl,
  exampleBody,
  fetchDocument,
  isSecured,
  nameOf,
  operationsOf,
  type WalkedOperation,
} from "./openapi-walk";
import { send } from "./worker";

const document = await fetchDocument();
const permissionOf = (walked: WalkedOperation) =>
  (walked.operation as { "x-permission"?: Permission })["x-permission"];
const guarded = operationsOf(document).filter(
  (walked) => isSecured(document, walked) && permissionOf(walked),
);

/** How a confined key must be treated on a route, from the permission the route declares. */
function verdictFor(permission: Permission): "refused" | "organization" | "shared" {
  const rule = PERMISSIONS[permission];
  if (!("scope" in rule) || rule.wholeTenant) return "refused";
  return rule.orgScoped ? "organization" : "shared";
}

async function world() {
  const tenant = await createTenant("confined");
  const desk = await addOrganization(tenant, `desk-${crypto.randomUUID().slice(0, 6)}`);
  const other = await addOrganization(tenant, `other-${crypto.randomUUID().slice(0, 6)}`);
  const own = await seedPortfolio(tenant, desk);
  const theirs = await seedPortfolio(tenant, other);
  const member = await addUser(tenant, "viewer", [{ organizationId: other.id, role: "org_admin" }]);
  const invited = uniqueEmail("other-invitee");
  const invitation = await api("/api/v1/invitations", {
    token: member.token,
    body: { email: invited, role: "analyst", organization_id: other.id },
  });
  expect(invitation.status, await invitation.clone().text()).toBe(201);
  const { id: invitationId } = await invitation.json<{ id: string }>();
  const theirKey = await createApiKey(tenant, { scopes: ["portfolios:read"], organization_id: other.id });
  const key = await createApiKey(tenant, { scopes: [...API_KEY_SCOPES], organization_id: desk.id });
  return { tenant, desk, other, own, theirs, member, invited, invitationId, theirKey, key };
}

type World = Awaited<ReturnType<typeof world>>;

/** What must never reach the confined key: the other organization's rows and people. */
const secretsOf = (w: World) => [
  w.other.id,
  w.other.name,
  w.member.id,
  w.member.email,
  w.invitationId,
  w.invited,
  w.theirKey.id,
  w.theirs.portfolio.id,
  w.theirs.transaction.id,
];

/** The other organization's id for each path parameter the route names, by resource. */
function foreignPath(walked: WalkedOperation, w: World): Record<string, string> {
  const resource = walked.path.split("/")[3];
  const byResource: Record<string, string> = {
    organizations: w.other.id,
    users: w.member.id,
    "api-keys": w.theirKey.id,
    invitations: w.invitationId,
    portfolios: w.theirs.portfolio.id,
  };
  const ids: Record<string, string> = {};
  for (const match of walked.path.matchAll(/\{([^}]+)\}/g)) {
    const name = match[1] as string;
    ids[name] =
      name === "userId"
        ? w.member.id
        : name === "tid"
          ? w.theirs.transaction.id
          : (byResource[resource ?? ""] ?? crypto.randomUUID());
  }
  return ids;
}

/** The route's example body, pointed at the other organization wherever it names one or its portfolio. */
function foreignBody(walked: WalkedOperation, w: World): unknown {
  const body = exampleBody(document, walked);
  if (body === null || typeof body !== "object" || Array.isArray(body)) return body;
  const aimed: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  if ("organization_id" in aimed) aimed.organization_id = w.other.id;
  if ("portfolio_id" in aimed) aimed.portfolio_id = w.theirs.portfolio.id;
  return aimed;
}

function withoutInstance(text: string): string {
  const { instance: _, ...rest } = JSON.parse(text) as Record<string, unknown>;
  return JSON.stringify(rest);
}

function call(walked: WalkedOperation, url: string, body: unknown, credential: string) {
  return send(url, {
    method: walked.method,
    headers: {
      authorization: `Bearer ${credential}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : serialize(body),
  });
}

describe("an API key confined to one organization", async () => {
  const w = await world();

  it("has routes of every kind to walk", () => {
    const kinds = new Set(guarded.map((walked) => verdictFor(permissionOf(walked) as Permission)));
    expect([...kinds].sort()).toEqual(["organization", "refused", "shared"]);
  });

  for (const walked of guarded) {
    const permission = permissionOf(walked) as Permission;
    const verdict = verdictFor(permission);
    it(`${nameOf(walked)} (${permission}): ${verdict}`, async () => {
      const url = concreteUrl(document, walked, { path: foreignPath(walked, w) });
      const body = foreignBody(walked, w);
      const response = await call(walked, url, body, w.key.key);
      const context = `${nameOf(walked)} -> ${url}`;
      if (verdict === "refused") {
        const problem = await expectProblem(response, context);
        expect(response.status, `${context}: ${problem.detail}`).toBe(403);
        expect(problem.code).toBe("forbidden");
        return;
      }
      const text = await response.text();
      expect(response.status, `${context}: ${text.slice(0, 300)}`).toBeLessThan(500);
      if (verdict === "organization" && (walked.path.includes("{") || walked.method !== "GET")) {
        // Aimed at the other organization's rows: invisible, exactly like missing ones.
        expect(response.status, `${context}: ${text.slice(0, 300)}`).toBe(404);
      }
      // A problem's `instance` echoes the path the caller sent; it tells the caller nothing new.
      const shown =
        response.headers.get("content-type") === "application/problem+json" ? withoutInstance(text) : text;
      for (const secret of secretsOf(w)) expect(shown, `${context} shows ${secret}`).not.toContain(secret);
    });
  }

  it("still reads its own organization's portfolio and the tenant's reference data", async () => {
    const listed = await api("/api/v1/portfolios", { token: w.key.key });
    expect(listed.status).toBe(200);
    expect((await listed.json<{ items: Array<{ id: string }> }>()).items.map((p) => p.id)).toEqual([
      w.own.portfolio.id,
    ]);
    const filtered = await api(`/api/v1/portfolios?organization_id=${w.other.id}`, { token: w.key.key });
    expect(await filtered.text()).not.toContain(w.theirs.portfolio.id);
    const holdings = await api(`/api/v1/portfolios/${w.own.portfolio.id}/holdings`, { token: w.key.key });
    expect(holdings.status).toBe(200);
    const assets = await api("/api/v1/assets?limit=100", { token: w.key.key });
    expect(assets.status).toBe(200);
    expect(await assets.text()).toContain(w.own.asset.id);
    expect((await api(`/api/v1/prices/${w.own.asset.symbol}`, { token: w.key.key })).status).toBe(200);
    expect((await api("/api/v1/models", { token: w.key.key })).status).toBe(200);
  });

  it("left the other organization's data as it was", async () => {
    const [portfolio] = await query<{ n: number }>(
      sql`select count(*)::int as n from portfolio_transactions where portfolio_id = ${w.theirs.portfolio.id}`,
    );
    expect(portfolio?.n).toBe(2);
    const [invitation] = await query<{ revoked: boolean }>(
      sql`select revoked_at is not null as revoked from invitations where id = ${w.invitationId}`,
    );
    expect(invitation?.revoked).toBe(false);
    const [key] = await query<{ revoked: boolean }>(
      sql`select revoked_at is not null as revoked from api_keys where id = ${w.theirKey.id}`,
    );
    expect(key?.revoked).toBe(false);
    const [membership] = await query<{ role: string }>(
      sql`select role from memberships where user_id = ${w.member.id} and organization_id = ${w.other.id}`,
    );
    expect(membership?.role).toBe("org_admin");
  });
});
