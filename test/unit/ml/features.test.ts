import { describe, expect, it } from "vitest";
import { typedCsvRecord, writeSubstituted } from "../../../src/ml/credit-features";
import { prepareInput } from "../../../src/ml/features";
import type { Manifest } from "../../../src/ml/manifest";
import { modelFiles } from "./model-files";

const credit = modelFiles("credit-gbdt").manifest as Manifest;
const annual = modelFiles("corporate-annual").manifest as Manifest;
const quarterly = modelFiles("corporate-quarterly").manifest as Manifest;
const application = credit.samples[0]?.input as Record<string, unknown>;

const prepared = (input: unknown, manifest: Manifest) => {
  const result = prepareInput(input, manifest);
  if ("issues" in result) throw new Error(JSON.stringify(result.issues));
  return result;
};
const issuesOf = (input: unknown, manifest: Manifest) => {
  const result = prepareInput(input, manifest);
  return "issues" in result ? result.issues : [];
};
const column = (vector: number[], manifest: Manifest, name: string) => vector[manifest.vector.indexOf(name)];

describe("credit applications, from the manifest", () => {
  it("absent and null fields take the impute value, and are reported as imputed", () => {
    const absent = Object.fromEntries(
      Object.entries(application).filter(([k]) => k !== "income" && k !== "home"),
    );
    const imputed = { ...application, income: 122, home: "owner" };
    const expected = prepared(imputed, credit).vector;
    expect(prepared(absent, credit).vector).toEqual(expected);
    const nulls = prepared({ ...application, income: null, home: null }, credit);
    expect(nulls.vector).toEqual(expected);
    expect(nulls.imputed).toEqual(["home", "income"]);
  });

  it("one-hot encodes categories in vector order", () => {
    const { vector } = prepared({ ...application, home: "rent" }, credit);
    for (const level of ["ignore", "other", "owner", "parents", "priv", "rent"]) {
      expect(column(vector, credit, `home=${level}`)).toBe(level === "rent" ? 1 : 0);
    }
  });

  it("refuses out-of-range numbers, unknown categories, wrong types, non-finite values and unknown fields - all at once", () => {
    const issues = issuesOf(
      { ...application, home: "castle", age: 17, income: "40", debt: Number.NaN, records: true, incme: 5 },
      credit,
    );
    expect(issues.map((i) => i.pointer).sort()).toEqual([
      "/age",
      "/debt",
      "/home",
      "/incme",
      "/income",
      "/records",
    ]);
    expect(issues.find((i) => i.pointer === "/age")?.message).toBe("17 is outside [18, 100]");
  });

  it("a substitution model also gets a copy per feature at its reference, but for features already there", () => {
    if (credit.reasonCodes.method !== "substitution") throw new Error("credit-gbdt substitutes");
    const { reference } = credit.reasonCodes;
    const at = (name: string) => credit.features.findIndex((f) => f.name === name);
    const result = prepared({ ...application, home: reference.home, age: reference.age }, credit);
    expect(result.substituted).not.toContain(at("home"));
    expect(result.substituted).not.toContain(at("age"));
    expect(result.substituted).toEqual(
      credit.features.flatMap((f, i) => (result.values[f.name] === reference[f.name] ? [] : [i])),
    );
    expect(result.substituted).toContain(at("seniority"));
    const width = credit.vector.length;
    const copy = new Float32Array(width * 3);
    copy.set(result.vector, width);
    writeSubstituted(copy, width, 2 * width, at("seniority"), credit);
    const seniority = [...copy.subarray(2 * width)];
    expect(column(seniority, credit, "seniority")).toBe(reference.seniority);
    expect(column(seniority, credit, "age")).toBe(reference.age);
    expect(seniority.filter((v, i) => v !== result.vector[i])).toHaveLength(1);
    expect([...copy.subarray(width, 2 * width)]).toEqual(result.vector);
    expect([...copy.subarray(0, width)].every((v) => v === 0)).toBe(true);
  });

  it("CSV cells are typed by the manifest: numbers parsed, empty cells absent, text left to be refused", () => {
    const typed = typedCsvRecord(
      { age: " 41 ", income: "", home: "rent", amount: "1e3", price: "12abc" },
      credit,
    );
    expect(typed).toEqual({ age: 41, home: "rent", amount: 1000, price: "12abc" });
    expect(issuesOf(typed, credit).map((i) => i.pointer)).toEqual(["/price"]);
    const proto = typedCsvRecord(JSON.parse('{"__proto__":"x","age":"41"}'), credit);
    expect(issuesOf(proto, credit).map((i) => i.pointer)).toEqual(["/__proto__"]);
  });
});

