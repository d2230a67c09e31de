/**
 * The manifest a model ships with (models/README.md, "manifest.json"): everything the server needs to turn
 * a request into the model's input tensor, explain the score and band it. The schema checks the shape;
 * `manifestProblems` (manifest-rules.ts) checks that the parts agree with each other.
 */
import { z } from "zod";

export const MODEL_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const SEMVER = /^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$/;
const SHA256 = /^[0-9a-f]{64}$/;

const name = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/);
const finite = z.number().refine(Number.isFinite, "must be finite");

const NumberFeature = z.object({
  name,
  type: z.literal("number"),
  unit: z.string().optional(),
  min: finite,
  max: finite,
  outOfRange: z.enum(["reject", "clip"]),
  impute: finite.optional(),
  observedMin: finite.optional(),
  observedMax: finite.optional(),
  coefficient: finite.optional(),
  paperVariable: z.string().optional(),
  derivation: z
    .discriminatedUnion("op", [
      z.object({ op: z.literal("log-ratio"), numerator: name, constant: finite.positive() }),
      z.object({ op: z.literal("ratio"), numerator: name, denominator: name }),
      z.object({ op: z.literal("greater"), left: name, right: name }),
      z.object({ op: z.literal("all-negative"), fields: z.array(name).min(1) }),
      z.object({ op: z.literal("change"), current: name, prior: name }),
    ])
    .optional(),
  description: z.string().optional(),
});

const CategoryFeature = z.object({
  name,
  type: z.literal("category"),
  categories: z.array(z.string().min(1).max(100)).min(1).max(100),
  encoding: z.literal("one-hot"),
  impute: z.string(),
  description: z.string().optional(),
});

const StatementField = z.object({
  name,
  unit: z.string().optional(),
  min: finite.optional(),
  exclusiveMin: z.boolean().optional(),
  default: z.literal("current_assets - current_liabilities").optional(),
  description: z.string().optional(),
});

const RawInput = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("loan-application"), description: z.string().optional() }),
  z.object({
    kind: z.literal("annual-statement"),
    description: z.string().optional(),
    fields: z.array(StatementField).min(1),
  }),
  z.object({
    kind: z.literal("quarterly-statements"),
    description: z.string().optional(),
    quarters: z.number().int().min(1).max(20),
    order: z.literal("most-recent-first"),
    quarterFields: z.array(StatementField).min(1),
    aggregation: z.object({
      latest: z.array(name),
      sum: z.record(name, z.object({ field: name, quarters: z.tuple([z.number().int(), z.number().int()]) })),
    }),
    fields: z.array(StatementField).min(1),
  }),
]);

const ReasonCodes = z.discriminatedUnion("method", [
  z.object({
    method: z.literal("linear"),
    unit: z.literal("logit"),
    description: z.string().optional(),
    baseline: finite,
    columns: z.array(z.object({ column: z.string(), feature: name, coef: finite, reference: finite })),
  }),
  z.object({
    method: z.literal("substitution"),
    unit: z.literal("logit"),
    description: z.string().optional(),
    reference: z.record(name, z.union([finite, z.string()])),
  }),
]);

export const ManifestSchema = z.object({
  name: z.string().regex(MODEL_NAME, "lower-case letters, digits and hyphens"),
  version: z.string().regex(SEMVER, "a semantic version such as 1.2.0"),
  kind: z.string().min(1).max(32),
  description: z.string().min(1).max(1000),
  input: z.object({
    name: z.string().min(1).max(100),
    dtype: z.literal("float32"),
    shape: z.tuple([z.literal("N"), z.number().int().min(1).max(4096)]),
  }),
  output: z.object({
    name: z.string().min(1).max(100),
    dtype: z.literal("float32"),
    shape: z.tuple([z.literal("N"), z.literal(1)]),
    description: z.string().optional(),
  }),
  graph: z.record(z.string(), z.unknown()).optional(),
  rawInput: RawInput,
  inputRules: z.record(z.string(), z.string()).optional(),
  gnpPriceIndex: finite.optional(),
  features: z
    .array(z.discriminatedUnion("type", [NumberFeature, CategoryFeature]))
    .min(1)
    .max(512),
  vector: z.array(z.string().min(1)).min(1).max(4096),
  reasonCodes: ReasonCodes,
  bands: z
    .array(
      z.object({
        band: z.string().regex(/^[A-Z][A-Z_]{0,31}$/),
        min: finite.min(0).max(1),
        exclusive: z.boolean().optional(),
      }),
    )
    .min(1)
    .max(10),
  calibration: z.record(z.string(), z.unknown()).optional(),
  metrics: z.record(z.string(), z.unknown()).nullable().optional(),
  training: z.record(z.string(), z.unknown()).optional(),
  samples: z
    .array(
      z.object({
        input: z.record(z.string(), z.unknown()),
        vector: z.array(finite).optional(),
        probability: finite.min(0).max(1),
        band: z.string().optional(),
        contributions: z.record(z.string(), finite).optional(),
      }),
    )
    .min(1)
    .max(50),
  sampleTolerance: z.object({
    probability: finite.positive().max(0.01),
    contribution: finite.positive().max(1).optional(),
  }),
  sha256: z.string().regex(SHA256, "64 lower-case hex digits"),
});

export type Manifest = z.infer<typeof ManifestSchema>;
export type Feature = Manifest["features"][number];
export type NumberFeatureSpec = z.infer<typeof NumberFeature>;
export type StatementFieldSpec = z.infer<typeof StatementField>;
export type RawInputKind = Manifest["rawInput"]["kind"];

/** What a prediction of each raw input kind is called in the API. */
export const PREDICTION_KIND_OF = {
  "loan-application": "credit",
  "annual-statement": "annual",
  "quarterly-statements": "quarterly",
} as const satisfies Record<RawInputKind, string>;
