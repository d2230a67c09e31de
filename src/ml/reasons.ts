/**
 * Reason codes, by the manifest's method (models/README.md, "Reason codes"); contributions are in logit
 * units and a positive one raises the risk.
 */
import type { Manifest } from "./manifest";

/** logit(p), with p kept off 0 and 1: a float32 probability can round to either, and logit must stay finite. */
export function logit(p: number): number {
  const eps = 2 ** -24;
  const q = Math.min(Math.max(p, eps), 1 - eps);
  return Math.log(q / (1 - q));
}

/** `linear`: per feature, the sum over its columns of coef * (x - reference). */
export function linearContributions(vector: number[], manifest: Manifest): Record<string, number> {
  const rc = manifest.reasonCodes;
  if (rc.method !== "linear") throw new Error("not a linear model");
  const out: Record<string, number> = Object.fromEntries(manifest.features.map((f) => [f.name, 0]));
  rc.columns.forEach((c, i) => {
    out[c.feature] = (out[c.feature] ?? 0) + c.coef * ((vector[i] as number) - c.reference);
  });
  return out;
}

/** `substitution`: logit(p(x)) - logit(p(x with the feature at its reference)), features in manifest order. */
export function substitutionContributions(
  probability: number,
  substituted: ArrayLike<number>,
  manifest: Manifest,
): Record<string, number> {
  const base = logit(probability);
  const contributions: Record<string, number> = {};
  manifest.features.forEach((f, i) => {
    const copy = substituted[i] as number;
    // A copy scored the same as the application contributes exactly nothing.
    contributions[f.name] = copy === probability ? 0 : base - logit(copy);
  });
  return contributions;
}

/** One reason code: a feature that moved the score, which way, by how much. */
export interface ReasonCode {
  feature: string;
  direction: "raises_risk" | "lowers_risk";
  contribution: number;
}

/** The features that moved the score most (largest absolute contribution first), zeros left out. */
export function topReasons(contributions: Record<string, number>, count = 5): ReasonCode[] {
  return Object.entries(contributions)
    .filter(([, c]) => Math.abs(c) > 1e-9)
    .sort(([a, x], [b, y]) => Math.abs(y) - Math.abs(x) || a.localeCompare(b))
    .slice(0, count)
    .map(([feature, c]) => ({
      feature,
      direction: c > 0 ? "raises_risk" : "lowers_risk",
      contribution: round(c, 6),
    }));
}

/** Rounds to `digits` decimals; -0 becomes 0 (it means nothing to a client). */
export const round = (value: number, digits: number): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor + 0;
};
