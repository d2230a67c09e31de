/**
 * The permission matrix, tested from the matrix itself: for every route that declares a permission and
 * every role (plus an API key holding every scope), the answer is 403 exactly when PERMISSIONS says the
 * role does not hold it. Users below tenant admin are members of the organization concerned with the
 * same role, so organization-scoped permissions are judged on that membership.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ROLES, type Role } from "../../src/db/schema";
import {
  API_KEY_SCOPES,
  PERMISSIONS,
  type Permission,
  roleHolds,
} from "../../src/services/tenancy/permissions";
import {
  addOrganization,
  addUser,
  createApiKey,
  createTenant,
  type Member,
  query,
  tokenFor,
} from "../integration/tenancy-fixtures";
import { expectProblem } from "./expectations";
import { serialize } from "./hostile-strings";
import {
  concreteUrl,
  exampleBody,
  fetchDocument,
  nameOf,
  operationsOf,
  type WalkedOperation,
} from "./openapi-walk";
import {
  cookieHeaders,
  cookieSignIn,
  freshKey,
  honoursIdempotencyKey,
  isStateChanging,
  seeded,
} from "./request-modes";
import { send } from "./worker";

const document = await fetchDocument();
const guarded = operationsOf(document)
  .map((walked) => ({
    walked,
    permission: (walked.operation as { "x-permission"?: Permission })["x-permission"],
  }))
  .filter(
    (entry): entry is { walked: WalkedOperation; permission: Permission } => entry.permission !== undefined,
  );

async function world() {
  const tenant = await createTenant("matrix");
  const org = await addOrganization(tenant);
  const callers: Record<string, string> = { tenant_admin: tenant.admin.token };
  const superAdmin: Member = await addUser(tenant, "viewer");
  await query(sql`update users set role = 'super_admin' where id = ${superAdmin.id}`);
  callers.super_admin = await tokenFor({ id: superAdmin.id, role: "super_admin" }, tenant.id);
  for (const role of ["org_admin", "analyst", "viewer"] as const) {
    callers[role] = (await addUser(tenant, role, [{ organizationId: org.id, role }])).token;
  }
  callers.api_key = (await createApiKey(tenant, { scopes: [...API_KEY_SCOPES] })).key;
  return { tenant, org, callers };
}

/** The request for a route: the organization concerned and the caller's own tenant where the path names them. */
function target(walked: WalkedOperation, permission: Permission, ids: { tenant: string; org: string }) {
  const path: Record<string, string> = {};
  if (walked.path.startsWith("/api/v1/organizations/{id}") && PERMISSIONS[permission].orgScoped)
    path.id = ids.org;
  if (walked.path.startsWith("/api/v1/tenants/{id}")) path.id = ids.tenant;
  for (const name of walked.path.match(/\{([^}]+)\}/g) ?? []) {
    const key = name.slice(1, -1);
    path[key] ??= crypto.randomUUID();
  }
  return concreteUrl(document, walked, { path });
}

/**
 * A body that passes the contract's validators, which run before the permission check: the route's example,
 * aimed at the matrix's organization where it names one (with an organization role, which an org admin may
 * grant there), except where applying it could change the world the matrix runs in (the tenant's own
 * settings: an empty patch is valid too). Paths name resources that do not exist, so allowed callers mostly get 404.
 */
function bodyFor(walked: WalkedOperation, org: string): string {
  if (walked.method === "PATCH" && walked.path.startsWith("/api/v1/tenants/{id}")) return "{}";
  const body = exampleBody(document, walked) ?? {};
  if (walked.path === "/api/v1/invitations" && typeof body === "object" && body !== null) {
    return serialize({ ...body, organization_id: org, role: "viewer" });
  }
  return serialize(body);
}

