import { describe, expect, it } from "vitest";
import type { SanctionsMatchRow } from "../../../src/db/repositories/sanctions.repository";
import { assessRisk } from "../../../src/services/compliance/customer-risk";
import { liveHits, screeningOutcome } from "../../../src/services/compliance/sanctions-screening";
import type { SanctionsCandidate } from "../../../src/services/compliance/sanctions-store";

const TENANT = "00000000-0000-4000-8000-000000000001";
const CUSTOMER = "00000000-0000-4000-8000-000000000002";
const OLD_LIST = "00000000-0000-4000-8000-000000000003";
const NEW_LIST = "00000000-0000-4000-8000-000000000004";

const candidate = (over: Partial<SanctionsCandidate> = {}): SanctionsCandidate => ({
  entryUid: 9001,
  entryName: "KORVALENKO, Dmitriy Arkadyevich",
  entryType: "individual",
  programs: ["RUSSIA-EO14024"],
  matchedName: "KORVALENKO, Dmitri",
  aliasType: "aka",
  weak: false,
  score: 0.9731,
  ...over,
});

const row = (over: Partial<SanctionsMatchRow> = {}): SanctionsMatchRow => ({
  id: crypto.randomUUID(),
  tenantId: TENANT,
  customerId: CUSTOMER,
  listId: OLD_LIST,
  origin: "list",
  entryUid: 9001,
  entryName: "KORVALENKO, Dmitriy Arkadyevich",
  entryType: "individual",
  programs: ["RUSSIA-EO14024"],
  matchedName: "KORVALENKO, Dmitri",
  aliasType: "aka",
  weak: false,
  score: 0.9731,
  status: "open",
  supersededAt: null,
  decidedAt: null,
  decidedByType: null,
  decidedById: null,
  decisionReason: null,
  createdAt: new Date("2026-01-01T00:00:00Z"),
  updatedAt: new Date("2026-01-01T00:00:00Z"),
  ...over,
});

const screen = (candidates: SanctionsCandidate[], existing: SanctionsMatchRow[]) =>
  screeningOutcome({
    tenantId: TENANT,
    customerId: CUSTOMER,
    listId: NEW_LIST,
    origin: "list",
    candidates,
    existing,
  });

describe("a screening's outcome", () => {
  it("writes each candidate open on the list screened, and keeps exactly those", () => {
    const outcome = screen([candidate(), candidate({ entryUid: 9002, score: 0.88 })], []);
    expect(outcome.rows.map((r) => [r.listId, r.entryUid, r.status])).toEqual([
      [NEW_LIST, 9001, "open"],
      [NEW_LIST, 9002, "open"],
    ]);
    expect(outcome.kept).toEqual([
      { customerId: CUSTOMER, listId: NEW_LIST, entryUid: 9001 },
      { customerId: CUSTOMER, listId: NEW_LIST, entryUid: 9002 },
    ]);
    expect([outcome.open, outcome.confirmed]).toEqual([2, 0]);
  });

  it("carries the latest decision over to the same finding only", () => {
    const dismissed = row({
      status: "dismissed",
      decidedAt: new Date("2026-02-01T00:00:00Z"),
      decidedByType: "user",
      decidedById: "00000000-0000-4000-8000-000000000005",
      decisionReason: "Different date of birth.",
      supersededAt: new Date("2026-03-01T00:00:00Z"),
    });
    const laterConfirmed = row({
      status: "confirmed",
      decidedAt: new Date("2026-02-15T00:00:00Z"),
      decidedByType: "user",
      decidedById: "00000000-0000-4000-8000-000000000005",
      decisionReason: "Same passport.",
    });
    const same = screen([candidate()], [dismissed, laterConfirmed]);
    expect(same.rows[0]).toMatchObject({ status: "confirmed", decisionReason: "Same passport." });
    expect([same.open, same.confirmed]).toEqual([0, 1]);

    // Another listed name, or another score (another customer name), is a new finding: open.
    const otherName = screen(
      [candidate({ matchedName: "KORVALENKO, Dmitriy Arkadyevich", score: 1 })],
      [dismissed],
    );
    expect(otherName.rows[0]).toMatchObject({ status: "open", decidedAt: null, decisionReason: null });
    const otherScore = screen([candidate({ score: 0.91 })], [dismissed]);
    expect(otherScore.rows[0]?.status).toBe("open");
  });

  it("counts only live matches towards the rating: open 60 points, confirmed 100, dismissed nothing", () => {
    const superseded = row({ supersededAt: new Date() });
    expect(liveHits([row(), superseded, row({ status: "dismissed" }), row({ status: "confirmed" })])).toEqual(
      {
        open: 1,
        confirmed: 1,
      },
    );
    const base = { kind: "person" as const, country: "GB", pep: false, kycStatus: "verified" as const };
    expect(assessRisk({ ...base, openSanctionsHits: 1 }).rating).toBe("high");
    expect(assessRisk({ ...base, openSanctionsHits: 0, confirmedSanctionsHits: 1 })).toEqual({
      rating: "high",
      factors: [{ factor: "sanctions_confirmed_match", points: 100 }],
    });
    expect(assessRisk({ ...base, openSanctionsHits: 0, confirmedSanctionsHits: 0 }).rating).toBe("low");
  });
});
