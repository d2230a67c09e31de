import { z } from "@hono/zod-openapi";
import { InlineStatementSchema } from "../../services/risk/statement-schemas";
import { MODEL_SOURCES, PREDICTION_KINDS } from "../../services/risk/types";

export const ModelName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
  .openapi({ example: "credit-gbdt" });
export const ModelVersion = z
  .string()
  .regex(/^[0-9A-Za-z.+-]{1,64}$/)
  .openapi({ example: "1.0.0" });

const choice = (defaultModel: string) => ({
  model: ModelName.default(defaultModel).openapi({
    description: `The model to score with (default ${defaultModel}).`,
  }),
  model_version: ModelVersion.optional().openapi({ description: "A version other than the active one." }),
  reference: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((v) => !v.includes("\u0000"), "NUL is not allowed.")
    .optional()
    .openapi({ description: "Your own identifier, stored with the prediction." }),
});

const FiscalYear = z.number().int().min(1900).max(2200);

export const CreditBody = z
  .object({
    application: z.record(z.string().max(64), z.union([z.number(), z.string().max(100), z.null()])).openapi({
      description:
        "The loan application in the model's raw fields (credit-lr / credit-gbdt: seniority, home, time, age, marital, records, job, expenses, income, assets, debt, amount, price); absent or null fields take the manifest's impute value.",
      example: {
        seniority: 9,
        home: "rent",
        time: 60,
        age: 30,
        marital: "married",
        records: "no",
        job: "freelance",
        expenses: 73,
        income: 129,
        assets: 0,
        debt: 0,
        amount: 800,
        price: 846,
      },
    }),
    ...choice("credit-gbdt"),
  })
  .strict();

export const AnnualBody = z.union([
  z
    .object({ company_id: z.uuid(), fiscal_year: FiscalYear.optional(), ...choice("corporate-annual") })
    .strict(),
  z.object({ statement: InlineStatementSchema, ...choice("corporate-annual") }).strict(),
]);

export const QuarterlyBody = z.union([
  z
    .object({
      company_id: z.uuid(),
      fiscal_year: FiscalYear.optional(),
      fiscal_quarter: z.number().int().min(1).max(4).optional(),
      ...choice("corporate-quarterly"),
    })
    .strict(),
  z
    .object({
      quarters: z.array(InlineStatementSchema).min(1).max(20).openapi({ description: "Most recent first." }),
      ...choice("corporate-quarterly"),
    })
    .strict(),
]);

const RatioSchema = z.object({ value: z.number().nullable(), reason: z.string().nullable() });

export const PredictionSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(PREDICTION_KINDS),
    company_id: z.uuid().nullable(),
    statement_ids: z.array(z.uuid()).nullable(),
    reference: z.string().nullable(),
    probability: z
      .string()
      .openapi({ example: "0.01292401", description: "Probability of default, 8 decimals." }),
    band: z.string().openapi({ example: "LOW" }),
    model: z.object({
      name: z.string(),
      version: z.string(),
      sha256: z.string(),
      source: z.enum(MODEL_SOURCES),
    }),
    reason_codes: z
      .array(
        z.object({
          feature: z.string(),
          direction: z.enum(["raises_risk", "lowers_risk"]),
          contribution: z.number().openapi({ description: "Logit units." }),
        }),
      )
      .openapi({ description: "The features that moved the score most, largest first." }),
    contributions: z
      .record(z.string(), z.number())
      .openapi({ description: "Every feature's contribution (logit)." }),
    ratios: z
      .record(z.string(), RatioSchema)
      .nullable()
      .openapi({ description: "Corporate only; null with a reason when not computable." }),
    features: z.record(z.string(), z.number()).openapi({ description: "The input vector, by column." }),
    input: z.record(z.string(), z.unknown()).openapi({ description: "The raw input as scored." }),
    created_at: z.iso.datetime(),
  })
  .openapi("Prediction");
