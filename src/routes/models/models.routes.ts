import { z } from "@hono/zod-openapi";
import { defineRoute, jsonContent } from "../../openapi";
import { MODEL_SOURCES } from "../../services/risk/types";
import { ModelName, ModelVersion } from "../predictions/predictions.schemas";
import { secured } from "../secured";

const tags = ["Models"];

export const VersionParams = z.object({
  name: ModelName.openapi({ param: { name: "name", in: "path" } }),
  version: ModelVersion.openapi({ param: { name: "version", in: "path" } }),
});

export const ModelVersionSchema = z
  .object({
    version: z.string(),
    kind: z.string().openapi({ example: "gbdt" }),
    input_kind: z.string().openapi({ example: "loan-application" }),
    description: z.string(),
    sha256: z.string(),
    size_bytes: z.number().int(),
    metrics: z.record(z.string(), z.unknown()).nullable(),
    card: z.string().nullable().openapi({ description: "The model card (Markdown)." }),
    active: z.boolean(),
    created_at: z.string(),
  })
  .openapi("ModelVersion");

export const ModelSchema = z
  .object({
    name: z.string(),
    source: z.enum(MODEL_SOURCES),
    active_version: z.string().nullable(),
    versions: z.array(ModelVersionSchema),
  })
  .openapi("Model");

export const listModels = defineRoute({
  method: "get",
  path: "/api/v1/models",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("models:read", { standingInBatch: true }),
  summary:
    "The platform's models and the tenant's own, each version with its card; `active_version` is the one scored with.",
  responses: {
    200: { description: "The models.", ...jsonContent(z.object({ items: z.array(ModelSchema) })) },
  },
});

export const uploadModel = defineRoute({
  method: "post",
  path: "/api/v1/models",
  "x-rate-limit": "tenant_api",
  tags,
  // The caller's standing rides in the version's claim, which precedes any file written to R2.
  ...secured("models:manage", { standingInBatch: true }),
  summary:
    "Upload a model version (multipart: `model` the .onnx file, `manifest` its manifest.json, optional `card`). Admitted after the manifest, sha256 and a dry run of every sample check out; then activate it.",
  request: {
    body: {
      required: true,
      content: {
        "multipart/form-data": {
          schema: {
            type: "object",
            required: ["model", "manifest"],
            properties: {
              model: { type: "string", format: "binary" },
              manifest: { type: "string", format: "binary" },
              card: { type: "string", format: "binary" },
            },
          },
        },
      },
    },
  },
  responses: {
    201: {
      description: "The version, validated and stored (not yet active).",
      ...jsonContent(ModelVersionSchema.extend({ name: z.string(), source: z.enum(MODEL_SOURCES) })),
    },
  },
});

export const activateModel = defineRoute({
  method: "post",
  path: "/api/v1/models/{name}/versions/{version}/activate",
  "x-rate-limit": "tenant_api",
  tags,
  ...secured("models:manage", { standingInBatch: true }),
  summary:
    "Score with this version from now on (for this tenant). Activating an earlier version is a rollback; both are audited.",
  request: { params: VersionParams },
  responses: {
    200: {
      description: "The activation.",
      ...jsonContent(
        z.object({
          name: z.string(),
          active_version: z.string(),
          previous_version: z.string().nullable(),
          rolled_back: z.boolean(),
          activated_at: z.iso.datetime(),
        }),
      ),
    },
  },
});
