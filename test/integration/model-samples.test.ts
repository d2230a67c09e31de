import { beforeAll, describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { manifestOf, type PredictionView, publishTrainedModels, SETUP_TIMEOUT_MS } from "./risk-fixtures";
import { createTenant, type TenantFixture } from "./tenancy-fixtures";

// Each model's worked examples, through the HTTP API: validation, features, the ONNX graph in WebAssembly,
// bands and reason codes must reproduce what the training pipeline computed.
type Input = Record<string, unknown>;
const ROUTES: Record<string, { path: string; body: (input: Input) => Input }> = {
  "credit-lr": { path: "/api/v1/predictions/credit", body: (input) => ({ application: input }) },
  "credit-gbdt": { path: "/api/v1/predictions/credit", body: (input) => ({ application: input }) },
  "corporate-annual": { path: "/api/v1/predictions/annual", body: (input) => ({ statement: input }) },
  "corporate-quarterly": { path: "/api/v1/predictions/quarterly", body: (input) => input },
};

let tenant: TenantFixture;
beforeAll(async () => {
  await publishTrainedModels();
  tenant = await createTenant("samples");
}, SETUP_TIMEOUT_MS);

describe("every manifest sample through the API", () => {
  for (const [name, route] of Object.entries(ROUTES)) {
    it(`${name}: probability within 1e-5, band and contributions as the manifest says`, async () => {
      const manifest = manifestOf(name);
      expect(manifest.samples.length).toBeGreaterThanOrEqual(4);
      for (const [i, sample] of manifest.samples.entries()) {
        const response = await api(route.path, {
          token: tenant.admin.token,
          body: { ...route.body(sample.input), model: name, reference: `sample-${i}` },
        });
        expect(response.status, await response.clone().text()).toBe(201);
        const prediction = await response.json<PredictionView>();
        expect(prediction.probability).toMatch(/^(0|1)\.\d{8}$/);
        expect(
          Math.abs(Number(prediction.probability) - sample.probability),
          `sample ${i}`,
        ).toBeLessThanOrEqual(1e-5);
        expect(prediction.band, `sample ${i}`).toBe(sample.band);
        expect(prediction.model).toMatchObject({ name, version: "1.0.0", source: "platform" });
        for (const [feature, expected] of Object.entries(sample.contributions)) {
          expect(
            Math.abs((prediction.contributions[feature] ?? Number.NaN) - expected),
            `${feature}`,
          ).toBeLessThanOrEqual(1e-4);
        }
        // Reason codes are the largest contributions, with their sign as the direction.
        const top = prediction.reason_codes[0];
        const largest = Object.entries(sample.contributions).sort(
          ([, a], [, b]) => Math.abs(b) - Math.abs(a),
        )[0];
        expect(top?.feature).toBe(largest?.[0]);
        expect(top?.direction).toBe((largest?.[1] ?? 0) > 0 ? "raises_risk" : "lowers_risk");
      }
    });
  }
});
