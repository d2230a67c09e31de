/**
 * Identity verification through the provider, against a local server playing it (test/setup/identity-provider.ts):
 * a session opened there with what the provider needs, the provider's signed decision delivered to the callback
 * and what it does to the customer's KYC standing and risk, and an approval that disagrees with the customer put
 * before another analyst (four eyes) - with the round trips each step takes.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { databaseCalls, problemOf } from "./helpers";
import {
  customerOf,
  decide,
  deliver,
  getVerification,
  onboard,
  provider,
  sessionAt,
  start,
  type Verification,
} from "./identity-fixtures";
import { addUser, createTenant, query } from "./tenancy-fixtures";

describe("identity verification", () => {
  it("opens a session at the provider and verifies the customer on its signed approval", async () => {
    const tenant = await createTenant("idv");
    const customer = await onboard(tenant);
    const requestId = `idv-${crypto.randomUUID()}`;
    const started = await api(`/api/v1/customers/${customer.id}/verifications`, {
      method: "POST",
      token: tenant.admin.token,
      headers: { "X-Request-Id": requestId },
    });
    expect(started.status, await started.clone().text()).toBe(201);
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    const verification = await started.json<Verification>();
    expect(verification).toMatchObject({ customer_id: customer.id, status: "pending", outcome: null });
    expect(verification.session_url).toBe(`https://verify.example/s/${verification.provider_session_id}`);

    // What the provider was sent: the person, our reference, where to call back; the key and idempotency key.
    const session = await sessionAt(verification.provider_session_id);
    expect(session).toMatchObject({
      reference: `${tenant.id}:${verification.id}`,
      person: { full_name: "Zoë Étienne Marchand", date_of_birth: "1990-07-14", country: "FR" },
      checks: ["document", "selfie"],
      authorization: `Bearer ${provider.apiKey}`,
      idempotency_key: verification.id,
    });
    expect(session.callback_url).toMatch(/\/api\/v1\/identity-verifications\/events$/);
    const pending = await customerOf(tenant, customer.id);
    expect(pending).toMatchObject({ kyc_status: "pending", kyc_level: 1 });
    expect(pending.risk_factors).toEqual([{ factor: "kyc_pending", points: 10 }]);

    // The provider approves: the document reads the name in capitals without accents, as passports do.
    const event = await decide(verification.provider_session_id, {
      decision: "approved",
      document: { full_name: "MARCHAND ZOE ETIENNE" },
    });
    const deliveryId = `idv-${crypto.randomUUID()}`;
    const delivered = await deliver(event, { "X-Request-Id": deliveryId });
    expect(delivered.status, await delivered.clone().text()).toBe(200);
    expect(await delivered.json()).toEqual({
      recorded: true,
      verification_id: verification.id,
      status: "verified",
    });
    expect(await databaseCalls(deliveryId)).toEqual({ http: 2, websocket: 0 });
    const verified = await customerOf(tenant, customer.id);
    expect(verified).toMatchObject({ kyc_status: "verified", kyc_level: 2, risk_rating: "low" });
    expect(verified.risk_factors).toEqual([]);
    const decided = await getVerification(tenant, verification.id);
    expect(decided).toMatchObject({ status: "verified", session_url: null });
    expect(decided.outcome).toMatchObject({
      decision: "approved",
      document: { result: "clear", type: "passport", issuing_country: "FR", expired: false },
      selfie: { result: "clear", liveness: "clear", similarity: 0.97 },
      date_of_birth_matches: true,
      reasons: [],
    });
    expect(decided.outcome?.name_similarity).toBeGreaterThan(0.95);
    // What is kept of the decision holds none of the document's personal values.
    const [row] = await query<{ outcome: unknown }>(
      sql`select outcome from identity_verifications where id = ${verification.id}`,
    );
    expect(JSON.stringify(row?.outcome)).not.toMatch(/MARCHAND|1990-07-14/);

    // The provider delivers again (it did not see the answer): nothing changes.
    const again = await deliver(event);
    expect(await again.json()).toMatchObject({ recorded: false, status: "verified" });
    // The customer's history names the verification; the decision is the system's, in the tenant's trail.
    const events = await query<{
      action: string;
      actor_type: string;
      summary: { after: Record<string, unknown> };
    }>(
      sql`select action, actor_type, summary from audit_events
           where tenant_id = ${tenant.id} and (resource_id = ${verification.id} or resource_id = ${customer.id})
           order by seq`,
    );
    expect(events.map((e) => [e.action, e.actor_type])).toEqual([
      ["customer.created", "user"],
      ["customer.updated", "user"],
      ["identity_verification.started", "user"],
      ["customer.updated", "system"],
      ["identity_verification.decided", "system"],
    ]);
    expect(events[3]?.summary.after).toMatchObject({
      kycStatus: "verified",
      identityVerification: verification.id,
    });
  });

  it("puts an approval that disagrees with the customer before another analyst", async () => {
    const tenant = await createTenant("idv");
    const starter = await addUser(tenant, "analyst");
    const reviewer = await addUser(tenant, "analyst");
    const customer = await onboard(tenant);
    const verification = await start(tenant, customer.id, starter.token);
    const event = await decide(verification.provider_session_id, {
      decision: "approved",
      document: { full_name: "HENRI DUPONT", date_of_birth: "1991-07-14", expiry_date: "2020-01-31" },
      selfie: { similarity: 0.42 },
    });
    expect(await (await deliver(event)).json()).toMatchObject({ status: "needs_review" });
    const held = await getVerification(tenant, verification.id);
    expect(held.outcome?.reasons.sort()).toEqual(
      ["date_of_birth_mismatch", "document_expired", "face_mismatch", "name_mismatch"].sort(),
    );
    expect(held.outcome).toMatchObject({ date_of_birth_matches: false, document: { expired: true } });
    expect(await customerOf(tenant, customer.id)).toMatchObject({ kyc_status: "pending" });
    const queue = await api("/api/v1/identity-verifications?status=needs_review", {
      token: tenant.admin.token,
    });
    expect((await queue.json<{ items: Verification[] }>()).items.map((v) => v.id)).toEqual([verification.id]);

    // While it is open no second verification starts.
    const second = await api(`/api/v1/customers/${customer.id}/verifications`, {
      method: "POST",
      token: tenant.admin.token,
    });
    expect(second.status).toBe(409);

    const review = (token: string, body: Record<string, unknown>) =>
      api(`/api/v1/identity-verifications/${verification.id}/review`, { token, body });
    const ownReview = await review(starter.token, { decision: "approve", note: "Looks fine to me." });
    expect(ownReview.status).toBe(403);
    expect((await problemOf(ownReview)).code).toBe("four_eyes");
    const rejected = await review(reviewer.token, { decision: "reject", note: "Another person's passport." });
    expect(rejected.status, await rejected.clone().text()).toBe(200);
    expect(await rejected.json<Verification>()).toMatchObject({
      status: "rejected",
      review: { by: reviewer.id, note: "Another person's passport." },
    });
    const after = await customerOf(tenant, customer.id);
    expect(after).toMatchObject({ kyc_status: "rejected", kyc_level: 1, risk_rating: "medium" });
    expect(after.risk_factors).toEqual([{ factor: "kyc_rejected", points: 40 }]);
    expect((await review(reviewer.token, { decision: "approve", note: "Changed my mind." })).status).toBe(
      409,
    );
  });
});
