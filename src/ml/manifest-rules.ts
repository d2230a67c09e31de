import type { Manifest } from "./manifest";
import { ManifestSchema } from "./manifest";

/** One thing wrong with an input or a manifest: a JSON Pointer into it and why. */
export interface Issue {
  pointer: string;
  message: string;
}

const pointerOf = (path: ReadonlyArray<PropertyKey>) =>
  `/${path.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;

/** Checks that the vector, features, reason codes, raw input and bands describe one consistent model. */
export function manifestProblems(m: Manifest): Issue[] {
  const issues: Issue[] = [];
  const add = (pointer: string, message: string) => issues.push({ pointer, message });
  const features = new Map(m.features.map((f) => [f.name, f]));
  if (features.size !== m.features.length) add("/features", "feature names must be unique");
  if (m.vector.length !== m.input.shape[1])
    add("/vector", `has ${m.vector.length} columns; input.shape says ${m.input.shape[1]}`);
  if (new Set(m.vector).size !== m.vector.length) add("/vector", "columns must be unique");

  const covered = new Set<string>();
  m.vector.forEach((column, i) => {
    const [featureName = "", level] = column.split("=", 2);
    const feature = features.get(featureName);
    if (!feature) {
      add(`/vector/${i}`, `names no feature: ${column}`);
      return;
    }
    covered.add(featureName);
    if (feature.type === "category" && (level === undefined || !feature.categories.includes(level)))
      add(`/vector/${i}`, `a category column must be feature=level with a known level: ${column}`);
    if (feature.type === "number" && level !== undefined) add(`/vector/${i}`, `${featureName} is a number`);
  });
  for (const f of m.features) if (!covered.has(f.name)) add("/vector", `feature ${f.name} has no column`);

  m.features.forEach((f, i) => {
    if (f.type === "category") {
      if (!f.categories.includes(f.impute)) add(`/features/${i}/impute`, "must be one of the categories");
      return;
    }
    if (f.min > f.max) add(`/features/${i}`, "min is above max");
    if (m.rawInput.kind === "loan-application") {
      if (f.impute === undefined) add(`/features/${i}/impute`, "required for application features");
      else if (f.impute < f.min || f.impute > f.max) add(`/features/${i}/impute`, "outside [min, max]");
    } else if (!f.derivation) add(`/features/${i}/derivation`, "required for statement features");
  });

  checkStatementInput(m, add);
  checkReasonCodes(m, features, add);
  m.bands.forEach((band, i) => {
    const previous = m.bands[i - 1];
    if (previous && band.min > previous.min) add(`/bands/${i}`, "bands go from the highest minimum down");
  });
  if (m.bands.at(-1)?.min !== 0) add("/bands", "the last band must start at 0");
  return issues;
}

function checkStatementInput(m: Manifest, add: (pointer: string, message: string) => void) {
  const raw = m.rawInput;
  if (raw.kind === "loan-application") return;
  const fields = new Set(raw.fields.map((f) => f.name));
  m.features.forEach((f, i) => {
    if (f.type !== "number" || !f.derivation) return;
    const d = f.derivation;
    const used =
      d.op === "log-ratio"
        ? [d.numerator]
        : d.op === "ratio"
          ? [d.numerator, d.denominator]
          : d.op === "greater"
            ? [d.left, d.right]
            : d.op === "all-negative"
              ? d.fields
              : [d.current, d.prior];
    for (const field of used)
      if (!fields.has(field)) add(`/features/${i}/derivation`, `names no statement field: ${field}`);
  });
  if (raw.kind !== "quarterly-statements") return;
  const quarterFields = new Set(raw.quarterFields.map((f) => f.name));
  for (const name of raw.aggregation.latest)
    if (!quarterFields.has(name) || !fields.has(name))
      add("/rawInput/aggregation/latest", `unknown field ${name}`);
  for (const [
    target,
    {
      field,
      quarters: [first, last],
    },
  ] of Object.entries(raw.aggregation.sum)) {
    if (!fields.has(target) || !quarterFields.has(field))
      add(`/rawInput/aggregation/sum/${target}`, "unknown field");
    if (first < 0 || last < first || last >= raw.quarters)
      add(`/rawInput/aggregation/sum/${target}`, "quarters out of range");
  }
}

function checkReasonCodes(
  m: Manifest,
  features: Map<string, Manifest["features"][number]>,
  add: (pointer: string, message: string) => void,
) {
  const rc = m.reasonCodes;
  if (rc.method === "linear") {
    if (rc.columns.length !== m.vector.length) add("/reasonCodes/columns", "one entry per vector column");
    rc.columns.forEach((c, i) => {
      if (m.vector[i] !== c.column) add(`/reasonCodes/columns/${i}`, `must be vector column ${m.vector[i]}`);
      if (c.column.split("=", 1)[0] !== c.feature)
        add(`/reasonCodes/columns/${i}/feature`, "not the column's feature");
    });
    return;
  }
  if (m.rawInput.kind !== "loan-application")
    add("/reasonCodes/method", "substitution needs application input");
  for (const [name, feature] of features) {
    const value = rc.reference[name];
    const ok =
      feature.type === "category"
        ? typeof value === "string" && feature.categories.includes(value)
        : typeof value === "number" && value >= feature.min && value <= feature.max;
    if (!ok) add(`/reasonCodes/reference/${name}`, "missing or invalid for its feature");
  }
}

/** A manifest from untrusted JSON: the schema's and the consistency rules' issues, or the manifest. */
export function parseManifest(
  json: unknown,
): { manifest: Manifest; issues: [] } | { manifest: null; issues: Issue[] } {
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    return {
      manifest: null,
      issues: parsed.error.issues.map((i) => ({ pointer: pointerOf(i.path), message: i.message })),
    };
  }
  const issues = manifestProblems(parsed.data);
  return issues.length > 0 ? { manifest: null, issues } : { manifest: parsed.data, issues: [] };
}
