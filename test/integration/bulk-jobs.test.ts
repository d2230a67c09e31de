import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api } from "./auth-helpers";
import { FIELDS, parseLines, resultText, submit, upload } from "./bulk-fixtures";
import { bindings, call, problemOf } from "./helpers";
import {
  type JobView,
  manifestOf,
  publishTrainedModels,
  SETUP_TIMEOUT_MS,
  waitForJob,
} from "./risk-fixtures";
import { createApiKey, createTenant, query, type TenantFixture } from "./tenancy-fixtures";

let tenant: TenantFixture;
beforeAll(async () => {
  await publishTrainedModels();
  tenant = await createTenant("bulk");
}, SETUP_TIMEOUT_MS);

describe("bulk scoring", () => {
  it("scores a CSV through the queue; invalid rows are reported one by one with their lines, the rest match single predictions", async () => {
    const samples = manifestOf("credit-lr").samples;
    const csvRow = (input: Record<string, unknown>) =>
      FIELDS.map((f) => (input[f] === null || input[f] === undefined ? "" : String(input[f]))).join(",");
    const lines = [
      `reference,${FIELDS.join(",")}`,
      ...samples.map((s, i) => `ok-${i},${csvRow(s.input)}`),
      `too-young,${csvRow({ ...samples[0]?.input, age: 17 })}`,
      `castle,${csvRow({ ...samples[0]?.input, home: "castle" })}`,
      `short,1,2,3`,
      "",
      `"quoted, ref",${csvRow({ ...samples[1]?.input, income: "lots" })}`,
    ];
    const id = await submit(tenant.admin.token, `${lines.join("\r\n")}\r\n`, "text/csv; charset=utf-8");
    const job = await waitForJob(tenant.admin.token, id);
    expect(job.status).toBe("partially_failed");
    expect(job.progress).toEqual({
      rows_total: 9,
      rows_scored: 5,
      rows_failed: 4,
      chunks_total: 1,
      chunks_done: 1,
    });
    expect(job.results_url).toBe(`/api/v1/jobs/${id}/results`);
    expect(job.completed_at).not.toBeNull();

    // The job names every bad row by its line in the file (the header is line 1; the blank line counts).
    expect(job.errors).toEqual([
      {
        row: 6,
        line: 7,
        reference: "too-young",
        errors: [{ field: "age", message: "17 is outside [18, 100]" }],
      },
      { row: 7, line: 8, reference: "castle", errors: [expect.objectContaining({ field: "home" })] },
      { row: 8, line: 9, reference: null, errors: [{ field: null, message: "expected 14 fields, found 4" }] },
      {
        row: 9,
        line: 11,
        reference: "quoted, ref",
        errors: [{ field: "income", message: "expected a finite number" }],
      },
    ]);
    expect(job.errors_url).toBe(`/api/v1/jobs/${id}/errors`);
    const first = await (await api(`${job.errors_url}?limit=3`, { token: tenant.admin.token })).json<{
      items: JobView["errors"];
      next_after: number | null;
    }>();
    expect(first.items.map((e) => [e.row, e.line])).toEqual([
      [6, 7],
      [7, 8],
      [8, 9],
    ]);
    expect(first.next_after).toBe(8);
    const rest = await (
      await api(`${job.errors_url}?limit=3&after=${first.next_after}`, { token: tenant.admin.token })
    ).json<{ items: JobView["errors"]; next_after: number | null }>();
    expect(rest).toEqual({ items: [job.errors[3]], next_after: null });

    const out = parseLines(await resultText(tenant.admin.token, id));
    expect(out.map((l) => l.row)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(out.map((l) => l.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 11]);
    for (const [i, sample] of samples.entries()) {
      expect(out[i]).toMatchObject({ reference: `ok-${i}`, status: "scored", band: sample.band });
      expect(Math.abs(Number(out[i]?.probability) - sample.probability)).toBeLessThanOrEqual(1e-5);
      expect(out[i]?.reason_codes?.length).toBe(3);
    }
    expect(out[5]).toMatchObject({
      reference: "too-young",
      status: "failed",
      errors: [{ field: "age", message: "17 is outside [18, 100]" }],
    });
    expect(out[6]?.errors?.[0]).toMatchObject({ field: "home" });
    expect(out[7]).toMatchObject({
      status: "failed",
      errors: [{ field: null, message: "expected 14 fields, found 4" }],
    });
    expect(out[8]).toMatchObject({
      reference: "quoted, ref",
      status: "failed",
      errors: [{ field: "income", message: "expected a finite number" }],
    });

    const csv = await resultText(tenant.admin.token, id, "csv");
    const csvLines = csv.trim().split("\n");
    expect(csvLines[0]).toBe("row,line,reference,status,probability,band,reason_1,reason_2,reason_3,errors");
    expect(csvLines).toHaveLength(10);
    expect(csvLines[9]).toMatch(/^9,11,"quoted, ref",failed,,,,,,income: expected a finite number$/);
  });

  it("splits a large NDJSON upload sent without a length into chunks scored in batches, each counted once", async () => {
    const base = manifestOf("credit-gbdt").samples.map((s) => s.input);
    const rows = Array.from({ length: 1203 }, (_, i) => ({
      ...base[i % base.length],
      reference: `r${i}`,
      amount: 500 + i,
    }));
    rows[700] = { age: 12, reference: "bad" } as never;
    const text = `${rows.map((r) => JSON.stringify(r)).join("\n")}\nnot json\n`;
    const bytes = new TextEncoder().encode(text);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 16_384) controller.enqueue(bytes.slice(at, at + 16_384));
        controller.close();
      },
    });
    const key = await createApiKey(tenant, { scopes: ["jobs:read", "jobs:write"] });
    const id = await submit(key.key, stream, "application/x-ndjson", "?model=credit-gbdt");
    const job = await waitForJob(key.key, id);
    expect(job.progress).toEqual({
      rows_total: 1204,
      rows_scored: 1202,
      rows_failed: 2,
      chunks_total: 3,
      chunks_done: 3,
    });
    expect(job.status).toBe("partially_failed");
    const out = parseLines(await resultText(key.key, id));
    expect(out).toHaveLength(1204);
    expect(out.map((l) => l.row)).toEqual(Array.from({ length: 1204 }, (_, i) => i + 1));
    // Lines stay right across chunk boundaries (a chunk is 500 rows).
    expect(out.every((l, i) => l.line === i + 1)).toBe(true);
    expect(out[700]).toMatchObject({ reference: "bad", status: "failed", line: 701 });
    expect(job.errors.map((e) => [e.row, e.line])).toEqual([
      [701, 701],
      [1204, 1204],
    ]);
    expect(out[1203]).toMatchObject({
      status: "failed",
      errors: [{ message: expect.stringMatching(/^unreadable JSON/) }],
    });
    expect(out[1]).toMatchObject({ reference: "r1", status: "scored" });
  });

  it("scores annual statements: every row as its single prediction, with its ratios; bad rows with their lines", async () => {
    const statement = {
      total_assets: "5000000000.00",
      total_liabilities: "2600000000.00",
      current_assets: "1800000000.00",
      current_liabilities: "950000000.00",
      net_income: "310000000.00",
      net_income_prior: "280000000.00",
      funds_from_operations: "520000000.00",
      revenue: "4200000000.00",
      ebit: "450000000.00",
      ebitda: "610000000.00",
      interest_expense: "60000000.00",
      long_term_debt: "1500000000.00",
      total_debt: "1800000000.00",
      total_equity: "2400000000.00",
    };
    const names = Object.keys(statement);
    const distressed = { ...statement, net_income: "-900000000.00", total_liabilities: "4900000000.00" };
    const row = (values: Record<string, string>) => names.map((n) => values[n] ?? "").join(",");
    const csv = [
      `reference,${names.join(",")}`,
      `healthy,${row(statement)}`,
      `distressed,${row(distressed)}`,
      `fractional,${row({ ...statement, revenue: "12.345" })}`,
      `no-assets,${row({ ...statement, total_assets: "" })}`,
    ].join("\n");
    const id = await submit(tenant.admin.token, `${csv}\n`, "text/csv", "?model=corporate-annual");
    const job = await waitForJob(tenant.admin.token, id);
    expect(job.progress).toMatchObject({ rows_total: 4, rows_scored: 2, rows_failed: 2 });
    expect(job.errors.map((e) => [e.reference, e.line, e.errors[0]?.field])).toEqual([
      ["fractional", 4, "revenue"],
      ["no-assets", 5, "total_assets"],
    ]);
    const out = parseLines(await resultText(tenant.admin.token, id));
    for (const [i, input] of [statement, distressed].entries()) {
      const single = await api("/api/v1/predictions/annual", {
        token: tenant.admin.token,
        body: { statement: input },
      });
      const expected = await single.json<{ probability: string; band: string; ratios: unknown }>();
      expect(out[i]).toMatchObject({
        status: "scored",
        probability: expected.probability,
        band: expected.band,
      });
      expect(out[i]?.ratios).toEqual(expected.ratios);
    }
    expect(Number(out[1]?.probability)).toBeGreaterThan(Number(out[0]?.probability));

    // Quarterly input spans eight statements, which one row cannot hold. The model is loaded while the file
    // streams in, so the refusal comes once it is stored - and nothing of it is kept.
    const before = await bindings.FILES.list({ prefix: `jobs/${tenant.id}/` });
    const quarterly = await upload(tenant.admin.token, `${csv}\n`, "text/csv", "?model=corporate-quarterly");
    expect(quarterly.status).toBe(422);
    expect((await problemOf(quarterly)).detail).toBe(
      "Model corporate-quarterly does not make credit or annual predictions.",
    );
    const after = await bindings.FILES.list({ prefix: `jobs/${tenant.id}/` });
    expect(after.objects.map((o) => o.key)).toEqual(before.objects.map((o) => o.key));
  });

  it("refuses other media types, empty uploads and uploads over the bulk limit", async () => {
    const json = await upload(tenant.admin.token, "{}", "application/json");
    expect(json.status).toBe(415);
    expect((await problemOf(json)).code).toBe("unsupported_media_type");
    const empty = await upload(tenant.admin.token, "", "text/csv");
    expect(empty.status).toBe(422);
    const huge = await call("/api/v1/predictions/bulk", {
      method: "POST",
      headers: {
        authorization: `Bearer ${tenant.admin.token}`,
        "content-type": "text/csv",
        "content-length": String(200 * 1024 * 1024),
      },
      body: "reference\n",
    });
    expect(huge.status).toBe(413);
    const unknown = await upload(tenant.admin.token, "a\n1\n", "text/csv", "?model=no-such-model");
    expect(unknown.status).toBe(404);
  });

  it("results are not served while the job runs, nor to another tenant", async () => {
    const other = await createTenant("bulk-other");
    // A file with a header and no rows is done as soon as it is accepted.
    const id = await submit(tenant.admin.token, `${FIELDS.join(",")}\n`, "text/csv", undefined, "completed");
    const job = await waitForJob(tenant.admin.token, id);
    expect(job).toMatchObject({ status: "completed", progress: { rows_total: 0, chunks_total: 0 } });
    expect((await api(`/api/v1/jobs/${id}`, { token: other.admin.token })).status).toBe(404);
    expect((await api(`/api/v1/jobs/${id}/results`, { token: other.admin.token })).status).toBe(404);
    const list = await api("/api/v1/jobs", { token: other.admin.token });
    expect((await list.json<{ items: JobView[] }>()).items).toEqual([]);
  });
});