const STATEMENT = {
  total_assets: 100_000_000,
  total_liabilities: 60_000_000,
  current_assets: 30_000_000,
  current_liabilities: 20_000_000,
  net_income: 2_000_000,
  net_income_prior: -1_000_000,
  funds_from_operations: 5_000_000,
};
const features = (input: unknown, manifest = annual) =>
  prepared(input, manifest).values as Record<string, number>;

describe("corporate statements, from the manifest", () => {
  it("derives the O-score ratios; working capital defaults to current assets minus current liabilities", () => {
    const f = features(STATEMENT);
    expect(f.tl_ta).toBeCloseTo(0.6, 12);
    expect(f.wc_ta).toBeCloseTo(0.1, 12);
    expect(f.chin).toBe(1);
    expect([f.oeneg, f.intwo]).toEqual([0, 0]);
    expect(f.size).toBeCloseTo(Math.log(100_000_000 / 650), 12);
  });

  it("a zero denominator gives 0 (the term drops out); CHIN is 0 when both incomes are 0", () => {
    const f = features({ ...STATEMENT, current_assets: 0, total_liabilities: 0, current_liabilities: 0 });
    expect([f.cl_ca, f.ffo_tl]).toEqual([0, 0]);
    expect(features({ ...STATEMENT, net_income: 0, net_income_prior: 0 }).chin).toBe(0);
  });

  it("clips extreme ratios to the feature's range", () => {
    const f = features({ ...STATEMENT, total_liabilities: 5_000_000_000, current_assets: 1 });
    expect([f.tl_ta, f.cl_ca, f.oeneg]).toEqual([10, 10, 1]);
  });

  it("refuses non-positive total assets, negative balances, missing and non-numeric fields", () => {
    for (const bad of [
      { total_assets: 0 },
      { current_assets: -1 },
      { net_income: null },
      { net_income: "1" },
    ]) {
      expect(issuesOf({ ...STATEMENT, ...bad }, annual).length, JSON.stringify(bad)).toBe(1);
    }
  });

  it("eight quarters reduce to trailing twelve months: stocks from the latest, flows summed", () => {
    const stocks = {
      total_assets: 100_000_000,
      total_liabilities: 60_000_000,
      current_assets: 30_000_000,
      current_liabilities: 20_000_000,
    };
    const quarters = [
      { ...stocks, net_income: 500_000, funds_from_operations: 1_250_000 },
      ...Array.from({ length: 3 }, () => ({ net_income: 500_000, funds_from_operations: 1_250_000 })),
      ...Array.from({ length: 4 }, () => ({ net_income: -250_000 })),
    ];
    expect(prepared({ quarters }, quarterly).vector).toEqual(prepared(STATEMENT, annual).vector);
    expect(issuesOf({ quarters: quarters.slice(0, 4) }, quarterly)[0]?.pointer).toBe("/quarters");
    const missing = issuesOf({ quarters: [...quarters.slice(0, 4), {}, {}, {}, {}] }, quarterly);
    expect(missing.map((i) => i.pointer)).toEqual([
      "/quarters/4/net_income",
      "/quarters/5/net_income",
      "/quarters/6/net_income",
      "/quarters/7/net_income",
    ]);
  });
});
