import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { UPLOAD_LEASE_MINUTES } from "../../src/db/repositories/model-versions.repository";
import { fileKey } from "../../src/ml/layout";
import { api } from "./auth-helpers";
import { bindings, problemOf } from "./helpers";
import { type PredictionView, publishTrainedModels, SETUP_TIMEOUT_MS, uploadOwnModel } from "./risk-fixtures";
import { addUser, createTenant, query, type TenantFixture } from "./tenancy-fixtures";

interface ModelList {
  items: Array<{
    name: string;
    source: string;
    active_version: string | null;
    versions: Array<{ version: string; active: boolean; card: string | null; sha256: string; kind: string }>;
  }>;
}

const CARD = "# Acme credit\n\nOur own scorecard.";

/** credit-lr's graph as acme-credit 1.0.0, with its manifest edited by `edit`. */
const upload = (
  token: string,
  edit: (manifest: Record<string, unknown>) => void = () => {},
  model?: Uint8Array,
  card = CARD,
) =>
  uploadOwnModel(
    token,
    (m) => {
      m.name = "acme-credit";
      m.version = "1.0.0";
      edit(m);
    },
    { model, card },
  );

async function refusedWith(response: Response, code: string) {
  expect(response.status).toBe(code === "conflict" ? 409 : 422);
  const problem = await problemOf(response);
  return problem.errors?.map((e) => `${e.pointer} ${e.code}`) ?? [];
}

const activate = (token: string, name: string, version: string) =>
  api(`/api/v1/models/${name}/versions/${version}/activate`, { token, method: "POST" });

/** A credit prediction with acme-credit (`version`, or the active one). */
const creditWith = (token: string, version?: string) =>
  api("/api/v1/predictions/credit", {
    token,
    body: { application: { age: 30 }, model: "acme-credit", ...(version ? { model_version: version } : {}) },
  });

const versionsOf = async (token: string) => {
  const { items } = await (await api("/api/v1/models", { token })).json<ModelList>();
  return items.find((m) => m.name === "acme-credit")?.versions.map((v) => v.version) ?? [];
};

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
    const created = await upload(own.admin.token);
    expect(created.status, await created.clone().text()).toBe(201);
    expect(await created.json()).toMatchObject({
      name: "acme-credit",
      version: "1.0.0",
      source: "tenant",
      active: false,
    });
    expect((await upload(own.admin.token)).status).toBe(409);

    const credit = (version?: string) => creditWith(own.admin.token, version);
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
    expect((await upload(analyst.token)).status).toBe(403);
    expect((await api("/api/v1/models", { token: analyst.token })).status).toBe(200);
  });

  it("stores one of two concurrent uploads of a version and refuses the other, whose files are never written", async () => {
    const own = await createTenant("models-race");
    const attempt = (which: string) =>
      upload(
        own.admin.token,
        (m) => {
          m.description = `Acme credit, the ${which} upload.`;
        },
        undefined,
        `# Acme credit\n\nThe ${which} upload.`,
      );
    const answers = await Promise.all([attempt("first"), attempt("second")]);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
    const loser = answers.find((r) => r.status === 409) as Response;
    expect((await problemOf(loser)).detail).toBe("acme-credit 1.0.0 already exists.");
    const winner = await (answers.find((r) => r.status === 201) as Response).json<{
      description: string;
      card: string;
    }>();

    const ref = { tenantId: own.id, name: "acme-credit", version: "1.0.0" };
    const stored = async (file: "manifest.json" | "MODEL_CARD.md") =>
      (await bindings.MODELS.get(fileKey(ref, file)))?.text();
    expect(await stored("MODEL_CARD.md")).toBe(winner.card);
    expect(JSON.parse((await stored("manifest.json")) ?? "{}").description).toBe(winner.description);
    // The files pass the integrity check against the winner's digests, and score.
    expect((await activate(own.admin.token, "acme-credit", "1.0.0")).status).toBe(200);
    expect((await creditWith(own.admin.token)).status).toBe(201);
  });

  it("keeps a version whose files are still being written out of sight, and takes its claim over once its lease ran out", async () => {
    const own = await createTenant("models-claim");
    expect((await upload(own.admin.token)).status).toBe(201);
    // An upload of 1.1.0 that claimed its version and has not written its files yet - or never will.
    const [claim] = await query<{ id: string }>(
      sql`insert into model_versions (tenant_id, name, version, kind, input_kind, description, sha256,
                                      manifest_sha256, size_bytes, validation, actor_type, files_ready)
          select tenant_id, name, '1.1.0', kind, input_kind, description, sha256, manifest_sha256, size_bytes,
                 validation, actor_type, false
            from model_versions where tenant_id = ${own.id} and version = '1.0.0'
          returning id`,
    );
    const token = own.admin.token;
    expect(await versionsOf(token)).toEqual(["1.0.0"]);
    expect((await activate(token, "acme-credit", "1.1.0")).status).toBe(404);
    expect((await activate(token, "acme-credit", "1.0.0")).status).toBe(200);
    expect((await creditWith(token, "1.1.0")).status).toBe(404);
    const again = () =>
      upload(token, (m) => {
        m.version = "1.1.0";
      });
    expect((await again()).status).toBe(409);

    await query(
      sql`update model_versions set created_at = now() - make_interval(mins => ${UPLOAD_LEASE_MINUTES + 1})
           where id = ${claim?.id}`,
    );
    const taken = await again();
    expect(taken.status, await taken.clone().text()).toBe(201);
    const rows = await query<{ id: string; files_ready: boolean }>(
      sql`select id, files_ready from model_versions where tenant_id = ${own.id} and version = '1.1.0'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.files_ready).toBe(true);
    expect(rows[0]?.id).not.toBe(claim?.id);
    expect(await versionsOf(token)).toEqual(["1.1.0", "1.0.0"]);
    expect((await activate(token, "acme-credit", "1.1.0")).status).toBe(200);
    expect((await creditWith(token, "1.1.0")).status).toBe(201);
  });
});
