/**
 * Risk fixtures: the trained models published into the test bucket (as `npm run models:publish` does),
 * companies with statements, and what predictions and bulk jobs look like on the wire.
 */
import { inject } from "vitest";
import {
  companies,
  financialStatements,
  inferenceUsage,
  modelActivations,
  modelVersions,
  predictions,
  scoringJobChunks,
  scoringJobErrors,
  scoringJobs,
} from "../../src/db/tables/risk";
import { activePointerKey, CATALOGUE_KEY, type ModelFile } from "../../src/ml/layout";
import { fileObjects, mergeCatalogue, type PublishableModel, pointerOf } from "../../src/ml/publication";
import { api } from "./auth-helpers";
import { bindings, call } from "./helpers";
import { platformDatabase } from "./tenancy-fixtures";

const decode = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** The trained models, as global setup read them from models/. */
export function trainedModels(): PublishableModel[] {
  return inject("riskModels").map((m) => ({
    name: m.name,
    version: m.version,
    sha256: m.sha256,
    files: Object.fromEntries(Object.entries(m.files).map(([file, b64]) => [file, decode(b64)])) as Record<
      ModelFile,
      Uint8Array
    >,
  }));
}

/** A model's manifest, parsed. */
export function manifestOf(name: string) {
  const model = trainedModels().find((m) => m.name === name);
  if (!model) throw new Error(`no model ${name}`);
  return JSON.parse(new TextDecoder().decode(model.files["manifest.json"])) as {
    samples: Array<{
      input: Record<string, unknown>;
      probability: number;
      band: string;
      contributions: Record<string, number>;
    }>;
    features: Array<{ name: string }>;
  };
}

/**
 * credit-lr's graph uploaded as a tenant's own model, as a client would (multipart): its manifest is
 * credit-lr's as `edit` changes it - which must at least rename it, the platform's names being reserved.
 */
export function uploadOwnModel(
  token: string,
  edit: (manifest: Record<string, unknown>) => void,
  parts: { model?: Uint8Array; card?: string; headers?: Record<string, string> } = {},
) {
  const lr = trainedModels().find((m) => m.name === "credit-lr") as PublishableModel;
  const manifest = JSON.parse(new TextDecoder().decode(lr.files["manifest.json"])) as Record<string, unknown>;
  edit(manifest);
  const form = new FormData();
  form.set("model", new Blob([parts.model ?? lr.files["model.onnx"]]), "model.onnx");
  form.set("manifest", new Blob([JSON.stringify(manifest)]), "manifest.json");
  if (parts.card !== undefined) form.set("card", parts.card);
  return call("/api/v1/models", {
    method: "POST",
    headers: { ...parts.headers, authorization: `Bearer ${token}` },
    body: form,
  });
}

/** How long a suite's set-up may take: the first import of the inference runtime is slow in the test pool. */
export const SETUP_TIMEOUT_MS = 120_000;

/**
 * Publishes every trained model into the MODELS bucket (idempotent), and loads the inference runtime once,
 * so the first scoring request of a suite does not pay for the test pool compiling it.
 */
export async function publishTrainedModels(): Promise<void> {
  await import("../../src/ml/engine");
  const models = trainedModels();
  const at = "2026-01-01T00:00:00.000Z";
  for (const model of models) {
    for (const { key, body } of fileObjects(model)) await bindings.MODELS.put(key, body);
    await bindings.MODELS.put(activePointerKey(model.name), JSON.stringify(pointerOf(model, at, null)));
  }
  await bindings.MODELS.put(CATALOGUE_KEY, JSON.stringify(mergeCatalogue(null, models, at)));
  await untilServed(Object.fromEntries(models.map((m) => [m.name, m.version])));
}

/**
 * Waits until the Worker serves exactly `active` (model name to version) as the published models. An isolate
 * keeps what it read of the catalogue and the active pointers for a few seconds, and the suites share one
 * isolate: a suite that published other models just before would otherwise still be seen.
 */
