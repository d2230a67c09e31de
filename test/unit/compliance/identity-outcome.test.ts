/**
 * What a provider's decision means here, worked through: approvals that agree with the customer verify it,
 * those that do not go to review with each finding named; declines, lapses and returned attempts; the KYC
 * standing each result leaves; and the callback's signature against a vector computed outside the Worker.
 */
import { describe, expect, it } from "vitest";
import { assessDecision, standingAfter } from "../../../src/services/compliance/identity-outcome";
import {
  type ProviderEvent,
  referenceOf,
  signatureHolds,
} from "../../../src/services/compliance/identity-provider";

const stated = { name: "Jürgen Müller-Lüdenscheidt", date_of_birth: "1975-02-28" };
const TODAY = "2026-12-05";

const DOCUMENT = {
  result: "clear" as const,
  type: "id_card" as const,
  issuing_country: "DE",
  expiry_date: "2029-05-31",
  full_name: "MUELLER-LUEDENSCHEIDT JUERGEN",
  date_of_birth: "1975-02-28",
};

const approved = (overrides: Partial<ProviderEvent> = {}): ProviderEvent => ({
  id: "evt_1",
  type: "verification.decided",
  created_at: "2026-12-05T10:00:00Z",
  session: { id: "ses_1", reference: "x" },
  decision: "approved",
  reasons: [],
  document: DOCUMENT,
  selfie: { result: "clear", liveness: "clear", similarity: 0.91 },
  ...overrides,
});

describe("a provider's decision", () => {
  it("verifies an approval whose document is the customer's, transliterated and in another order", () => {
    const { status, outcome } = assessDecision(approved(), stated, TODAY);
    expect(status).toBe("verified");
    expect(outcome.reasons).toEqual([]);
    expect(outcome.nameSimilarity).toBeGreaterThanOrEqual(0.85);
    expect(outcome.dateOfBirthMatches).toBe(true);
    expect(outcome.document).toEqual({
      result: "clear",
      type: "id_card",
      issuingCountry: "DE",
      expired: false,
    });
    // The machine-readable zone's other transliteration (Müller as MULLER) is the customer's too.
    const plain = approved({ document: { ...DOCUMENT, full_name: "MULLER-LUDENSCHEIDT JURGEN" } });
    expect(assessDecision(plain, stated, TODAY).status).toBe("verified");
    // Nothing personal is kept: neither the document's name nor its date of birth.
    expect(JSON.stringify(outcome)).not.toMatch(/MUELLER|1975/);
  });

  it("names every disagreement of an approval, and sends it to review", () => {
    const cases: Array<[string, ProviderEvent, string[]]> = [
      [
        "another name",
        approved({ document: { ...DOCUMENT, full_name: "SCHMIDT PETRA" } }),
        ["name_mismatch"],
      ],
      [
        "another birthday",
        approved({ document: { ...DOCUMENT, date_of_birth: "1975-03-01" } }),
        ["date_of_birth_mismatch"],
      ],
      [
        "no birthday read",
        approved({ document: { ...DOCUMENT, date_of_birth: null } }),
        ["date_of_birth_unread"],
      ],
      [
        "expired yesterday",
        approved({ document: { ...DOCUMENT, expiry_date: "2026-12-04" } }),
        ["document_expired"],
      ],
      [
        "a doubtful document",
        approved({ document: { ...DOCUMENT, result: "consider" } }),
        ["document_not_clear"],
      ],
      ["no document", approved({ document: null }), ["document_missing"]],
      [
        "another face",
        approved({ selfie: { result: "clear", liveness: "clear", similarity: 0.79 } }),
        ["face_mismatch"],
      ],
      [
        "a mask",
        approved({ selfie: { result: "consider", liveness: "consider", similarity: 0.9 } }),
        ["selfie_not_clear", "liveness_not_clear"],
      ],
      ["no selfie", approved({ selfie: null }), ["selfie_missing"]],
    ];
    for (const [name, event, reasons] of cases) {
      const { status, outcome } = assessDecision(event, stated, TODAY);
      expect(status, name).toBe("needs_review");
      expect(outcome.reasons, name).toEqual(reasons);
    }
    // The day it expires, a document is still valid.
    expect(
      assessDecision(approved({ document: { ...DOCUMENT, expiry_date: TODAY } }), stated, TODAY).status,
    ).toBe("verified");
  });

  it("rejects a decline, and closes lapsed or returned attempts with the provider's reasons", () => {
    expect(
      assessDecision(approved({ decision: "declined", reasons: ["fraud_suspected"] }), stated, TODAY),
    ).toMatchObject({
      status: "rejected",
      outcome: { decision: "declined", reasons: ["provider:fraud_suspected"] },
    });
    expect(
      assessDecision(approved({ decision: "expired", document: null, selfie: null }), stated, TODAY).status,
    ).toBe("expired");
    expect(
      assessDecision(
        approved({ decision: "resubmission_requested", reasons: ["photo_blurry"] }),
        stated,
        TODAY,
      ),
    ).toMatchObject({ status: "resubmission_requested", outcome: { reasons: ["provider:photo_blurry"] } });
  });

  it("leaves the customer's KYC standing where each result puts it", () => {
    const unverified = { kycStatus: "unverified" as const, kycLevel: 1 };
    const pending = { kycStatus: "pending" as const, kycLevel: 1 };
    const verified = { kycStatus: "verified" as const, kycLevel: 3 };
    expect(standingAfter("pending", unverified)).toEqual(pending);
    expect(standingAfter("pending", verified)).toEqual(verified);
    expect(standingAfter("verified", pending)).toEqual({ kycStatus: "verified", kycLevel: 2 });
    expect(standingAfter("verified", verified)).toEqual(verified);
    expect(standingAfter("rejected", verified)).toEqual({ kycStatus: "rejected", kycLevel: 1 });
    expect(standingAfter("needs_review", pending)).toEqual(pending);
    expect(standingAfter("expired", pending)).toEqual(unverified);
    expect(standingAfter("resubmission_requested", pending)).toEqual(unverified);
    expect(standingAfter("expired", verified)).toEqual(verified);
  });
});

