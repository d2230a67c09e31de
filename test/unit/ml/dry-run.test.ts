import { describe, expect, it } from "vitest";
import { dryRun } from "../../../src/ml/dry-run";
import { sessionFor } from "../../../src/ml/engine";
import { parseManifest } from "../../../src/ml/manifest-rules";
import { MODEL_NAMES, modelFiles } from "./model-files";

describe("the trained models in workerd", () => {
  for (const name of MODEL_NAMES) {
    it(`${name}: every manifest sample is rebuilt, scored, banded and explained as the manifest says`, async () => {
      const files = modelFiles(name);
      const { manifest, issues } = parseManifest(files.manifest);
      expect(issues).toEqual([]);
      if (!manifest) return;
      const run = await sessionFor(files.onnx, manifest, name);
      const result = await dryRun(manifest, run);
      expect(result.checks.flatMap((c) => c.problems)).toEqual([]);
      expect(result.passed).toBe(true);
      for (const check of result.checks) {
        expect(Math.abs((check.obtained as number) - check.expected)).toBeLessThanOrEqual(1e-5);
      }
    });
  }

  it("a sample whose probability is off fails the dry run", async () => {
    const files = modelFiles("credit-lr");
    const manifest = parseManifest(files.manifest).manifest;
    if (!manifest) throw new Error("manifest");
    const tampered = structuredClone(manifest);
    (tampered.samples[1] as { probability: number }).probability += 0.001;
    const result = await dryRun(tampered, await sessionFor(files.onnx, manifest, "credit-lr"));
    expect(result.passed).toBe(false);
    expect(result.checks[1]?.problems[0]).toMatch(/^probability .* differs/);
    expect(result.checks[0]?.problems).toEqual([]);
  });
});
