import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env";
import { AppError } from "../../errors";
import { tenantOf } from "../../middleware/authorize";
import { contextOf } from "../../middleware/request-context";
import { listModels as listAll, type VersionSummary } from "../../services/risk/model-listing";
import { activateModel as activate } from "../../services/risk/model-registry";
import { uploadModel as upload } from "../../services/risk/model-upload";
import { tellAuthorities } from "../../services/tenancy/edge-standing";
import type * as routes from "./models.routes";

const toVersionView = (v: VersionSummary, active: boolean) => ({
  version: v.version,
  kind: v.kind,
  input_kind: v.inputKind,
  description: v.description,
  sha256: v.sha256,
  size_bytes: v.sizeBytes,
  metrics: v.metrics,
  card: v.card,
  active,
  created_at: v.createdAt,
});

export const listModels: RouteHandler<typeof routes.listModels, AppEnv> = async (c) => {
  const models = await listAll(tenantOf(c), contextOf(c));
  const items = models.map((m) => ({
    name: m.name,
    source: m.source,
    active_version: m.activeVersion,
    versions: m.versions.map((v) => toVersionView(v, v.version === m.activeVersion)),
  }));
  return c.json({ items }, 200);
};

const missing = (field: string) =>
  new AppError("validation_failed", `The upload has no ${field} part.`, {
    errors: [{ location: "body", pointer: `/${field}`, message: "required", code: "missing_part" }],
  });

async function bytesOf(part: File | string | null): Promise<Uint8Array | null> {
  if (part === null) return null;
  return typeof part === "string" ? new TextEncoder().encode(part) : new Uint8Array(await part.arrayBuffer());
}

export const uploadModel: RouteHandler<typeof routes.uploadModel, AppEnv> = async (c) => {
  if (!/^multipart\/form-data\s*;/i.test(c.req.header("content-type") ?? "")) {
    throw new AppError("unsupported_media_type", "Model uploads are multipart/form-data.", {
      headers: { "Accept-Post": "multipart/form-data" },
    });
  }
  const form = await c.req.raw.formData().catch(() => {
    throw new AppError("bad_request", "The multipart body cannot be read.");
  });
  const model = await bytesOf(form.get("model"));
  const manifest = await bytesOf(form.get("manifest"));
  if (!model) throw missing("model");
  if (!manifest) throw missing("manifest");
  const card = await bytesOf(form.get("card"));
  const tenant = tenantOf(c);
  const row = await upload(tenant, contextOf(c), {
    model,
    manifest,
    card: card && new TextDecoder().decode(card),
  });
  await tellAuthorities(contextOf(c), { tenants: [tenant.tenantId] });
  const view = toVersionView(
    {
      version: row.version,
      kind: row.kind,
      inputKind: row.inputKind,
      description: row.description,
      sha256: row.sha256,
      sizeBytes: row.sizeBytes,
      metrics: row.metrics ?? null,
      card: row.card,
      createdAt: row.createdAt.toISOString(),
    },
    false,
  );
  return c.json({ name: row.name, source: "tenant" as const, ...view }, 201);
};

export const activateModel: RouteHandler<typeof routes.activateModel, AppEnv> = async (c) => {
  const { name, version } = c.req.valid("param");
  const tenant = tenantOf(c);
  const result = await activate(tenant, contextOf(c), name, version);
  await tellAuthorities(contextOf(c), { tenants: [tenant.tenantId] });
  return c.json(
    {
      name,
      active_version: result.row.version,
      previous_version: result.previous,
      rolled_back: result.rollback,
      activated_at: result.row.activatedAt.toISOString(),
    },
    200,
  );
};
