import { parse } from "csv-parse/sync";
import { nameSimilarity } from "../../src/services/compliance/name-matching";
import type { NameKind } from "../../src/services/compliance/name-normalization";

/** One labelled pair of test/fixtures/sanctions/name-pairs.csv, with the matcher's score. */
export interface ScoredPair {
  query: string;
  listed: string;
  same: boolean;
  kind: string;
  /** How the listed name is read: a person's when written `LAST, First`, an entity's otherwise. */
  listedKind: NameKind;
  score: number;
}

export interface Evaluation {
  threshold: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  precision: number;
  recall: number;
  f1: number;
  /** The pairs the threshold puts on the wrong side, lowest score first. */
  misclassified: ScoredPair[];
}

/** Scores every pair of the labelled set (the CSV's text). */
export function scorePairs(csv: string): ScoredPair[] {
  const rows = parse(csv, { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
  return rows.map((row) => {
    const listed = row.listed as string;
    const listedKind: NameKind = /,\s*\p{Lu}\p{Ll}/u.test(listed) ? "individual" : "entity";
    if (row.same !== "0" && row.same !== "1") throw new Error(`bad label in ${JSON.stringify(row)}`);
    const score = nameSimilarity(row.query as string, listed, ["unknown", listedKind]);
    return {
      query: row.query as string,
      listed,
      same: row.same === "1",
      kind: row.kind as string,
      listedKind,
      score,
    };
  });
}

export function evaluate(pairs: ScoredPair[], threshold: number): Evaluation {
  const count = (same: boolean, matched: boolean) =>
    pairs.filter((p) => p.same === same && p.score >= threshold === matched).length;
  const [truePositives, falsePositives] = [count(true, true), count(false, true)];
  const [falseNegatives, trueNegatives] = [count(true, false), count(false, false)];
  const precision = truePositives / (truePositives + falsePositives || 1);
  const recall = truePositives / (truePositives + falseNegatives || 1);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const misclassified = pairs
    .filter((p) => p.same !== p.score >= threshold)
    .sort((a, b) => a.score - b.score);
  return {
    threshold,
    truePositives,
    falsePositives,
    falseNegatives,
    trueNegatives,
    precision,
    recall,
    f1,
    misclassified,
  };
}

/** The figures as lines of text, for a test's output or the README. */
export function report(evaluation: Evaluation): string[] {
  const e = evaluation;
  return [
    `threshold ${e.threshold.toFixed(2)}: precision ${e.precision.toFixed(3)}, recall ${e.recall.toFixed(3)}, ` +
      `F1 ${e.f1.toFixed(3)} (TP ${e.truePositives}, FP ${e.falsePositives}, FN ${e.falseNegatives}, TN ${e.trueNegatives})`,
    ...e.misclassified.map(
      (p) =>
        `  ${p.same ? "missed" : "false match"} ${p.score.toFixed(3)} [${p.kind}] ${p.query} ~ ${p.listed}`,
    ),
  ];
}
