/**
 * Loan application -> input vector, from the manifest alone (the TypeScript twin of
 * models/training/vectorise.py): absent or null fields take the feature's impute value, numbers outside
 * [min, max] and unknown categories are refused, categories are one-hot encoded in `vector` order.
 */
import type { Manifest } from "./manifest";
import type { Issue } from "./manifest-rules";

export type RawValue = number | string;

/** A validated application: each feature's value and which ones were imputed. */
export interface CreditValues {
  values: Record<string, RawValue>;
  imputed: string[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Validates and imputes an application; every problem is reported, not just the first. */
export function creditValues(input: unknown, manifest: Manifest): CreditValues | { issues: Issue[] } {
  if (!isObject(input)) return { issues: [{ pointer: "", message: "must be a JSON object" }] };
  const issues: Issue[] = [];
  const values: Record<string, RawValue> = {};
  const imputed: string[] = [];
  const known = new Set(manifest.features.map((f) => f.name));
  for (const key of Object.keys(input)) {
    if (!known.has(key)) issues.push({ pointer: `/${key}`, message: "is not a field of this model" });
  }
  for (const feature of manifest.features) {
    let value = input[feature.name];
    if (value === undefined || value === null) {
      value = feature.impute;
      imputed.push(feature.name);
    }
    const pointer = `/${feature.name}`;
    if (feature.type === "number") {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        issues.push({ pointer, message: "expected a finite number" });
        continue;
      }
      if (value < feature.min || value > feature.max) {
        if (feature.outOfRange === "reject") {
          issues.push({ pointer, message: `${value} is outside [${feature.min}, ${feature.max}]` });
          continue;
        }
        value = Math.min(Math.max(value, feature.min), feature.max);
      }
    } else if (typeof value !== "string" || !feature.categories.includes(value)) {
      issues.push({ pointer, message: `expected one of ${feature.categories.join(", ")}` });
      continue;
    }
    values[feature.name] = value as RawValue;
  }
  return issues.length > 0 ? { issues } : { values, imputed };
}

/** The vector of validated values: a number column is the value, `feature=level` is 1 or 0. */
export function creditVector(values: Record<string, RawValue>, manifest: Manifest): number[] {
  return manifest.vector.map((column) => {
    const at = column.indexOf("=");
    if (at < 0) return Number(values[column]);
    return values[column.slice(0, at)] === column.slice(at + 1) ? 1 : 0;
  });
}

/** For substitution reason codes: per feature, the vector with that feature set to its reference. */
export function substitutedVectors(values: Record<string, RawValue>, manifest: Manifest): number[][] {
  if (manifest.reasonCodes.method !== "substitution") return [];
  const reference = manifest.reasonCodes.reference;
  return manifest.features.map((f) =>
    creditVector({ ...values, [f.name]: reference[f.name] as RawValue }, manifest),
  );
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A CSV record's strings typed by the manifest: an empty cell is absent (imputed), a number column's
 * text becomes a number when it is one (otherwise it stays text and is refused as such).
 */
export function typedCsvRecord(record: Record<string, string>, manifest: Manifest): Record<string, unknown> {
  const types = new Map(manifest.features.map((f) => [f.name, f.type]));
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(record)) {
    const text = raw.trim();
    if (text === "") continue;
    out[key] = types.get(key) === "number" && NUMERIC.test(text) ? Number(text) : text;
  }
  return out;
}
