/**
 * Identity verification's refusals: callbacks without a good signature, a second decision for a decided
 * verification, lapsed and returned sessions, what cannot be verified, and a provider that is down.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { problemOf } from "./helpers";
import {
  customerOf,
  decide,
  deliver,
  getVerification,
  onboard,
  person,
  start,
  type Verification,
} from "./identity-fixtures";
import { createTenant, query } from "./tenancy-fixtures";

describe("identity verification's refusals", () => {
  it("refuses callbacks without a good signature, and changes nothing", async () => {
    const tenant = await createTenant("idv");
    const customer = await onboard(tenant);
    const verification = await start(tenant, customer.id);
    const event = await decide(verification.provider_session_id, { decision: "approved" });
    const [t, mac] = event.signature.split(",");
    const cases = {
      unsigned: { body: event.body },
      "signed with another secret": { body: event.body, signature: `${t},v1=${"0".repeat(64)}` },
      "body changed after signing": {
        body: event.body.replace('"approved"', '"declined"'),
        signature: event.signature,
      },
      "signature without its time": { body: event.body, signature: mac },
    };
    for (const [name, attempt] of Object.entries(cases)) {
      const response = await deliver(attempt);
      expect(response.status, name).toBe(401);
      expect((await problemOf(response)).code, name).toBe("unauthorized");
    }
    // Signed properly, but ten minutes ago: a replay outside the window.
    const stale = await decide(verification.provider_session_id, {
      decision: "approved",
      signed_offset_s: -600,
    });
    expect((await deliver(stale)).status).toBe(401);
    expect(await getVerification(tenant, verification.id)).toMatchObject({ status: "pending" });
    expect(await customerOf(tenant, customer.id)).toMatchObject({ kyc_status: "pending" });

    // A different decision for a verification decided already is refused, visible in the provider's log.
    expect((await deliver(event)).status).toBe(200);
    const later = await decide(verification.provider_session_id, { decision: "declined" });
    const conflict = await deliver(later);
    expect(conflict.status).toBe(409);
    expect(await getVerification(tenant, verification.id)).toMatchObject({ status: "verified" });
  });

  it("rejects on a declined check, and takes the customer back to unverified when the session lapses", async () => {
    const tenant = await createTenant("idv");
    const declinedCustomer = await onboard(tenant);
    const declined = await start(tenant, declinedCustomer.id);
    const declinedEvent = await decide(declined.provider_session_id, {
      decision: "declined",
      reasons: ["document_tampered"],
      document: { result: "consider" },
    });
    expect(await (await deliver(declinedEvent)).json()).toMatchObject({ status: "rejected" });
    expect((await getVerification(tenant, declined.id)).outcome?.reasons).toEqual([
      "provider:document_tampered",
    ]);
    expect(await customerOf(tenant, declinedCustomer.id)).toMatchObject({ kyc_status: "rejected" });

    const lapsing = await onboard(tenant);
    const first = await start(tenant, lapsing.id);
    expect(
      await (await deliver(await decide(first.provider_session_id, { decision: "expired" }))).json(),
    ).toMatchObject({
      status: "expired",
    });
    expect(await customerOf(tenant, lapsing.id)).toMatchObject({ kyc_status: "unverified", kyc_level: 1 });

    // A session that lapsed without a word from the provider does not stand in the way of a new one.
    const second = await start(tenant, lapsing.id);
    await query(
      sql`update identity_verifications set expires_at = now() - interval '1 minute' where id = ${second.id}`,
    );
    const third = await start(tenant, lapsing.id);
    expect(await getVerification(tenant, second.id)).toMatchObject({
      status: "expired",
      outcome: { reasons: ["session_lapsed"] },
    });
    const listed = await api(`/api/v1/identity-verifications?customer_id=${lapsing.id}`, {
      token: tenant.admin.token,
    });
    expect((await listed.json<{ items: Verification[] }>()).items.map((v) => [v.id, v.status])).toEqual([
      [third.id, "pending"],
      [second.id, "expired"],
      [first.id, "expired"],
    ]);
  });

  it("refuses what cannot be verified, and writes nothing when the provider is down", async () => {
    const tenant = await createTenant("idv");
    const startOf = (id: string) =>
      api(`/api/v1/customers/${id}/verifications`, { method: "POST", token: tenant.admin.token });
    const entity = await onboard(tenant, {
      kind: "entity",
      country: "DE",
      identity: { name: "Beispiel GmbH" },
    });
    expect((await startOf(entity.id)).status).toBe(422);
    const undated = await onboard(tenant, person("Nadia Okafor", null));
    const refusal = await startOf(undated.id);
    expect(refusal.status).toBe(422);
    expect((await problemOf(refusal)).errors?.[0]?.message).toMatch(/date of birth/);
    expect((await startOf(crypto.randomUUID())).status).toBe(404);
    const elsewhere = await onboard(await createTenant("idv-other"));
    expect((await startOf(elsewhere.id)).status).toBe(404);

    const outage = await onboard(tenant, person("Provider Outage"));
    const unavailable = await startOf(outage.id);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get("retry-after")).toBe("30");
    expect(await query(sql`select id from identity_verifications where customer_id = ${outage.id}`)).toEqual(
      [],
    );
    expect(await customerOf(tenant, outage.id)).toMatchObject({ kyc_status: "unverified" });

    // A signed event naming no verification of ours (or another session) finds nothing.
    const customer = await onboard(tenant);
    const verification = await start(tenant, customer.id);
    const event = await decide(verification.provider_session_id, { decision: "approved" });
    await query(
      sql`update identity_verifications set provider_session_id = ${`ses_${crypto.randomUUID()}`} where id = ${verification.id}`,
    );
    expect((await deliver(event)).status).toBe(404);
  });
});