describe("the permission matrix", async () => {
  const { tenant, org, callers } = await world();

  it("refuses malformed input before the permission check, which reads the database", async () => {
    // A viewer may not create assets; a body the contract refuses is answered 422 all the same, at the edge.
    const response = await send("/api/v1/assets", {
      method: "POST",
      headers: { authorization: `Bearer ${callers.viewer}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(422);
    expect((await expectProblem(response, "viewer POST /api/v1/assets")).code).toBe("validation_failed");
  });

  it("covers every route that declares a permission", () => {
    expect(guarded.length).toBeGreaterThanOrEqual(Object.keys(PERMISSIONS).length);
  });

  for (const { walked, permission } of guarded) {
    it(`${nameOf(walked)} (${permission})`, async () => {
      // The callers at once: each request is independent, and most of its time is spent waiting on the database.
      const outcomes = await Promise.all(
        [...ROLES, "api_key"].map(async (caller) => {
          const rule = PERMISSIONS[permission];
          const allowed = caller === "api_key" ? "scope" in rule : roleHolds(caller as Role, permission);
          const hasBody = walked.operation.requestBody !== undefined;
          const response = await send(target(walked, permission, { tenant: tenant.id, org: org.id }), {
            method: walked.method,
            headers: {
              authorization: `Bearer ${callers[caller]}`,
              ...(hasBody ? { "content-type": "application/json" } : {}),
            },
            body: hasBody ? bodyFor(walked, org.id) : undefined,
          });
          // Past the permission check a route may still ask for more (a recent step-up: 403 step_up_required).
          const code =
            response.status === 403
              ? (await expectProblem(response, `${caller} ${nameOf(walked)}`)).code
              : "";
          if (response.status !== 403) await response.body?.cancel();
          // A key holding every scope (unconfined) is refused, 403, exactly where no scope grants the permission.
          const refused = code === "forbidden";
          if (!refused) expect(response.status, `${caller} ${nameOf(walked)}`).not.toBe(401);
          return {
            verdict: `${caller}:${refused ? "denied" : "allowed"}`,
            expected: `${caller}:${allowed ? "allowed" : "denied"}`,
          };
        }),
      );
      const verdicts = outcomes.map((o) => o.verdict);
      const expected = outcomes.map((o) => o.expected);
      expect(verdicts).toEqual(expected);
    });
  }

  // The same verdicts in the other request modes, where they change what the route does: with an
  // Idempotency-Key where it is honoured, for one caller per route drawn with a fixed seed, and on every
  // state-changing route from the tenant admin's browser in cookie mode (with its valid CSRF token).
  it("gives the same verdicts with an Idempotency-Key and in cookie mode", async () => {
    const session = await cookieSignIn(tenant.admin.email);
    const random = seeded(20_260_420);
    const callerList = [...ROLES, "api_key"];
    const mismatches: string[] = [];
    const affected = guarded.filter(({ walked }) => honoursIdempotencyKey(walked) || isStateChanging(walked));
    for (const { walked, permission } of affected) {
      const caller = callerList[Math.floor(random() * callerList.length)] as string;
      const rule = PERMISSIONS[permission];
      const modes: Array<[string, string, boolean, Record<string, string>]> = [
        [
          `${caller} with an Idempotency-Key`,
          callers[caller] as string,
          caller === "api_key" ? "scope" in rule : roleHolds(caller as Role, permission),
          { "idempotency-key": freshKey("matrix") },
        ],
        [
          "tenant_admin in cookie mode",
          session.accessToken,
          roleHolds("tenant_admin", permission),
          cookieHeaders(session, walked.path),
        ],
      ];
      for (const [who, credential, allowed, headers] of modes) {
        if (who.endsWith("Idempotency-Key") ? !honoursIdempotencyKey(walked) : !isStateChanging(walked))
          continue;
        const hasBody = walked.operation.requestBody !== undefined;
        const response = await send(target(walked, permission, { tenant: tenant.id, org: org.id }), {
          method: walked.method,
          headers: {
            ...headers,
            authorization: `Bearer ${credential}`,
            ...(hasBody ? { "content-type": "application/json" } : {}),
          },
          body: hasBody ? bodyFor(walked, org.id) : undefined,
        });
        const code =
          response.status >= 400 ? (await expectProblem(response, `${who} ${nameOf(walked)}`)).code : "";
        if (response.status < 400) await response.body?.cancel();
        const refused = code === "forbidden" || (who.startsWith("api_key") && response.status === 401);
        if (refused === allowed || code === "csrf_failed" || (code === "unauthorized" && !refused)) {
          mismatches.push(`${who} ${nameOf(walked)} (${permission}): ${response.status} ${code}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});
