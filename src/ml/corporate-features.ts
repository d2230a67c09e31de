/**
 * Statements -> O-score features, from the manifest alone (the twin of models/training/vectorise.py):
 * quarterly input is first reduced to one annual-style statement, fields are validated against their
 * minimums, ratios with a zero denominator are 0, and every feature is clipped to [min, max].
 */
import type { Manifest, StatementFieldSpec } from "./manifest";
import type { Issue } from "./manifest-rules";

export type Statement = Record<string, number>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function numberAt(
  record: Record<string, unknown>,
  field: StatementFieldSpec,
  where: string,
  issues: Issue[],
) {
  const value = record[field.name];
  const pointer = `${where}/${field.name}`;
  if (value === undefined || value === null) return void issues.push({ pointer, message: "is required" });
  if (typeof value !== "number" || !Number.isFinite(value))
    return void issues.push({ pointer, message: "expected a finite number" });
  if (field.min !== undefined && (value < field.min || (field.exclusiveMin && value === field.min))) {
    return void issues.push({ pointer, message: `must be ${field.exclusiveMin ? ">" : ">="} ${field.min}` });
  }
  return value;
}

/** The annual-style statement the features are derived from, validated, defaults applied. */
function statementValues(record: Record<string, unknown>, m: Manifest, where: string, issues: Issue[]) {
  if (m.rawInput.kind === "loan-application") throw new Error("not a statement model");
  const out: Statement = {};
  for (const field of m.rawInput.fields) {
    if ((record[field.name] === undefined || record[field.name] === null) && field.default) continue;
    const value = numberAt(record, field, where, issues);
    if (value !== undefined) out[field.name] = value;
  }
  for (const field of m.rawInput.fields) {
    // The only default a manifest can name (the schema allows no other).
    if (field.default && out[field.name] === undefined)
      out[field.name] = (out.current_assets ?? 0) - (out.current_liabilities ?? 0);
  }
  return out;
}

/** Quarterly request -> trailing-twelve-month statement: stocks from quarters[0], flows summed. */
function aggregateQuarters(input: Record<string, unknown>, m: Manifest, issues: Issue[]) {
  if (m.rawInput.kind !== "quarterly-statements") throw new Error("not a quarterly model");
  const spec = m.rawInput;
  const quarters = input.quarters;
  if (!Array.isArray(quarters) || quarters.length !== spec.quarters || !quarters.every(isObject)) {
    issues.push({
      pointer: "/quarters",
      message: `expected exactly ${spec.quarters} quarterly statements, most recent first`,
    });
    return {};
  }
  const fields = new Map(spec.quarterFields.map((f) => [f.name, f]));
  const statement: Record<string, unknown> = {};
  const latest = quarters[0] as Record<string, unknown>;
  for (const name of spec.aggregation.latest) {
    const field = fields.get(name) as StatementFieldSpec;
    if ((latest[name] === undefined || latest[name] === null) && field.default) continue;
    statement[name] = numberAt(latest, field, "/quarters/0", issues);
  }
  for (const [
    name,
    {
      field,
      quarters: [first, last],
    },
  ] of Object.entries(spec.aggregation.sum)) {
    let total = 0;
    for (let i = first; i <= last; i++) {
      total +=
        numberAt(
          quarters[i] as Record<string, unknown>,
          fields.get(field) as StatementFieldSpec,
          `/quarters/${i}`,
          issues,
        ) ?? 0;
    }
    statement[name] = total;
  }
  return statement;
}

// An undefined ratio contributes nothing: 0 is also every reason-code reference of these models.
const ratio = (numerator: number, denominator: number) => (denominator === 0 ? 0 : numerator / denominator);

/** Feature values, clipped, from a validated statement. */
export function corporateFeatures(
  s: Statement,
  m: Manifest,
): { features: Record<string, number> } | { issues: Issue[] } {
  const out: Record<string, number> = {};
  const issues: Issue[] = [];
  for (const f of m.features) {
    if (f.type !== "number" || !f.derivation) throw new Error(`${f.name} has no derivation`);
    const d = f.derivation;
    const v = (name: string) => s[name] as number;
    let value: number;
    if (d.op === "log-ratio") value = Math.log(v(d.numerator) / d.constant);
    else if (d.op === "ratio") value = ratio(v(d.numerator), v(d.denominator));
    else if (d.op === "greater") value = v(d.left) > v(d.right) ? 1 : 0;
    else if (d.op === "all-negative") value = d.fields.every((name) => v(name) < 0) ? 1 : 0;
    else {
      const denominator = Math.abs(v(d.current)) + Math.abs(v(d.prior));
      value = denominator === 0 ? 0 : (v(d.current) - v(d.prior)) / denominator;
    }
    if (Number.isNaN(value))
      issues.push({ pointer: `/${f.name}`, message: "cannot be derived from these figures" });
    out[f.name] = Math.min(Math.max(value, f.min), f.max);
  }
  return issues.length > 0 ? { issues } : { features: out };
}

/** Validated statement (annual-style) from an annual or quarterly request, or the issues. */
export function corporateStatement(
  input: unknown,
  m: Manifest,
): { statement: Statement } | { issues: Issue[] } {
  if (!isObject(input)) return { issues: [{ pointer: "", message: "must be a JSON object" }] };
  const issues: Issue[] = [];
  const record = m.rawInput.kind === "quarterly-statements" ? aggregateQuarters(input, m, issues) : input;
  if (issues.length > 0) return { issues };
  const statement = statementValues(record, m, "", issues);
  return issues.length > 0 ? { issues } : { statement };
}

/** The vector in the manifest's column order. */
export function corporateVector(features: Record<string, number>, m: Manifest): number[] {
  return m.vector.map((column) => features[column] as number);
}
