import { describe, expect, it } from "vitest";
import { findHits, type Movement } from "../../../src/services/money-checks/monitoring";

const C = "11111111-1111-4111-8111-111111111111";
const D = "22222222-2222-4222-8222-222222222222";
let n = 0;
const m = (type: Movement["type"], amount: string, at: string, customerId = C): Movement => ({
  id: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
  customerId,
  type,
  amount,
  executedAt: new Date(at),
});
const run = (movements: Movement[], lastBefore: Record<string, string | null> = {}) =>
  findHits(movements, {
    threshold: "10000",
    currency: "USD",
    lastBefore: new Map(Object.entries(lastBefore).map(([k, v]) => [k, v ? new Date(v) : null])),
  });
const scenarios = (movements: Movement[], lastBefore: Record<string, string | null> = {}) =>
  run(movements, lastBefore).map((h) => h.scenario);

describe("monitoring scenarios", () => {
  it("structuring: deposits just under the threshold within 7 days, across days", () => {
    const a = m("deposit", "9500", "2026-11-02T10:00:00Z");
    const b = m("deposit", "9900", "2026-11-05T10:00:00Z");
    const hits = run([a, b, m("deposit", "9800", "2026-11-20T10:00:00Z")]);
    expect(hits.filter((h) => h.scenario === "structuring")).toEqual([
      expect.objectContaining({ customerId: C, transactionIds: [a.id, b.id], amount: "19400" }),
    ]);
    // At the threshold is reported anyway (a CTR); well under it is not "just under"; 8 days apart is two windows.
    expect(
      scenarios([
        m("deposit", "10000", "2026-11-02T10:00:00Z"),
        m("deposit", "10000", "2026-11-03T10:00:00Z"),
      ]),
    ).not.toContain("structuring");
    expect(
      scenarios([m("deposit", "7900", "2026-11-02T10:00:00Z"), m("deposit", "7999", "2026-11-03T10:00:00Z")]),
    ).not.toContain("structuring");
    expect(
      scenarios([m("deposit", "9500", "2026-11-02T10:00:00Z"), m("deposit", "9500", "2026-11-10T10:00:01Z")]),
    ).not.toContain("structuring");
    // Two customers' deposits are not one customer's.
    expect(
      scenarios([
        m("deposit", "9500", "2026-11-02T10:00:00Z"),
        m("deposit", "9500", "2026-11-03T10:00:00Z", D),
      ]),
    ).not.toContain("structuring");
  });

  it("rapid in and out: most of a deposit withdrawn within 48 hours", () => {
    const hits = run([
      m("deposit", "5000", "2026-11-02T10:00:00Z"),
      m("withdrawal", "2500", "2026-11-02T18:00:00Z"),
      m("withdrawal", "2000", "2026-11-04T09:00:00Z"),
    ]);
    expect(hits.map((h) => h.scenario)).toEqual(["rapid_in_out"]);
    expect(hits[0]?.transactionIds).toHaveLength(3);
    // Less than 90% out, or out after 48 hours, or a deposit too small to matter: nothing.
    expect(
      scenarios([
        m("deposit", "5000", "2026-11-02T10:00:00Z"),
        m("withdrawal", "4400", "2026-11-03T10:00:00Z"),
      ]),
    ).toEqual([]);
    expect(
      scenarios([
        m("deposit", "5000", "2026-11-02T10:00:00Z"),
        m("withdrawal", "5000", "2026-11-04T10:00:01Z"),
      ]),
    ).toEqual([]);
    expect(
      scenarios([
        m("deposit", "900", "2026-11-02T10:00:00Z"),
        m("withdrawal", "900", "2026-11-02T11:00:00Z"),
      ]),
    ).toEqual([]);
  });

  it("round amounts: three whole thousands within 30 days", () => {
    expect(
      scenarios([
        m("deposit", "3000", "2026-11-01T10:00:00Z"),
        m("withdrawal", "1000.00", "2026-11-15T10:00:00Z"),
        m("deposit", "5000", "2026-11-30T10:00:00Z"),
      ]),
    ).toEqual(["round_amounts"]);
    expect(
      scenarios([
        m("deposit", "3000", "2026-11-01T10:00:00Z"),
        m("deposit", "1000.50", "2026-11-15T10:00:00Z"),
        m("deposit", "500", "2026-11-20T10:00:00Z"),
        m("deposit", "5000", "2026-12-02T10:00:00Z"),
      ]),
    ).toEqual([]);
  });

  it("dormant then active: 180 quiet days, then half the threshold within 7 days", () => {
    const burst = [
      m("deposit", "3000", "2026-11-01T10:00:00Z"),
      m("withdrawal", "2100", "2026-11-03T10:00:00Z"),
    ];
    expect(scenarios(burst, { [C]: "2026-04-01T10:00:00Z" })).toEqual(["dormant_then_active"]);
    expect(scenarios(burst, { [C]: "2026-06-01T10:00:00Z" })).toEqual([]);
    // A new customer has no dormancy.
    expect(scenarios(burst, { [C]: null })).toEqual([]);
  });

  it("fan in, then out: five small deposits, then one withdrawal of most of them", () => {
    const small = ["800", "650", "900", "720", "880"].map((amount, i) =>
      m("deposit", amount, `2026-11-0${i + 1}T10:00:00Z`),
    );
    const out = m("withdrawal", "3300", "2026-11-09T10:00:00Z");
    const hits = run([...small, out]);
    expect(hits.map((h) => h.scenario)).toEqual(["fan_in_out"]);
    expect(hits[0]?.transactionIds).toEqual([...small.map((s) => s.id), out.id]);
    expect(hits[0]?.reasons[0]?.detail).toContain("3950.00 USD");
    // Four deposits, or a withdrawal of under 80% of them, is not the pattern.
    expect(scenarios([...small.slice(1), out])).toEqual([]);
    expect(scenarios([...small, m("withdrawal", "3100", "2026-11-09T10:00:00Z")])).toEqual([]);
  });
});