describe("the callback's signature", () => {
  // HMAC-SHA256("whsec-finedge-test-0123456789", '1764900000.{"id":"evt_1"}'), computed with Python's hmac.
  const secret = "whsec-finedge-test-0123456789";
  const body = '{"id":"evt_1"}';
  const mac = "18494b07cf192542cba89cef0090765489c974bb09ec283a6d99a1f80bf956c4";
  const at = new Date(1_764_900_000 * 1000);

  it("holds for the provider's secret, inside the window, over the exact body", async () => {
    expect(await signatureHolds([secret], `t=1764900000,v1=${mac}`, body, at)).toBe(true);
    // While the provider rotates: an old and a new signature, and our secrets current-first.
    expect(
      await signatureHolds(
        ["another-secret-value", secret],
        `t=1764900000,v1=${"ab".repeat(32)},v1=${mac}`,
        body,
        at,
      ),
    ).toBe(true);
    expect(
      await signatureHolds([secret], `t=1764900000,v1=${mac}`, body, new Date(at.getTime() + 299_000)),
    ).toBe(true);
  });

  it("fails for another body, secret, time or a malformed header", async () => {
    const header = `t=1764900000,v1=${mac}`;
    expect(await signatureHolds([secret], header, '{"id":"evt_2"}', at)).toBe(false);
    expect(await signatureHolds(["whsec-finedge-test-0123456780"], header, body, at)).toBe(false);
    expect(await signatureHolds([secret], header, body, new Date(at.getTime() + 301_000))).toBe(false);
    expect(await signatureHolds([secret], header, body, new Date(at.getTime() - 301_000))).toBe(false);
    expect(await signatureHolds([secret], `t=1764900001,v1=${mac}`, body, at)).toBe(false);
    for (const malformed of [
      undefined,
      "",
      `v1=${mac}`,
      "t=1764900000",
      `t=abc,v1=${mac}`,
      `t=1764900000,v1=${mac.slice(2)}`,
    ]) {
      expect(await signatureHolds([secret], malformed, body, at), String(malformed)).toBe(false);
    }
  });

  it("names the tenant and verification only in a reference of ours", () => {
    const tenant = "0b7e4bd4-7d1c-4d59-9d7e-8a1f0c6b2a10";
    const verification = "5f0d3c4e-2a6b-4c1d-8e9f-0a1b2c3d4e5f";
    expect(referenceOf(`${tenant}:${verification}`)).toEqual({
      tenantId: tenant,
      verificationId: verification,
    });
    for (const other of ["", tenant, `${tenant}:${verification}:x`, `${tenant}:nope`, "a:b"]) {
      expect(referenceOf(other), other).toBeNull();
    }
  });
});
