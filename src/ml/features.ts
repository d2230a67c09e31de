import { corporateFeatures, corporateStatement, corporateVector, type Statement } from "./corporate-features";
import { creditValues, creditVector, type RawValue, substitutedFeatures } from "./credit-features";
import type { Manifest } from "./manifest";
import type { Issue } from "./manifest-rules";

/** One request made ready for the model: its vector and what it was built from. */
export interface PreparedInput {
  vector: number[];
  /** Credit: the validated (imputed) raw values; statements: the derived feature values. */
  values: Record<string, RawValue>;
  imputed: string[];
  /** Statements only: the annual-style statement the features came from. */
  statement: Statement | null;
  /**
   * Substitution reason codes: the features (indexes into the manifest's features) whose copy - the vector
   * with that feature at its reference - is scored in the same batch; every other feature is at its reference.
   */
  substituted: number[];
}

/** Builds the model's input from a raw request, as the manifest describes; all issues at once. */
export function prepareInput(input: unknown, manifest: Manifest): PreparedInput | { issues: Issue[] } {
  if (manifest.rawInput.kind === "loan-application") {
    const result = creditValues(input, manifest);
    if ("issues" in result) return result;
    const vector = creditVector(result.values, manifest);
    return {
      vector,
      values: result.values,
      imputed: result.imputed,
      statement: null,
      substituted: substitutedFeatures(result.values, manifest),
    };
  }
  const result = corporateStatement(input, manifest);
  if ("issues" in result) return result;
  const derived = corporateFeatures(result.statement, manifest);
  if ("issues" in derived) return derived;
  return {
    vector: corporateVector(derived.features, manifest),
    values: derived.features,
    imputed: [],
    statement: result.statement,
    substituted: [],
  };
}

/** The vector as a column -> value record, as predictions store it. */
export const namedVector = (vector: number[], manifest: Manifest): Record<string, number> =>
  Object.fromEntries(manifest.vector.map((column, i) => [column, vector[i] as number]));
