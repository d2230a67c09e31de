import { beforeAll, describe, expect, it } from "vitest";
import type { ScoringJob, UploadProgress } from "../../client/src";
import { FIELDS } from "./bulk-fixtures";
import { registered } from "./client-fixtures";
import { manifestOf, publishTrainedModels, SETUP_TIMEOUT_MS } from "./risk-fixtures";

beforeAll(() => publishTrainedModels(), SETUP_TIMEOUT_MS);

/** A CSV of `rows` loan applications (the model's own samples, repeated), a few hundred KB. */
function applications(rows: number): string {
  const samples = manifestOf("credit-lr").samples;
  const cell = (value: unknown) => (value === null || value === undefined ? "" : String(value));
  const lines = [`reference,${FIELDS.join(",")}`];
  for (let i = 0; i < rows; i++) {
    const input = samples[i % samples.length]?.input ?? {};
    lines.push(`row-${i},${FIELDS.map((field) => cell(input[field])).join(",")}`);
  }
  return `${lines.join("\n")}\n`;
}

describe("the typed client: bulk upload", () => {
  it("streams a file with progress up to every byte, follows Location and polls the job to completion", async () => {
    const { client, count } = await registered();
    const csv = applications(1500);
    const size = new TextEncoder().encode(csv).byteLength;
    const progress: UploadProgress[] = [];
    const accepted = await client.bulk.upload({
      body: csv,
      contentType: "text/csv",
      model: "credit-lr",
      method: "stream",
      onProgress: (p) => progress.push(p),
    });
    expect(accepted.location).toBe(`/api/v1/jobs/${accepted.job.id}`);
    expect(accepted.replayed).toBe(false);
    // Several reports as the upload reads the body, ending at 100%.
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.every((p) => p.total === size)).toBe(true);
    expect(progress.map((p) => p.sent)).toEqual([...progress.map((p) => p.sent)].sort((a, b) => a - b));
    expect(progress.at(-1)?.sent).toBe(size);

    const polled: ScoringJob[] = [];
    const job = await client.bulk.waitForJob(accepted.location, {
      intervalMs: 50,
      timeoutMs: 60_000,
      onProgress: (j) => polled.push(j),
    });
    expect(job).toMatchObject({ id: accepted.job.id, status: "completed" });
    expect(job.progress).toMatchObject({ rows_total: 1500, rows_scored: 1500, rows_failed: 0 });
    expect(polled.at(-1)?.status).toBe("completed");
    expect(count("GET", accepted.location)).toBe(polled.length);
  });

  it("submits under an Idempotency-Key: the same upload again under its key returns the same job", async () => {
    const { client, sent } = await registered();
    const csv = applications(10);
    const first = await client.bulk.upload({
      body: csv,
      contentType: "text/csv",
      model: "credit-lr",
      method: "stream",
    });
    const key = sent.at(-1)?.headers.get("idempotency-key");
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    const again = await client.bulk.upload({
      body: new Blob([csv]),
      contentType: "text/csv",
      model: "credit-lr",
      idempotencyKey: key as string,
    });
    expect(again).toMatchObject({ replayed: true, job: { id: first.job.id } });
  });
});
