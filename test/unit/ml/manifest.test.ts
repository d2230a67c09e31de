import { describe, expect, it } from "vitest";
import { parseManifest } from "../../../src/ml/manifest-rules";
import { MODEL_NAMES, modelFiles } from "./model-files";

const base = () =>
  structuredClone(modelFiles("credit-lr").manifest) as unknown as Record<string, unknown> & {
    vector: string[];
    bands: Array<{ band: string; min: number }>;
    features: Array<Record<string, unknown>>;
    reasonCodes: { columns: Array<{ column: string }> };
  };
const pointers = (json: unknown) => parseManifest(json).issues.map((i) => i.pointer);

describe("manifests", () => {
  for (const name of MODEL_NAMES) {
    it(`${name}'s manifest is valid and consistent`, () => {
      expect(parseManifest(modelFiles(name).manifest).issues).toEqual([]);
    });
  }

  it("refuses what the schema forbids: a bad name, version, digest or dtype", () => {
    const m = base();
    Object.assign(m, { name: "Credit LR", version: "1.0", sha256: "abc" });
    (m.input as { dtype: string }).dtype = "float64";
    expect(pointers(m).sort()).toEqual(["/input/dtype", "/name", "/sha256", "/version"]);
  });

  it("refuses parts that disagree: vector width, unknown columns, bands out of order, impute out of range", () => {
    const wide = base();
    wide.vector.push("extra");
    wide.reasonCodes.columns.push({
      ...(wide.reasonCodes.columns[0] as { column: string }),
      column: "extra",
    });
    expect(pointers(wide)).toContain("/vector");
    expect(pointers(wide)).toContain("/vector/26");

    const level = base();
    level.vector[9] = "home=castle";
    expect(pointers(level)).toContain("/vector/9");

    const bands = base();
    bands.bands = [...bands.bands].reverse();
    expect(pointers(bands)).toContain("/bands/1");

    const impute = base();
    (impute.features[0] as { impute: number }).impute = 999;
    expect(pointers(impute)).toEqual(["/features/0/impute"]);

    const reasons = base();
    (reasons.reasonCodes.columns[3] as { column: string }).column = "age";
    expect(pointers(reasons)).toContain("/reasonCodes/columns/3");
  });
});
