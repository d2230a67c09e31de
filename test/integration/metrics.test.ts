/**
 * The metrics operators query: the data points the Worker writes to Analytics Engine - one per request (route
 * template, method, status, problem code, tenant, duration, a row scored) and one per bulk-scoring chunk the queue
 * consumer scores - read from a recording dataset put in place of the `METRICS` binding.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import type { DataPoint } from "../../src/metrics";
import { api } from "./auth-helpers";
import { submit } from "./bulk-fixtures";
import { bindings, call } from "./helpers";
import { publishTrainedModels, SETUP_TIMEOUT_MS, waitForJob } from "./risk-fixtures";
import { createTenant } from "./tenancy-fixtures";

/** Stands in for the Analytics Engine dataset, which has no local reader. */
function recording() {
  const points: DataPoint[] = [];
  return { points, dataset: { writeDataPoint: (point: DataPoint) => points.push(point) } };
}

beforeAll(async () => {
  await publishTrainedModels();
}, SETUP_TIMEOUT_MS);

describe("metrics", () => {
  it("writes a data point per request: its route template, status, problem, tenant and duration", async () => {
    const tenant = await createTenant("metrics");
    const { points, dataset } = recording();
    const missing = crypto.randomUUID();
    const asked = [
      await call(
        `/api/v1/portfolios/${missing}`,
        { headers: { authorization: `Bearer ${tenant.admin.token}` } },
        { METRICS: dataset as unknown as AnalyticsEngineDataset },
      ),
      await call("/health", {}, { METRICS: dataset as unknown as AnalyticsEngineDataset }),
      await call("/no/such/path", {}, { METRICS: dataset as unknown as AnalyticsEngineDataset }),
      await call(
        "/api/v1/predictions/credit",
        {
          method: "POST",
          headers: { authorization: `Bearer ${tenant.admin.token}`, "content-type": "application/json" },
          body: JSON.stringify({ application: { age: 41, income: 120 } }),
        },
        { METRICS: dataset as unknown as AnalyticsEngineDataset },
      ),
    ];
    expect(asked.map((r) => r.status)).toEqual([404, 200, 404, 201]);
    expect(points).toHaveLength(4);
    const [notFound, health, unmatched, prediction] = points;
    expect(notFound).toEqual({
      indexes: [tenant.id],
      blobs: ["/api/v1/portfolios/:id", "GET", "4xx", "not_found", tenant.id, "test", ""],
      doubles: [expect.any(Number), 404, 0],
    });
    // The template, never the id asked for.
    expect(JSON.stringify(notFound)).not.toContain(missing);
    expect(health).toMatchObject({ indexes: ["-"], blobs: ["/health", "GET", "2xx", "", "", "test", ""] });
    expect(unmatched).toMatchObject({ blobs: ["(unmatched)", "GET", "4xx", "not_found", "", "test", ""] });
    expect(prediction).toMatchObject({
      indexes: [tenant.id],
      blobs: ["/api/v1/predictions/credit", "POST", "2xx", "", tenant.id, "test", ""],
      doubles: [expect.any(Number), 201, 1],
    });
    for (const point of points) expect(point.doubles[0]).toBeGreaterThanOrEqual(0);
  });

  it("writes a data point per bulk-scoring chunk the consumer scores, with its rows", async () => {
    const tenant = await createTenant("metrics");
    const header = "age,income";
    const body = `${header}\n41,120\n35,90\n29,60\n`;
    const id = await submit(tenant.admin.token, body, "text/csv");
    expect((await waitForJob(tenant.admin.token, id)).status).toBe("completed");
    // The chunk delivered again (a queue delivers at least once): scored rows are not scored twice, and the
    // consumer's data point names the tenant and the chunk's rows.
    const { points, dataset } = recording();
    const batch = createMessageBatch("finedge-scoring-dev", [
      {
        id: "chunk-0",
        timestamp: new Date(),
        attempts: 1,
        body: {
          type: "score",
          tenantId: tenant.id,
          jobId: id,
          chunk: 0,
          offset: header.length + 1,
          length: body.length - header.length - 1,
          firstRow: 1,
          firstLine: 2,
          rows: 3,
        },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<unknown>, {
      ...bindings,
      METRICS: dataset as unknown as AnalyticsEngineDataset,
    });
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["chunk-0"]);
    expect(points).toEqual([
      {
        indexes: [tenant.id],
        blobs: ["(queue) bulk scoring", "QUEUE", "2xx", "", tenant.id, "test", ""],
        doubles: [expect.any(Number), 0, 3],
      },
    ]);
    const job = await api(`/api/v1/jobs/${id}`, { token: tenant.admin.token });
    expect(await job.json()).toMatchObject({
      status: "completed",
      progress: { rows_scored: 3, rows_failed: 0, chunks_done: 1 },
    });
  });
});
