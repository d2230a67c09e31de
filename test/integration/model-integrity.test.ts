import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelActivations } from "../../src/db/schema";
import { activePointerKey, CATALOGUE_KEY } from "../../src/ml/layout";
import { fileObjects, mergeCatalogue, type PublishableModel, pointerOf } from "../../src/ml/publication";
import { api } from "./auth-helpers";
import { submit } from "./bulk-fixtures";
import { bindings, problemOf } from "./helpers";
import {
  manifestOf,
  type PredictionView,
  publishTrainedModels,
  SETUP_TIMEOUT_MS,
  trainedModels,
  untilServed,
  waitForJob,
} from "./risk-fixtures";
import { createTenant, platformDatabase, type TenantFixture } from "./tenancy-fixtures";

/**
 * credit-lr's files published under another name and version; `tampered` alters one byte of model.onnx
 * after its digest was recorded - as a corrupted or substituted object in the bucket would be.
 */
function variant(name: string, version: string, tampered = false): PublishableModel {
  const lr = trainedModels().find((m) => m.name === "credit-lr") as PublishableModel;
  const onnx = lr.files["model.onnx"].slice();
  if (tampered) onnx[onnx.length - 1] = (onnx.at(-1) as number) ^ 0xff;
  return { ...lr, name, version, files: { ...lr.files, "model.onnx": onnx } };
}

const canary = [variant("credit-canary", "1.0.0"), variant("credit-canary", "1.1.0", true)];
const pinned = [
  variant("credit-pinned", "1.0.0"),
  variant("credit-pinned", "1.1.0", true),
  variant("credit-pinned", "1.2.0"),
];

async function publish(versions: PublishableModel[]) {
  const at = "2026-02-01T00:00:00.000Z";
  let pointer = null;
  for (const model of versions) {
    for (const { key, body } of fileObjects(model)) await bindings.MODELS.put(key, body);
    pointer = pointerOf(model, at, pointer);
  }
  if (pointer) await bindings.MODELS.put(activePointerKey(pointer.name), JSON.stringify(pointer));
}

const application = () => manifestOf("credit-lr").samples[0]?.input;

const credit = (token: string, model: string, version?: string) =>
  api("/api/v1/predictions/credit", {
    token,
    body: { application: application(), model, ...(version ? { model_version: version } : {}) },
  });

const activate = (token: string, name: string, version: string) =>
  api(`/api/v1/models/${name}/versions/${version}/activate`, { token, method: "POST" });

let tenant: TenantFixture;
beforeAll(async () => {
  await publishTrainedModels();
  // Published in order, so each pointer remembers the version before it.
  await publish(canary);
  await publish(pinned);
  await bindings.MODELS.put(
    CATALOGUE_KEY,
    JSON.stringify(
      mergeCatalogue(null, [...trainedModels(), ...canary, ...pinned], "2026-02-01T00:00:00.000Z"),
    ),
  );
  await untilServed({
    ...Object.fromEntries(trainedModels().map((m) => [m.name, m.version])),
    "credit-canary": "1.1.0",
    "credit-pinned": "1.2.0",
  });
  tenant = await createTenant("integrity");
}, SETUP_TIMEOUT_MS);

// Leave the bucket as the other suites expect it: only the trained models published.
afterAll(() => publishTrainedModels(), SETUP_TIMEOUT_MS);

describe("a model whose files fail their sha256 check", () => {
  it("is not served when it is the active version: the version it replaced keeps serving", async () => {
    const scored = await credit(tenant.admin.token, "credit-canary");
    expect(scored.status).toBe(201);
    const prediction = await scored.json<PredictionView>();
    expect(prediction.model).toMatchObject({ name: "credit-canary", version: "1.0.0" });
    const sample = manifestOf("credit-lr").samples[0];
    expect(Math.abs(Number(prediction.probability) - (sample?.probability ?? -1))).toBeLessThanOrEqual(1e-5);

    // Bulk jobs fix their model when accepted: the one that is actually served.
    const header = `reference,${Object.keys(application() ?? {}).join(",")}\n`;
    const row = `a,${Object.values(application() ?? {}).join(",")}\n`;
    const id = await submit(tenant.admin.token, header + row, "text/csv", "?model=credit-canary");
    const job = await waitForJob(tenant.admin.token, id);
    expect(job).toMatchObject({ status: "completed", progress: { rows_scored: 1 } });
    const view = await (await api(`/api/v1/jobs/${id}`, { token: tenant.admin.token })).json<{
      model: { version: string };
    }>();
    expect(view.model.version).toBe("1.0.0");
  });

  it("asked for by version, is refused with a clear error rather than replaced", async () => {
    const refused = await credit(tenant.admin.token, "credit-canary", "1.1.0");
    expect(refused.status).toBe(503);
    const problem = await problemOf(refused);
    expect(problem.detail).toBe(
      "Model credit-canary 1.1.0 failed its integrity check (its files do not match their sha256) and is not served.",
    );
  });

  it("cannot be activated; the current version keeps serving, and nothing is recorded as activated", async () => {
    const owner = await createTenant("integrity-activate");
    const refused = await activate(owner.admin.token, "credit-pinned", "1.1.0");
    expect(refused.status).toBe(409);
    expect((await problemOf(refused)).detail).toBe(
      "Model credit-pinned 1.1.0 cannot be activated: its files do not match their sha256. The current version keeps serving.",
    );
    const served = await (await credit(owner.admin.token, "credit-pinned")).json<PredictionView>();
    expect(served.model.version).toBe("1.2.0");
    const audit = await api("/api/v1/audit-events?action=model.activated", { token: owner.admin.token });
    expect((await audit.json<{ items: unknown[] }>()).items).toEqual([]);

    // A sound version activates, and remembers the one it replaced.
    expect((await activate(owner.admin.token, "credit-pinned", "1.0.0")).status).toBe(200);
    expect(
      (await (await credit(owner.admin.token, "credit-pinned")).json<PredictionView>()).model.version,
    ).toBe("1.0.0");
  });

  it("pinned by a tenant and altered since, falls back on the version the tenant had before", async () => {
    const owner = await createTenant("integrity-pinned");
    // The pin as an activation leaves it - made while 1.1.0's files were still sound.
    const handle = platformDatabase();
    try {
      await handle.db.insert(modelActivations).values({
        tenantId: owner.id,
        name: "credit-pinned",
        version: "1.1.0",
        previousVersion: "1.0.0",
        source: "platform",
        actorType: "user",
      });
    } finally {
      await handle.close();
    }
    const served = await (await credit(owner.admin.token, "credit-pinned")).json<PredictionView>();
    // Not the platform's active 1.2.0: the version this tenant scored with before.
    expect(served.model.version).toBe("1.0.0");
  });
});
