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

/**
 * What encoding an application needs of its manifest, worked out once per manifest (a bulk chunk encodes
 * thousands of rows, each with a copy per feature): each vector column's feature and, for a one-hot
 * column, its level; each feature's columns; each feature's type.
 */
interface Encoding {
  columns: Array<{ feature: string; level: string | null }>;
  columnsOf: Map<string, number[]>;
  types: Map<string, Manifest["features"][number]["type"]>;
}

const encodings = new WeakMap<Manifest, Encoding>();

function encodingOf(manifest: Manifest): Encoding {
  let encoding = encodings.get(manifest);
  if (!encoding) {
    const columns = manifest.vector.map((column) => {
      const at = column.indexOf("=");
      return at < 0
        ? { feature: column, level: null }
        : { feature: column.slice(0, at), level: column.slice(at + 1) };
    });
    const columnsOf = new Map<string, number[]>();
    columns.forEach(({ feature }, i) => {
      columnsOf.set(feature, [...(columnsOf.get(feature) ?? []), i]);
    });
    encoding = { columns, columnsOf, types: new Map(manifest.features.map((f) => [f.name, f.type])) };
    encodings.set(manifest, encoding);
  }
  return encoding;
}

/** One column's value: a number column's value, or whether a one-hot column's level is the value. */
const encode = (value: RawValue | undefined, level: string | null) =>
  level === null ? Number(value) : value === level ? 1 : 0;

/** Validates and imputes an application; every problem is reported, not just the first. */
export function creditValues(input: unknown, manifest: Manifest): CreditValues | { issues: Issue[] } {
  if (!isObject(input)) return { issues: [{ pointer: "", message: "must be a JSON object" }] };
  const issues: Issue[] = [];
  const values: Record<string, RawValue> = {};
  const imputed: string[] = [];
  const { types } = encodingOf(manifest);
  for (const key of Object.keys(input)) {
    if (!types.has(key)) issues.push({ pointer: `/${key}`, message: "is not a field of this model" });
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
  return encodingOf(manifest).columns.map(({ feature, level }) => encode(values[feature], level));
}

/**
 * For substitution reason codes: the features (indexes into the manifest's features) whose copy must be
 * scored. A feature at its reference value already has the application itself as its copy - a third of the
 * copies of real applications - and its contribution is 0 without scoring it again.
 */
export function substitutedFeatures(values: Record<string, RawValue>, manifest: Manifest): number[] {
  if (manifest.reasonCodes.method !== "substitution") return [];
  const reference = manifest.reasonCodes.reference;
  const features: number[] = [];
  manifest.features.forEach((f, i) => {
    if (values[f.name] !== reference[f.name]) features.push(i);
  });
  return features;
}

/**
 * Copies the model input row at `from` (an offset into `out`) to `to`, with feature `feature` (an index into
 * the manifest's features) set to its reference: the copy is made where the model's input is built, typed
 * array to typed array, not as an array of its own.
 */
export function writeSubstituted(
  out: Float32Array,
  from: number,
  to: number,
  feature: number,
  manifest: Manifest,
): void {
  if (manifest.reasonCodes.method !== "substitution") throw new Error("not a substitution model");
  const name = (manifest.features[feature] as Manifest["features"][number]).name;
  const substitute = manifest.reasonCodes.reference[name] as RawValue;
  const { columns, columnsOf } = encodingOf(manifest);
  out.copyWithin(to, from, from + columns.length);
  for (const i of columnsOf.get(name) ?? []) {
    out[to + i] = encode(substitute, (columns[i] as Encoding["columns"][number]).level);
  }
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A CSV record's strings typed by the manifest: an empty cell is absent (imputed), a number column's
 * text becomes a number when it is one (otherwise it stays text and is refused as such).
 */
export function typedCsvRecord(record: Record<string, string>, manifest: Manifest): Record<string, unknown> {
  const { types } = encodingOf(manifest);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const text = (record[key] as string).trim();
    if (text === "") continue;
    const value = types.get(key) === "number" && NUMERIC.test(text) ? Number(text) : text;
    // A __proto__ column stays a field (and is refused as one no model has), not the object's prototype.
    if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true });
    else out[key] = value;
  }
  return out;
}
