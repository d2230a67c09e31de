import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { scoringJobs } from "../../src/db/schema";
import worker from "../../src/index";
import { runScheduled } from "../../src/scheduled";
import { ChunkPlanner } from "../../src/services/risk/bulk-chunks";
import { inputKey } from "../../src/services/risk/jobs";
import { api } from "./auth-helpers";
import { FIELDS, parseLines, resultText, upload } from "./bulk-fixtures";
import { bindings, databaseCalls, problemOf } from "./helpers";
import {
  type JobView,
  manifestOf,
  publishTrainedModels,
  SETUP_TIMEOUT_MS,
  trainedModels,
  waitForJob,
} from "./risk-fixtures";
import { createApiKey, createTenant, platformDatabase, type TenantFixture } from "./tenancy-fixtures";

const csvRow = (input: Record<string, unknown>) =>
  FIELDS.map((f) => (input[f] === null || input[f] === undefined ? "" : String(input[f]))).join(",");

/** A CSV of `rows` valid applications with references r1, r2, ... */
function applications(rows: number) {
  const samples = manifestOf("credit-lr").samples;
  const lines = Array.from(
    { length: rows },
    (_, i) => `r${i + 1},${csvRow(samples[i % samples.length]?.input ?? {})}`,
  );
  return `reference,${FIELDS.join(",")}\n${lines.join("\n")}\n`;
}

const jobsOf = async (token: string) =>
  (await (await api("/api/v1/jobs?limit=100", { token })).json<{ items: JobView[] }>()).items;

/**
 * A job accepted as the API accepts one - its file in R2, split into chunks - whose chunk messages are
 * delivered by the test instead of the queue, so it stays queued until the test moves it.
 */
async function acceptedJob(tenantId: string, csv: string, chunkRows: number, options = { store: true }) {
  const id = crypto.randomUUID();
  const bytes = new TextEncoder().encode(csv);
  const planner = new ChunkPlanner("csv", chunkRows);
  planner.push(bytes);
  planner.end();
  const header = planner.columns();
  if (!("columns" in header)) throw new Error(header.problem);
  const key = inputKey(tenantId, id, "csv");
  if (options.store) await bindings.FILES.put(key, bytes);
  const model = trainedModels().find((m) => m.name === "credit-lr");
  if (!model) throw new Error("credit-lr is not trained");
  const handle = platformDatabase();
  try {
    await handle.db.insert(scoringJobs).values({
      id,
      tenantId,
      inputFormat: "csv",
      inputKey: key,
      inputBytes: bytes.length,
      columns: header.columns,
      modelName: "credit-lr",
      modelVersion: model.version,
      modelSha256: model.sha256["model.onnx"],
      modelSource: "platform",
      rowsTotal: planner.rows,
      chunksTotal: planner.chunks.length,
      chunkRows,
      actorType: "user",
    });
  } finally {
    await handle.close();
  }
  const messages = planner.chunks.map((plan) => ({ type: "score", tenantId, jobId: id, ...plan }));
  return { id, key, bytes, messages };
}