export async function untilServed(active: Record<string, string>): Promise<void> {
  const canonical = (versions: Record<string, string> | undefined) =>
    JSON.stringify(Object.entries(versions ?? {}).sort(([a], [b]) => a.localeCompare(b)));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const report = await (await call("/health/ready")).json<{
      services: { models?: { active?: Record<string, string> } };
    }>();
    const served = report.services.models?.active;
    if (canonical(served) === canonical(active)) return;
    if (Date.now() > deadline) {
      throw new Error(`the Worker serves ${canonical(served)}, not the published ${canonical(active)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A sound annual statement (O-score and ratio fields), amounts as decimal strings. */
export function annualStatement(year: number, overrides: Record<string, unknown> = {}) {
  return {
    period_type: "annual",
    fiscal_year: year,
    period_end: `${year}-12-31`,
    currency: "USD",
    total_assets: "5000000000.00",
    total_liabilities: "2600000000.00",
    current_assets: "1800000000.00",
    current_liabilities: "950000000.00",
    net_income: "310000000.00",
    funds_from_operations: "520000000.00",
    revenue: "4200000000.00",
    ebit: "450000000.00",
    ebitda: "610000000.00",
    interest_expense: "60000000.00",
    sga_expense: "700000000.00",
    long_term_debt: "1500000000.00",
    total_debt: "1800000000.00",
    total_equity: "2400000000.00",
    ...overrides,
  };
}

const QUARTER_END = ["03-31", "06-30", "09-30", "12-31"];

/** Eight consecutive quarters ending with Q4 of `year`, oldest first. */
export function eightQuarters(year: number, overrides: Record<string, unknown> = {}) {
  return Array.from({ length: 8 }, (_, i) => {
    const fiscalYear = year - 1 + Math.floor(i / 4);
    const quarter = (i % 4) + 1;
    return {
      ...annualStatement(fiscalYear),
      period_type: "quarterly",
      fiscal_quarter: quarter,
      period_end: `${fiscalYear}-${QUARTER_END[quarter - 1]}`,
      net_income: "75000000.00",
      funds_from_operations: "130000000.00",
      revenue: "1050000000.00",
      ebit: "110000000.00",
      ebitda: "150000000.00",
      sga_expense: "180000000.00",
      ...overrides,
    };
  });
}

/** Creates a company through the API. */
export async function createCompany(token: string, body: Record<string, unknown> = {}) {
  const response = await api("/api/v1/companies", {
    token,
    body: { name: `Company ${crypto.randomUUID().slice(0, 8)}`, ...body },
  });
  if (response.status !== 201) throw new Error(`company: ${response.status} ${await response.text()}`);
  return response.json<{ id: string; name: string; currency: string }>();
}

/** Files statements through the API. */
export async function fileStatements(token: string, companyId: string, statements: unknown[]) {
  return api(`/api/v1/companies/${companyId}/financials`, { token, body: { statements } });
}

/** A prediction as the API returns it. */
export interface PredictionView {
  id: string;
  kind: string;
  company_id: string | null;
  statement_ids: string[] | null;
  reference: string | null;
  probability: string;
  band: string;
  model: { name: string; version: string; sha256: string; source: string };
  reason_codes: Array<{ feature: string; direction: string; contribution: number }>;
  contributions: Record<string, number>;
  ratios: Record<string, { value: number | null; reason: string | null }> | null;
  features: Record<string, number>;
  input: Record<string, unknown>;
  created_at: string;
}

/** A job as the API returns it. */
export interface JobView {
  id: string;
  status: string;
  progress: {
    rows_total: number | null;
    rows_scored: number;
    rows_failed: number;
    chunks_total: number | null;
    chunks_done: number;
  };
  error: string | null;
  results_url: string | null;
  started_at: string | null;
  completed_at: string | null;
  duration_ms: number | null;
  errors: Array<{
    row: number;
    line: number | null;
    reference: string | null;
    errors: Array<{ field: string | null; message: string }>;
  }>;
  errors_url: string;
}

/** Polls a job until it is no longer queued or running (bounded: fails after `attempts`). */
export async function waitForJob(token: string, id: string, attempts = 400): Promise<JobView> {
  let job: JobView | undefined;
  for (let i = 0; i < attempts; i++) {
    const response = await api(`/api/v1/jobs/${id}`, { token });
    if (response.status !== 200) throw new Error(`job: ${response.status} ${await response.text()}`);
    job = await response.json<JobView>();
    if (job.status !== "queued" && job.status !== "running") return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${id} did not finish: ${JSON.stringify(job)}`);
}

/** One row of every risk table for the tenant, written directly (platform scope), for isolation checks. */
export async function seedRiskRows(tenantId: string): Promise<void> {
  const handle = platformDatabase();
  const sha = "0".repeat(64);
  const actor = { actorType: "user" as const, actorId: null };
  try {
    const db = handle.db;
    const [company] = await db
      .insert(companies)
      .values({ tenantId, name: "Seeded", currency: "USD" })
      .returning();
    const companyId = company?.id as string;
    await db.insert(financialStatements).values({
      tenantId,
      companyId,
      periodType: "annual",
      fiscalYear: 2024,
      periodEnd: "2024-12-31",
      currency: "USD",
      totalAssets: "100.00",
      totalLiabilities: "50.00",
      currentAssets: "10.00",
      currentLiabilities: "5.00",
      netIncome: "1.00",
    });
    const model = {
      modelName: "credit-lr",
      modelVersion: "1.0.0",
      modelSha256: sha,
      modelSource: "platform" as const,
    };
    await db.insert(predictions).values({
      tenantId,
      kind: "credit",
      ...model,
      probability: 0.1,
      band: "HIGH",
      contributions: {},
      features: {},
      rawInput: {},
      ...actor,
    });
    const [job] = await db
      .insert(scoringJobs)
      .values({ tenantId, inputFormat: "csv", inputKey: "jobs/seed", inputBytes: 1, ...model, ...actor })
      .returning();
    await db.insert(scoringJobChunks).values({
      jobId: job?.id as string,
      chunk: 0,
      tenantId,
      rowsScored: 0,
      rowsFailed: 0,
      resultKey: "jobs/seed/results",
    });
    await db.insert(scoringJobErrors).values({
      jobId: job?.id as string,
      row: 1,
      line: 2,
      tenantId,
      errors: [{ field: null, message: "seeded" }],
    });
    await db.insert(modelVersions).values({
      tenantId,
      name: `seeded-${crypto.randomUUID().slice(0, 8)}`,
      version: "1.0.0",
      kind: "logistic",
      inputKind: "loan-application",
      description: "Seeded.",
      sha256: sha,
      manifestSha256: sha,
      sizeBytes: 1,
      validation: {},
      ...actor,
    });
    await db
      .insert(modelActivations)
      .values({ tenantId, name: "credit-lr", version: "1.0.0", source: "platform", ...actor });
    await db.insert(inferenceUsage).values({ tenantId, day: "2026-01-01", rows: 1 });
  } finally {
    await handle.close();
  }
}

/** Risk data of every kind, made through the API: a company with statements, a prediction, a job, an own model. */
export async function seedRiskWorld(tenant: { admin: { token: string } }, label: string) {
  await publishTrainedModels();
  const token = tenant.admin.token;
  const company = await createCompany(token, { name: `${label} company ${crypto.randomUUID().slice(0, 6)}` });
  const filed = await fileStatements(token, company.id, [annualStatement(2023), annualStatement(2024)]);
  if (filed.status !== 201) throw new Error(`statements: ${filed.status} ${await filed.text()}`);
  const predicted = await api("/api/v1/predictions/annual", { token, body: { company_id: company.id } });
  if (predicted.status !== 201) throw new Error(`prediction: ${predicted.status} ${await predicted.text()}`);
  const job = await call("/api/v1/predictions/bulk", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
    body: '{"age":30}\n',
  });
  if (job.status !== 202) throw new Error(`job: ${job.status} ${await job.text()}`);
  const modelName = `${label}-credit-${crypto.randomUUID().slice(0, 6)}`;
  let modelVersion = "";
  const uploaded = await uploadOwnModel(token, (m) => {
    m.name = modelName;
    modelVersion = m.version as string;
  });
  if (uploaded.status !== 201) throw new Error(`model: ${uploaded.status} ${await uploaded.text()}`);
  return {
    companyId: company.id,
    companyName: company.name,
    predictionId: (await predicted.json<{ id: string }>()).id,
    jobId: (await job.json<{ id: string }>()).id,
    modelName,
    modelVersion,
  };
}
