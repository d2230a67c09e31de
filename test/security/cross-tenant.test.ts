/**
 * Tenant isolation, attacked from the OpenAPI document: two tenants hold data of every kind; every route
 * that takes an id is called by the first tenant's admin (and its API key, where keys are accepted) with
 * the second tenant's ids and must answer 404 - never 403, never the data - and every list must not
 * mention the second tenant's rows. A generated variant throws random pairings of routes and foreign
 * ids at it. Afterwards the second tenant's data is unchanged.
 */

import { sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { API_KEY_SCOPES, PERMISSIONS, type Permission } from "../../src/services/tenancy/permissions";
import { api } from "../integration/auth-helpers";
import { seedCompliance } from "../integration/compliance-fixtures";
import { seedPortfolio } from "../integration/portfolio-fixtures";
import { seedRiskWorld } from "../integration/risk-fixtures";
import { addOrganization, addUser, createApiKey, createTenant, query } from "../integration/tenancy-fixtures";
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
import {
  cookieHeaders,
  cookieSignIn,
  freshKey,
  honoursIdempotencyKey,
  isStateChanging,
  MODES,
  type Mode,
  modeLabel,
  sendWithRetry,
} from "./request-modes";
import { send } from "./worker";

const document = await fetchDocument();
const permissionOf = (walked: WalkedOperation) =>
  (walked.operation as { "x-permission"?: Permission })["x-permission"];
const secured = operationsOf(document).filter(
  (walked) => isSecured(document, walked) && permissionOf(walked),
);
const idRoutes = secured.filter((walked) => walked.path.includes("{"));
const listRoutes = secured.filter((walked) => walked.method === "GET" && !walked.path.includes("{"));

async function populate(label: string) {
  const tenant = await createTenant(label);
  const org = await addOrganization(tenant, `${label}-desk-${crypto.randomUUID().slice(0, 6)}`);
  const analyst = await addUser(tenant, "analyst", [{ organizationId: org.id, role: "analyst" }]);
  const key = await createApiKey(tenant, { name: `${label}-key`, scopes: [...API_KEY_SCOPES] });
  const invited = `${label}-invitee-${crypto.randomUUID().slice(0, 6)}@example.com`;
  const invitation = await api("/api/v1/invitations", {
    token: tenant.admin.token,
    body: { email: invited, role: "viewer", organization_id: org.id },
  });
  expect(invitation.status, await invitation.clone().text()).toBe(201);
  const { id: invitationId } = await invitation.json<{ id: string }>();
  const holdings = await seedPortfolio(tenant, org);
  const risk = await seedRiskWorld(tenant, label);
  const sanctions = await seedSanctions(tenant);
  const compliance = await seedCompliance(tenant);
  const webhooks = await seedWebhooks(tenant);
  return {
    tenant,
    org,
    analyst,
    key,
    invitationId,
    invited,
    holdings,
    risk,
    sanctions,
    compliance,
    webhooks,
  };
}

/** A webhook endpoint with a failed delivery, for the ids. */
async function seedWebhooks(tenant: { id: string }) {
  const [endpoint] = await query<{ id: string }>(sql`insert into webhook_endpoints
      (tenant_id, url, events, secret_sealed, created_by_type)
    values (${tenant.id}, 'https://hooks.example.com/victim', '{job.finished}', 'v1.k.x.y', 'user') returning id`);
  const [event] = await query<{ id: string }>(
    sql`insert into webhook_events (tenant_id, type, data) values (${tenant.id}, 'job.finished', '{}') returning id`,
  );
  const [delivery] = await query<{ id: string }>(sql`insert into webhook_deliveries
      (tenant_id, endpoint_id, event_id, status) values (${tenant.id}, ${endpoint?.id}, ${event?.id}, 'failed')
    returning id`);
  return { endpointId: endpoint?.id as string, deliveryId: delivery?.id as string };
}

/**
 * A customer with an open sanctions match on a list (the list failed: no file is read) and a verification
 * awaiting review, for the ids.
 */
async function seedSanctions(tenant: { id: string; admin: { token: string } }) {
  const created = await api("/api/v1/customers", {
    token: tenant.admin.token,
    body: { kind: "person", country: "GB", identity: { name: "Isolated Person" } },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const { id: customerId } = await created.json<{ id: string }>();
  const [list] = await query<{ id: string }>(sql`insert into sanctions_lists
      (tenant_id, version, status, failure, entries, aliases, sdn_key, sdn_sha256, bytes, actor_type)
    values (${tenant.id}, 1, 'failed', 'fixture', 1, 0, 'fixture/sdn.csv', ${"0".repeat(64)}, 1, 'system')
    returning id`);
  const [match] = await query<{ id: string }>(sql`insert into sanctions_matches
      (tenant_id, customer_id, list_id, origin, entry_uid, entry_name, entry_type, programs, matched_name, score)
    values (${tenant.id}, ${customerId}, ${list?.id}, 'list', 1, 'PERSON, Isolated', 'individual', '["SDGT"]',
            'PERSON, Isolated', 0.95)
    returning id`);
  const [verification] = await query<{ id: string }>(sql`insert into identity_verifications
      (tenant_id, customer_id, status, provider_session_id, session_url, expires_at, decided_at, started_by_type)
    values (${tenant.id}, ${customerId}, 'needs_review', ${`ses_${crypto.randomUUID()}`}, 'https://verify.example/s/x',
            now() + interval '7 days', now(), 'user')
    returning id`);
  return {
    customerId,
    listId: list?.id as string,
    matchId: match?.id as string,
    verificationId: verification?.id as string,
  };
}

type World = Awaited<ReturnType<typeof populate>>;

/** The victim's id for each path parameter, by the resource the path names. */
function foreignIds(walked: WalkedOperation, victim: World): Record<string, string> {
  // Under /api/v1/compliance the resource is the segment after it.
  const segments = walked.path.split("/");
  const resource = segments[3] === "compliance" ? segments[4] : segments[3];
  const byResource: Record<string, string> = {
    organizations: victim.org.id,
    users: victim.analyst.id,
    "api-keys": victim.key.id,
    invitations: victim.invitationId,
    tenants: victim.tenant.id,
    assets: victim.holdings.asset.id,
    prices: victim.holdings.asset.symbol,
    portfolios: victim.holdings.portfolio.id,
    companies: victim.risk.companyId,
    predictions: victim.risk.predictionId,
    jobs: victim.risk.jobId,
    models: victim.risk.modelName,
    customers: victim.sanctions.customerId,
    "sanctions-lists": victim.sanctions.listId,
    "sanctions-matches": victim.sanctions.matchId,
    "identity-verifications": victim.sanctions.verificationId,
    webhooks: segments[4] === "deliveries" ? victim.webhooks.deliveryId : victim.webhooks.endpointId,
    alerts: victim.compliance.alertId,
    cases: victim.compliance.caseId,
  };
  const ids: Record<string, string> = {};
  for (const match of walked.path.matchAll(/\{([^}]+)\}/g)) {
    const name = match[1] as string;
    ids[name] =
      name === "userId"
        ? victim.analyst.id
        : name === "tid"
          ? victim.holdings.transaction.id
          : name === "version"
            ? victim.risk.modelVersion
            : name === "attachmentId"
              ? victim.compliance.attachmentId
              : (byResource[resource ?? ""] ?? crypto.randomUUID());
  }
  return ids;
}

/** The request with the example body; `extra` adds a request mode's headers (see request-modes.ts). */
function attack(
  walked: WalkedOperation,
  ids: Record<string, string>,
  credential: string,
  extra: Record<string, string> = {},
) {
  const body = exampleBody(document, walked);
  const url = concreteUrl(document, walked, { path: ids });
  const headers: Record<string, string> = {
    ...extra,
    authorization: `Bearer ${credential}`,
    ...(body === undefined ? {} : { "content-type": "application/json" }),
  };
  return {
    url,
    init: { method: walked.method, headers, body: body === undefined ? undefined : serialize(body) },
  };
}

async function expectNotFound(
  walked: WalkedOperation,
  ids: Record<string, string>,
  credential: string,
  who: string,
  extra: Record<string, string> = {},
) {
  const { url, init } = attack(walked, ids, credential, extra);
  // With an Idempotency-Key the route honours, the retry under the key answers (or replays) 404 as well.
  const answer = await sendWithRetry(walked, url, init, `${who} ${nameOf(walked)}`);
  expect(
    answer.status,
    `${who} ${nameOf(walked)} ${JSON.stringify(ids)} -> ${answer.problem?.code}: ${answer.problem?.detail}`,
  ).toBe(404);
}

describe("tenant isolation", async () => {
  const attacker = await populate("attacker");
  const victim = await populate("victim");
  const acceptsKeys = (walked: WalkedOperation) => {
    const permission = permissionOf(walked);
    return permission !== undefined && "scope" in PERMISSIONS[permission];
  };

  it("has id-bearing and list routes to attack", () => {
    expect(idRoutes.length).toBeGreaterThanOrEqual(10);
    expect(listRoutes.length).toBeGreaterThanOrEqual(5);
  });

  for (const walked of idRoutes) {
    it(`${nameOf(walked)} with another tenant's ids answers 404`, async () => {
      await expectNotFound(walked, foreignIds(walked, victim), attacker.tenant.admin.token, "tenant admin");
      if (acceptsKeys(walked))
        await expectNotFound(walked, foreignIds(walked, victim), attacker.key.key, "API key");
    });
  }

  // The same attack with an Idempotency-Key and from a browser in cookie mode, where either changes what
  // the route does (it honours the key; it checks the CSRF token); the generated variant below draws a
  // mode for every run too.
  it("every id-bearing route that honours an Idempotency-Key answers 404 with one, and again on retry", async () => {
    const honouring = idRoutes.filter(honoursIdempotencyKey);
    expect(honouring.length).toBeGreaterThan(0);
    for (const walked of honouring) {
      const key = { "idempotency-key": freshKey("cross-tenant") };
      await expectNotFound(
        walked,
        foreignIds(walked, victim),
        attacker.tenant.admin.token,
        "tenant admin",
        key,
      );
    }
  });

  const session = await cookieSignIn(attacker.tenant.admin.email);
  const modeHeaders = (mode: Mode, walked: WalkedOperation): Record<string, string> =>
    mode === "cookie"
      ? cookieHeaders(session, walked.path)
      : mode === "idempotency-key"
        ? { "idempotency-key": freshKey("cross-tenant") }
        : {};

  it("every state-changing id-bearing route answers 404 in cookie mode too", async () => {
    for (const walked of idRoutes.filter(isStateChanging)) {
      const headers = modeHeaders("cookie", walked);
      await expectNotFound(
        walked,
        foreignIds(walked, victim),
        session.accessToken,
        "cookie-mode admin",
        headers,
      );
    }
  });

  for (const walked of listRoutes) {
    it(`${nameOf(walked)} shows nothing of another tenant`, async () => {
      const credentials = [attacker.tenant.admin.token, ...(acceptsKeys(walked) ? [attacker.key.key] : [])];
      for (const credential of credentials) {
        const response = await send(concreteUrl(document, walked), {
          headers: { authorization: `Bearer ${credential}` },
        });
        // Platform-wide listings are for super admins only; a tenant admin is refused outright.
        if (response.status === 403) continue;
        expect(response.status, nameOf(walked)).toBe(200);
        const text = await response.text();
        for (const secret of [
          victim.tenant.id,
          victim.org.id,
          victim.org.name,
          victim.analyst.id,
          victim.analyst.email,
          victim.tenant.admin.email,
          victim.key.id,
          victim.invitationId,
          victim.invited,
          victim.holdings.asset.id,
          victim.holdings.asset.symbol,
          victim.holdings.portfolio.id,
          victim.risk.companyId,
          victim.risk.companyName,
          victim.risk.predictionId,
          victim.risk.jobId,
          victim.risk.modelName,
          victim.compliance.alertId,
          victim.compliance.caseId,
        ]) {
          expect(text, `${nameOf(walked)} leaks ${secret}`).not.toContain(secret);
        }
      }
    });
  }

  it("generated: any id-bearing route with any foreign or unknown id answers 404", async () => {
    const pool = [
      victim.org.id,
      victim.analyst.id,
      victim.tenant.admin.id,
      victim.key.id,
      victim.invitationId,
      victim.tenant.id,
      victim.holdings.portfolio.id,
      victim.holdings.asset.id,
      victim.holdings.transaction.id,
      victim.risk.companyId,
      victim.risk.predictionId,
      victim.risk.jobId,
      victim.compliance.alertId,
      victim.compliance.caseId,
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...idRoutes),
        fc.array(fc.oneof(fc.constantFrom(...pool), fc.uuid()), { minLength: 2, maxLength: 2 }),
        fc.boolean(),
        fc.constantFrom(...MODES),
        async (walked, [first, second], useKey, mode) => {
          const names = [...walked.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
          const ids = Object.fromEntries(
            names.map((name, i) => [name, (i === 0 ? first : second) as string]),
          );
          // Cookie mode is a browser's: the admin's own session, never an API key.
          const credential =
            mode === "cookie"
              ? session.accessToken
              : useKey && acceptsKeys(walked)
                ? attacker.key.key
                : attacker.tenant.admin.token;
          await expectNotFound(
            walked,
            ids,
            credential,
            `generated${modeLabel(mode)}`,
            modeHeaders(mode, walked),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it("left the other tenant's data as it was", async () => {
    const [org] = await query<{ name: string }>(
      sql`select name from organizations where id = ${victim.org.id}`,
    );
    expect(org?.name).toBe(victim.org.name);
    const [user] = await query<{ status: string; role: string }>(
      sql`select status, role from users where id = ${victim.analyst.id}`,
    );
    expect(user).toEqual({ status: "active", role: "analyst" });
    const [membership] = await query<{ n: string }>(
      sql`select count(*) as n from memberships where organization_id = ${victim.org.id}`,
    );
    expect(Number(membership?.n)).toBe(1);
    const [invitation] = await query<{ revoked_at: unknown }>(
      sql`select revoked_at from invitations where id = ${victim.invitationId}`,
    );
    expect(invitation?.revoked_at).toBeNull();
    const [match] = await query<{ status: string }>(
      sql`select status from sanctions_matches where id = ${victim.sanctions.matchId}`,
    );
    expect(match?.status).toBe("open");
    expect((await api("/api/v1/audit-events", { token: victim.key.key })).status).toBe(200);
    const [audit] = await query<{ n: string }>(
      sql`select count(*) as n from audit_events where tenant_id = ${victim.tenant.id} and actor_id = ${attacker.tenant.admin.id}`,
    );
    expect(Number(audit?.n)).toBe(0);
  });
});