/** Delivers messages to the scoring consumer, as the queue would; returns what the consumer acknowledged. */
async function deliver(messages: unknown[], attempts = 1) {
  const batch = createMessageBatch(
    "finedge-scoring-dev",
    messages.map((body, i) => ({ id: `m${i}-${attempts}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<unknown>, bindings);
  return getQueueResult(batch, ctx);
}

const job = async (token: string, id: string) => (await api(`/api/v1/jobs/${id}`, { token })).json<JobView>();

let tenant: TenantFixture;
beforeAll(async () => {
  await publishTrainedModels();
  tenant = await createTenant("bulk-control");
}, SETUP_TIMEOUT_MS);

describe("bulk job submission with an Idempotency-Key", () => {
  it("a retry of the same file gets the same job; another file, model or caller under the key is 422", async () => {
    const owner = await createTenant("bulk-idempotent");
    const token = owner.admin.token;
    const key = crypto.randomUUID();
    const csv = applications(3);
    const first = await upload(token, csv, "text/csv", "?model=credit-lr", { "idempotency-key": key });
    expect(first.status).toBe(202);
    expect(first.headers.get("idempotency-replayed")).toBeNull();
    const accepted = await first.json<{ id: string }>();
    await waitForJob(token, accepted.id);

    const again = await upload(token, csv, "text/csv", "?model=credit-lr", { "idempotency-key": key });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotency-replayed")).toBe("true");
    expect(again.headers.get("location")).toBe(`/api/v1/jobs/${accepted.id}`);
    expect(await again.json()).toMatchObject({ id: accepted.id, status: "completed" });
    expect((await jobsOf(token)).map((j) => j.id)).toEqual([accepted.id]);

    const otherFile = await upload(token, applications(4), "text/csv", "?model=credit-lr", {
      "idempotency-key": key,
    });
    expect(otherFile.status).toBe(422);
    expect((await problemOf(otherFile)).code).toBe("idempotency_key_reused");
    const otherModel = await upload(token, csv, "text/csv", "?model=credit-gbdt", { "idempotency-key": key });
    expect(otherModel.status).toBe(422);
    const apiKey = await createApiKey(owner, { scopes: ["jobs:read", "jobs:write"] });
    const otherCaller = await upload(apiKey.key, csv, "text/csv", "?model=credit-lr", {
      "idempotency-key": key,
    });
    expect(otherCaller.status).toBe(422);

    const malformed = await upload(token, csv, "text/csv", "?model=credit-lr", {
      "idempotency-key": "a key",
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get("content-type")).toMatch(/^application\/problem\+json/);

    // Nothing but the one job was made, and no refused upload was left behind in storage.
    expect((await jobsOf(token)).map((j) => j.id)).toEqual([accepted.id]);
    const stored = await bindings.FILES.list({ prefix: `jobs/${owner.id}/` });
    expect(stored.objects.map((o) => o.key).filter((k) => k.includes("/input."))).toEqual([
      inputKey(owner.id, accepted.id, "csv"),
    ]);
  });

  it("two copies sent at once make one job, and both are answered with it", async () => {
    const owner = await createTenant("bulk-race");
    const key = crypto.randomUUID();
    const csv = applications(5);
    const [a, b] = await Promise.all(
      [0, 1].map(() =>
        upload(owner.admin.token, csv, "text/csv", "?model=credit-lr", { "idempotency-key": key }),
      ),
    );
    expect([a?.status, b?.status]).toEqual([202, 202]);
    const ids = await Promise.all([a, b].map(async (r) => (await r?.json<{ id: string }>())?.id));
    expect(ids[0]).toBe(ids[1]);
    expect([a, b].filter((r) => r?.headers.get("idempotency-replayed") === "true")).toHaveLength(1);
    const done = await waitForJob(owner.admin.token, ids[0] as string);
    expect(done.progress).toMatchObject({ rows_total: 5, rows_scored: 5 });
    expect(await jobsOf(owner.admin.token)).toHaveLength(1);
  });
});

describe("cancelling a bulk job", () => {
  it("stops a running job: chunks still queued are dropped, rows scored so far stay in its results", async () => {
    const token = tenant.admin.token;
    const { id, messages } = await acceptedJob(tenant.id, applications(5), 2);
    expect(messages).toHaveLength(3);
    expect((await deliver([messages[0]])).explicitAcks).toHaveLength(1);
    expect(await job(token, id)).toMatchObject({
      status: "running",
      progress: { rows_scored: 2, chunks_done: 1 },
    });

    const requestId = `cancel-${crypto.randomUUID()}`;
    const cancelled = await api(`/api/v1/jobs/${id}/cancel`, {
      method: "POST",
      token,
      headers: { "X-Request-Id": requestId },
    });
    expect(cancelled.status).toBe(200);
    // Decided on one read, written in one batch.
    expect(await databaseCalls(requestId)).toEqual({ http: 2, websocket: 0 });
    const view = await cancelled.json<JobView>();
    expect(view).toMatchObject({
      status: "cancelled",
      progress: { rows_total: 5, rows_scored: 2, chunks_done: 1 },
    });
    expect(view.completed_at).not.toBeNull();

    // The rest arrive after the cancellation: acknowledged, and nothing more is scored or counted.
    expect((await deliver(messages.slice(1))).explicitAcks).toHaveLength(2);
    expect((await job(token, id)).progress).toEqual(view.progress);
    const out = parseLines(await resultText(token, id));
    expect(out.map((l) => [l.row, l.reference, l.status])).toEqual([
      [1, "r1", "scored"],
      [2, "r2", "scored"],
    ]);

    // Cancelling again changes nothing; the audit trail has the one cancellation.
    const twice = await api(`/api/v1/jobs/${id}/cancel`, { method: "POST", token });
    expect(twice.status).toBe(200);
    expect((await twice.json<JobView>()).completed_at).toBe(view.completed_at);
    const audit = await api("/api/v1/audit-events?action=job.cancelled", { token });
    const events = (await audit.json<{ items: Array<{ resource_id: string }> }>()).items;
    expect(events.filter((e) => e.resource_id === id)).toHaveLength(1);
  });

  it("a finished job cannot be cancelled; another tenant's job is not found; readers may not cancel", async () => {
    const token = tenant.admin.token;
    const { id, messages } = await acceptedJob(tenant.id, applications(2), 10);
    await deliver(messages);
    expect((await job(token, id)).status).toBe("completed");
    const finished = await api(`/api/v1/jobs/${id}/cancel`, { method: "POST", token });
    expect(finished.status).toBe(409);
    expect((await problemOf(finished)).detail).toMatch(/already finished \(completed\)/);

    const queued = await acceptedJob(tenant.id, applications(2), 10);
    const other = await createTenant("bulk-control-other");
    const foreign = await api(`/api/v1/jobs/${queued.id}/cancel`, {
      method: "POST",
      token: other.admin.token,
    });
    expect(foreign.status).toBe(404);
    const reader = await createApiKey(tenant, { scopes: ["jobs:read"] });
    const refused = await api(`/api/v1/jobs/${queued.id}/cancel`, { method: "POST", token: reader.key });
    expect(refused.status).toBe(403);
    expect((await job(token, queued.id)).status).toBe("queued");
  });
});

describe("bulk job delivery", () => {
  it("a chunk that fails is retried, and completes once the retry succeeds", async () => {
    const token = tenant.admin.token;
    // The upload is not readable yet: scoring the chunk fails, and the consumer asks for a retry.
    const { id, key, bytes, messages } = await acceptedJob(tenant.id, applications(3), 10, { store: false });
    const failed = await deliver(messages);
    expect(failed.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["m0-1"]);
    expect(failed.explicitAcks).toEqual([]);
    expect(await job(token, id)).toMatchObject({ status: "queued", progress: { chunks_done: 0 } });

    await bindings.FILES.put(key, bytes);
    const retried = await deliver(messages, 2);
    expect(retried.explicitAcks).toEqual(["m0-2"]);
    const done = await job(token, id);
    expect(done).toMatchObject({
      status: "completed",
      progress: { rows_scored: 3, rows_failed: 0, chunks_done: 1 },
    });
    expect(parseLines(await resultText(token, id)).map((l) => l.reference)).toEqual(["r1", "r2", "r3"]);
  });
});

describe("stalled bulk jobs", () => {
  const stalling = { ...bindings, BULK_STALL_SECONDS: "1" } as typeof bindings;

  it("fail with the reason when their upload is gone, instead of waiting for ever", async () => {
    const token = tenant.admin.token;
    const { id } = await acceptedJob(tenant.id, applications(3), 2, { store: false });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (let sweep = 0; sweep < 10 && (await job(token, id)).status === "queued"; sweep++) {
      await runScheduled(stalling);
    }
    const failed = await job(token, id);
    expect(failed).toMatchObject({
      status: "failed",
      error: "the job cannot be resumed: its upload is missing",
    });
    expect(failed.completed_at).not.toBeNull();
  });

  it("the cron sends a stalled job's unrecorded chunks again; it completes with every row once", async () => {
    const token = tenant.admin.token;
    const { id, messages } = await acceptedJob(tenant.id, applications(5), 2);
    // Chunk 0 is scored; chunks 1 and 2 never arrive.
    await deliver([messages[0]]);
    expect((await job(token, id)).progress).toMatchObject({ chunks_total: 3, chunks_done: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));

    // Each sweep takes the 20 jobs that have waited longest; other suites' stalled jobs may come first.
    for (let sweep = 0; sweep < 10 && (await job(token, id)).progress.chunks_done < 3; sweep++) {
      await runScheduled(stalling);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const done = await waitForJob(token, id);
    expect(done).toMatchObject({
      status: "completed",
      progress: { rows_total: 5, rows_scored: 5, rows_failed: 0, chunks_done: 3 },
    });
    const out = parseLines(await resultText(token, id));
    expect(out.map((l) => l.reference)).toEqual(["r1", "r2", "r3", "r4", "r5"]);
  });
});
