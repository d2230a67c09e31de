import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { call, problemOf } from "./helpers";
import { type PredictionView, publishTrainedModels, SETUP_TIMEOUT_MS, trainedModels } from "./risk-fixtures";
import { addUser, createTenant, query, type TenantFixture } from "./tenancy-fixtures";

interface ModelList {
  items: Array<{
    name: string;
    source: string;
    active_version: string | null;
    versions: Array<{ version: string; active: boolean; card: string | null; sha256: string; kind: string }>;
  }>;
}

const lr = () =>
  trainedModels().find((m) => m.name === "credit-lr") as ReturnType<typeof trainedModels>[number];
const lrManifest = () =>
  JSON.parse(new TextDecoder().decode(lr().files["manifest.json"])) as Record<string, unknown>;

/** credit-lr's graph under the tenant's own name and version, with its manifest edited by `edit`. */
function upload(
  token: string,
  edit: (manifest: Record<string, unknown>) => void,
  onnx = lr().files["model.onnx"],
) {
  const manifest = { ...lrManifest(), name: "acme-credit", version: "1.0.0" };
  edit(manifest);
  const form = new FormData();
  form.set("model", new Blob([onnx]), "model.onnx");
  form.set("manifest", new Blob([JSON.stringify(manifest)]), "manifest.json");
  form.set("card", "# Acme credit\n\nOur own scorecard.");
  return call("/api/v1/models", {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
}

async function refusedWith(response: Response, code: string) {
  expect(response.status).toBe(code === "conflict" ? 409 : 422);
  const problem = await problemOf(response);
  return problem.errors?.map((e) => `${e.pointer} ${e.code}`) ?? [];
}

const activate = (token: string, name: string, version: string) =>
  api(`/api/v1/models/${name}/versions/${version}/activate`, { token, method: "POST" });

let tenant: TenantFixture;
beforeAll(async () => {
  await publishTrainedModels();
  tenant = await createTenant("models");
}, SETUP_TIMEOUT_MS);

describe("the model registry", () => {
  it("lists the platform's models with their versions, cards and active version", async () => {
    const response = await api("/api/v1/models", { token: tenant.admin.token });
    expect(response.status).toBe(200);
    const { items } = await response.json<ModelList>();
    expect(items.map((m) => m.name)).toEqual([
      "corporate-annual",
      "corporate-quarterly",
      "credit-gbdt",
      "credit-lr",
    ]);
    const gbdt = items.find((m) => m.name === "credit-gbdt");
    expect(gbdt).toMatchObject({ source: "platform", active_version: "1.0.0" });
    expect(gbdt?.versions[0]).toMatchObject({ version: "1.0.0", active: true, kind: "gbdt" });
    expect(gbdt?.versions[0]?.card).toMatch(/^# /);
  });

  it("refuses an upload whose sha256, manifest or dry run does not check out - storing nothing", async () => {
    const badSha = await upload(tenant.admin.token, (m) => {
      m.sha256 = "0".repeat(64);
    });
    expect(await refusedWith(badSha, "validation_failed")).toEqual(["/model sha256_mismatch"]);

    const badManifest = await upload(tenant.admin.token, (m) => {
      delete m.vector;
      m.bands = "high";
    });
    expect(await refusedWith(badManifest, "validation_failed")).toEqual([
      "/manifest/vector invalid_manifest",
      "/manifest/bands invalid_manifest",
    ]);

    const mismatch = await upload(tenant.admin.token, (m) => {
      const samples = m.samples as Array<{ probability: number }>;
      (samples[2] as { probability: number }).probability += 0.01;
    });
    expect(await refusedWith(mismatch, "validation_failed")).toEqual([
      "/manifest/samples/2 dry_run_mismatch",
    ]);

    const notOnnx = new TextEncoder().encode("not an onnx graph");
    const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", notOnnx))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    const unloadable = await upload(
      tenant.admin.token,
      (m) => {
        m.sha256 = digest;
      },
      notOnnx,
    );
    expect(await refusedWith(unloadable, "validation_failed")).toEqual(["/model invalid_model"]);

    const platformName = await upload(tenant.admin.token, (m) => {
      m.name = "credit-gbdt";
    });
    expect(platformName.status).toBe(409);
    const json = await api("/api/v1/models", { token: tenant.admin.token, body: {} });
    expect(json.status).toBe(415);
    const [row] = await query<{ n: string }>(
      sql`select count(*) as n from model_versions where tenant_id = ${tenant.id}`,
    );
    expect(Number(row?.n)).toBe(0);
  });

  it("uploads, activates and rolls back a tenant's own model, each step audited, visible to that tenant only", async () => {
    const own = await createTenant("models-own");
    const created = await upload(own.admin.token, () => {});
    expect(created.status, await created.clone().text()).toBe(201);
    expect(await created.json()).toMatchObject({
      name: "acme-credit",
      version: "1.0.0",
      source: "tenant",
      active: false,
    });
    expect((await upload(own.admin.token, () => {})).status).toBe(409);

    const credit = (version?: string) =>
      api("/api/v1/predictions/credit", {
        token: own.admin.token,
        body: {
          application: { age: 30 },
          model: "acme-credit",
          ...(version ? { model_version: version } : {}),
        },
      });
    expect((await credit()).status).toBe(409);

    expect((await activate(own.admin.token, "acme-credit", "1.0.0")).status).toBe(200);
    const scored = await credit();
    expect(scored.status).toBe(201);
    expect((await scored.json<PredictionView>()).model).toMatchObject({
      name: "acme-credit",
      version: "1.0.0",
      source: "tenant",
    });

    expect(
      (
        await upload(own.admin.token, (m) => {
          m.version = "1.1.0";
        })
      ).status,
    ).toBe(201);
    const upgraded = await activate(own.admin.token, "acme-credit", "1.1.0");
    expect(await upgraded.json()).toMatchObject({
      active_version: "1.1.0",
      previous_version: "1.0.0",
      rolled_back: false,
    });
    expect((await (await credit()).json<PredictionView>()).model.version).toBe("1.1.0");
    const rollback = await activate(own.admin.token, "acme-credit", "1.0.0");
    expect(await rollback.json()).toMatchObject({
      active_version: "1.0.0",
      previous_version: "1.1.0",
      rolled_back: true,
    });
    expect((await (await credit()).json<PredictionView>()).model.version).toBe("1.0.0");

    const trail = await query<{ action: string; summary: { before?: unknown; after?: unknown } }>(
      sql`select action, summary from audit_events where tenant_id = ${own.id} and resource_type = 'model' order by seq`,
    );
    expect(trail.map((e) => e.action)).toEqual([
      "model.uploaded",
      "model.activated",
      "model.uploaded",
      "model.activated",
      "model.rolled_back",
    ]);
    expect(trail[4]?.summary).toEqual({
      before: { version: "1.1.0" },
      after: { version: "1.0.0", source: "tenant" },
    });

    const mine = (await (await api("/api/v1/models", { token: own.admin.token })).json<ModelList>()).items;
    expect(mine.find((m) => m.name === "acme-credit")).toMatchObject({
      source: "tenant",
      active_version: "1.0.0",
    });
    const theirs = await api("/api/v1/models", { token: tenant.admin.token });
    expect(await theirs.text()).not.toContain("acme-credit");
    expect((await activate(tenant.admin.token, "acme-credit", "1.0.0")).status).toBe(404);
  });

  it("pins a platform model's version per tenant; only tenant admins manage models", async () => {
    const pinned = await activate(tenant.admin.token, "credit-lr", "1.0.0");
    expect(await pinned.json()).toMatchObject({
      active_version: "1.0.0",
      previous_version: "1.0.0",
      rolled_back: false,
    });
    expect((await activate(tenant.admin.token, "credit-lr", "0.9.0")).status).toBe(404);
    const analyst = await addUser(tenant, "analyst");
    expect((await activate(analyst.token, "credit-lr", "1.0.0")).status).toBe(403);
    expect((await upload(analyst.token, () => {})).status).toBe(403);
    expect((await api("/api/v1/models", { token: analyst.token })).status).toBe(200);
  });
});
