/**
 * The dry run that admits a model: every worked example in the manifest's `samples` is rebuilt from its raw
 * input, scored, banded and explained, and must match what the manifest says within `sampleTolerance`.
 */
import type { Scored } from "./engine";
import { scorePrepared } from "./engine";
import { type PreparedInput, prepareInput } from "./features";
import type { Manifest } from "./manifest";

export interface SampleCheck {
  sample: number;
  expected: number;
  obtained: number | null;
  problems: string[];
}

const close = (a: number, b: number, tolerance: number) => Math.abs(a - b) <= tolerance;

function compare(manifest: Manifest, index: number, prepared: PreparedInput, scored: Scored): string[] {
  const sample = manifest.samples[index] as Manifest["samples"][number];
  const tolerance = manifest.sampleTolerance;
  const problems: string[] = [];
  if (sample.vector) {
    const mismatch = sample.vector.findIndex(
      (v, i) => !close(v, prepared.vector[i] ?? Number.NaN, 1e-9 * Math.max(1, Math.abs(v))),
    );
    if (sample.vector.length !== prepared.vector.length || mismatch >= 0)
      problems.push(`vector differs from the sample's at column ${manifest.vector[mismatch] ?? "count"}`);
  }
  if (!close(scored.probability, sample.probability, tolerance.probability))
    problems.push(
      `probability ${scored.probability} differs from ${sample.probability} by more than ${tolerance.probability}`,
    );
  if (sample.band !== undefined && sample.band !== scored.band)
    problems.push(`band ${scored.band} is not the sample's ${sample.band}`);
  for (const [feature, expected] of Object.entries(sample.contributions ?? {})) {
    const obtained = scored.contributions[feature];
    if (obtained === undefined || !close(obtained, expected, tolerance.contribution ?? 1e-4))
      problems.push(`contribution of ${feature} is ${obtained}, not ${expected}`);
  }
  return problems;
}

/** Checks every sample; the model passes when no check lists a problem. */
export async function dryRun(manifest: Manifest, run: (rows: number[][]) => Promise<Float32Array>) {
  const checks: SampleCheck[] = [];
  const ready: Array<{ index: number; prepared: PreparedInput }> = [];
  manifest.samples.forEach((sample, index) => {
    const prepared = prepareInput(sample.input, manifest);
    if ("issues" in prepared) {
      const problems = prepared.issues.map((i) => `input${i.pointer}: ${i.message}`);
      checks.push({ sample: index, expected: sample.probability, obtained: null, problems });
    } else ready.push({ index, prepared });
  });
  const scored = await scorePrepared(
    manifest,
    run,
    ready.map((r) => r.prepared),
  );
  ready.forEach(({ index, prepared }, i) => {
    const result = scored[i] as Scored;
    const expected = (manifest.samples[index] as Manifest["samples"][number]).probability;
    checks.push({
      sample: index,
      expected,
      obtained: result.probability,
      problems: compare(manifest, index, prepared, result),
    });
  });
  checks.sort((a, b) => a.sample - b.sample);
  return { passed: checks.every((c) => c.problems.length === 0), checks };
}
