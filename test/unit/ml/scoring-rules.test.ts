import { describe, expect, it } from "vitest";
import { bandOf, formatProbability } from "../../../src/ml/bands";
import type { Manifest } from "../../../src/ml/manifest";
import { linearContributions, logit, substitutionContributions, topReasons } from "../../../src/ml/reasons";
import { modelFiles } from "./model-files";

const lr = modelFiles("credit-lr").manifest as Manifest;
const gbdt = modelFiles("credit-gbdt").manifest as Manifest;

describe("risk bands", () => {
  it("CRITICAL above 15%, HIGH from 5%, MEDIUM from 2%, LOW below, at the exact boundaries", () => {
    const cases: Array<[number, string]> = [
      [0.1500001, "CRITICAL"],
      [0.15, "HIGH"],
      [0.05, "HIGH"],
      [0.0499999, "MEDIUM"],
      [0.02, "MEDIUM"],
      [0.0199999, "LOW"],
      [0, "LOW"],
      [1, "CRITICAL"],
    ];
    for (const [p, band] of cases) expect(bandOf(p, lr.bands), String(p)).toBe(band);
  });

  it("probabilities leave with 8 decimals; NaN, Infinity and values outside [0, 1] are refused", () => {
    expect(formatProbability(0.0006491373653245741)).toBe("0.00064914");
    expect(formatProbability(1)).toBe("1.00000000");
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -0.1, 1.5])
      expect(() => formatProbability(bad)).toThrow();
  });
});

describe("reason codes", () => {
  it("linear: baseline plus every contribution is the sample's logit", () => {
    for (const sample of lr.samples) {
      const contributions = linearContributions(sample.vector as number[], lr);
      const total = Object.values(contributions).reduce((a, b) => a + b, 0);
      const baseline = lr.reasonCodes.method === "linear" ? lr.reasonCodes.baseline : 0;
      expect(baseline + total).toBeCloseTo(logit(sample.probability), 6);
      for (const [feature, expected] of Object.entries(sample.contributions ?? {})) {
        expect(contributions[feature]).toBeCloseTo(expected, 9);
      }
    }
  });

  it("substitution: the logit difference with each feature at its reference, in manifest order", () => {
    const substituted = gbdt.features.map((_, i) => (i === 0 ? 0.2 : 0.1));
    const contributions = substitutionContributions(0.1, substituted, gbdt);
    expect(contributions.seniority).toBeCloseTo(logit(0.1) - logit(0.2), 12);
    expect(contributions.home).toBe(0);
    expect(Object.keys(contributions)).toEqual(gbdt.features.map((f) => f.name));
  });

  it("logit stays finite for probabilities that round to 0 or 1 in float32", () => {
    expect(Number.isFinite(logit(0))).toBe(true);
    expect(Number.isFinite(logit(1))).toBe(true);
    expect(logit(0)).toBeLessThan(-16);
  });

  it("the top reasons are the largest contributions, with their direction; zeros are left out", () => {
    const top = topReasons({ a: 0.5, b: -2, c: 0, d: 1e-12, e: 1 }, 3);
    expect(top).toEqual([
      { feature: "b", direction: "lowers_risk", contribution: -2 },
      { feature: "e", direction: "raises_risk", contribution: 1 },
      { feature: "a", direction: "raises_risk", contribution: 0.5 },
    ]);
    expect(topReasons({ a: 0, b: -0 })).toEqual([]);
  });
});