describe("bulk scoring through redelivery and the dead-letter queue", () => {
  const tenantIdOf = async (token: string) =>
    (await (await api("/api/v1/auth/me", { token })).json<{ tenant_id: string }>()).tenant_id;

  it("a chunk delivered again is acknowledged and counted once", async () => {
    const header = `reference,${FIELDS.join(",")}\n`;
    const rows =
      "a,10,owner,36,40,married,no,fixed,60,150,4000,0,900,1100\nb,2,rent,48,25,single,no,partime,45,90,0,0,1200,1300\n";
    const id = await submit(tenant.admin.token, header + rows, "text/csv");
    const done = await waitForJob(tenant.admin.token, id);
    expect(done.progress).toMatchObject({ rows_scored: 2, rows_failed: 0, chunks_done: 1 });
    const before = await resultText(tenant.admin.token, id);

    const message = {
      type: "score",
      tenantId: await tenantIdOf(tenant.admin.token),
      jobId: id,
      chunk: 0,
      offset: header.length,
      length: rows.length,
      firstRow: 1,
      rows: 2,
    };
    const batch = createMessageBatch("finedge-scoring-dev", [
      { id: "again", timestamp: new Date(), attempts: 2, body: message },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<unknown>, bindings);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["again"]);
    const after = await waitForJob(tenant.admin.token, id);
    expect(after.progress).toEqual(done.progress);
    expect(await resultText(tenant.admin.token, id)).toBe(before);
  });

  it("a chunk that exhausted its retries is recorded as failed rows, so the job still finishes", async () => {
    const tenantId = await tenantIdOf(tenant.admin.token);
    const [job] = await query<{ id: string }>(sql`insert into scoring_jobs
      (tenant_id, input_format, input_key, input_bytes, model_name, model_version, model_sha256, model_source,
       rows_total, chunks_total, actor_type)
      values (${tenantId}, 'ndjson', 'jobs/missing', 10, 'credit-lr', '1.0.0', ${"0".repeat(64)}, 'platform', 3, 1, 'user')
      returning id`);
    const body = {
      type: "score",
      tenantId,
      jobId: job?.id,
      chunk: 0,
      offset: 0,
      length: 10,
      firstRow: 1,
      rows: 3,
    };
    const batch = createMessageBatch("finedge-scoring-dlq-dev", [
      { id: "dead", timestamp: new Date(), attempts: 1, body },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<unknown>, bindings);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["dead"]);
    const finished = await waitForJob(tenant.admin.token, job?.id as string);
    expect(finished).toMatchObject({
      status: "failed",
      progress: { rows_scored: 0, rows_failed: 3, chunks_done: 1 },
    });
    const out = parseLines(await resultText(tenant.admin.token, job?.id as string));
    expect(out.map((l) => [l.row, l.status])).toEqual([
      [1, "failed"],
      [2, "failed"],
      [3, "failed"],
    ]);
  });
});
