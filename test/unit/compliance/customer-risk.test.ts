import { describe, expect, it } from "vitest";
import { assessRisk, type RiskInputs } from "../../../src/services/compliance/customer-risk";

const base: RiskInputs = {
  kind: "person",
  country: "GB",
  pep: false,
  kycStatus: "verified",
  openSanctionsHits: 0,
};

describe("a customer's risk rating", () => {
  it("is low with nothing against it, and explains itself with no factors", () => {
    expect(assessRisk(base)).toEqual({ rating: "low", factors: [] });
  });

  it("adds each stated factor's points and bands the sum: 20 medium, 50 high", () => {
    expect(assessRisk({ ...base, kycStatus: "unverified" }).rating).toBe("low"); // 15
    expect(assessRisk({ ...base, country: "KE" }).rating).toBe("medium"); // 25
    expect(assessRisk({ ...base, pep: true }).rating).toBe("medium"); // 30
    expect(assessRisk({ ...base, pep: true, kind: "entity", kycStatus: "unverified" }).rating).toBe("high"); // 50
    expect(assessRisk({ ...base, country: "KP" })).toEqual({
      rating: "high",
      factors: [{ factor: "country_call_for_action", points: 60 }],
    });
    expect(assessRisk({ ...base, openSanctionsHits: 1 }).rating).toBe("high");
    expect(assessRisk({ ...base, kycStatus: "rejected" }).rating).toBe("medium"); // 40
  });

  it("counts a country once, on the stricter list", () => {
    const factors = assessRisk({ ...base, country: "IR" }).factors.map((f) => f.factor);
    expect(factors).toEqual(["country_call_for_action"]);
  });
});
