import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { problemOf } from "./helpers";
import {
  annualStatement,
  createCompany,
  eightQuarters,
  fileStatements,
  manifestOf,
  type PredictionView,
  publishTrainedModels,
  SETUP_TIMEOUT_MS,
} from "./risk-fixtures";
import { addUser, createApiKey, createTenant, query, type TenantFixture } from "./tenancy-fixtures";

let tenant: TenantFixture;
beforeAll(async () => {
  await publishTrainedModels();
  tenant = await createTenant("predictions");
}, SETUP_TIMEOUT_MS);

async function predict(path: string, body: unknown, token = tenant.admin.token) {
  const response = await api(`/api/v1/predictions/${path}`, { token, body });
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json<PredictionView>();
}

describe("corporate predictions", () => {
  it("annual: from the company's latest statement, the prior year's net income from the year before, with ratios", async () => {
    const company = await createCompany(tenant.admin.token);
    const filed = await fileStatements(tenant.admin.token, company.id, [
      annualStatement(2023, { net_income: "280000000.00" }),
      annualStatement(2024, { interest_expense: "0.00", revenue: undefined }),
    ]);
    expect(filed.status).toBe(201);
    const prediction = await predict("annual", { company_id: company.id, reference: "review-7" });

    // The same figures as the manifest's first annual sample (which the training pipeline scored).
    const sample = manifestOf("corporate-annual").samples[0];
    expect(prediction.input).toMatchObject({ net_income: 310_000_000, net_income_prior: 280_000_000 });
    expect(Math.abs(Number(prediction.probability) - (sample?.probability ?? 0))).toBeLessThanOrEqual(1e-5);
    expect(prediction).toMatchObject({
      kind: "annual",
      company_id: company.id,
      band: "LOW",
      reference: "review-7",
    });
    expect(prediction.statement_ids).toHaveLength(2);
    expect(prediction.features.tl_ta).toBeCloseTo(0.52, 6);
    expect(prediction.ratios).toEqual({
      long_term_debt_to_total_capital: { value: 0.357143, reason: null },
      total_debt_to_ebitda: { value: 2.95082, reason: null },
      net_income_margin: { value: null, reason: "not reported: revenue" },
      ebit_to_interest_expense: { value: null, reason: "division by zero: interest_expense is 0" },
      return_on_assets: { value: 0.062, reason: null },
    });
    expect(prediction.reason_codes[0]).toMatchObject({ feature: "size", direction: "lowers_risk" });
  });

  it("annual: refuses a company without the statements it needs, with the reason", async () => {
    const company = await createCompany(tenant.admin.token);
    const none = await api("/api/v1/predictions/annual", {
      token: tenant.admin.token,
      body: { company_id: company.id },
    });
    expect(none.status).toBe(422);
    await fileStatements(tenant.admin.token, company.id, [annualStatement(2024)]);
    const noPrior = await api("/api/v1/predictions/annual", {
      token: tenant.admin.token,
      body: { company_id: company.id },
    });
    expect(noPrior.status).toBe(422);
    expect((await problemOf(noPrior)).detail).toMatch(/no net_income_prior and no 2023 statement/);
  });

  it("quarterly: the company's last eight quarters, trailing-twelve-month ratios; a gap is refused", async () => {
    const company = await createCompany(tenant.admin.token);
    await fileStatements(tenant.admin.token, company.id, eightQuarters(2024));
    const prediction = await predict("quarterly", { company_id: company.id });
    expect(prediction.kind).toBe("quarterly");
    expect(prediction.statement_ids).toHaveLength(8);
    expect(prediction.ratios).toEqual({
      total_debt_to_ebitda: { value: 3, reason: null },
      sga_margin: { value: 0.171429, reason: null },
      long_term_debt_to_total_capital: { value: 0.357143, reason: null },
      return_on_capital: { value: 0.104762, reason: null },
    });
    // Net income summed over the last four quarters, the prior year over the four before.
    expect(prediction.features.ni_ta).toBeCloseTo(300_000_000 / 5_000_000_000, 9);

    const gappy = await createCompany(tenant.admin.token);
    await fileStatements(
      tenant.admin.token,
      gappy.id,
      eightQuarters(2024).filter((q) => q.fiscal_quarter !== 2),
    );
    const refused = await api("/api/v1/predictions/quarterly", {
      token: tenant.admin.token,
      body: { company_id: gappy.id },
    });
    expect(refused.status).toBe(422);
    expect((await problemOf(refused)).detail).toMatch(/needs 8 consecutive quarterly statements/);
  });
});

describe("credit predictions", () => {
  it("validates the application against the manifest: every problem, with a pointer", async () => {
    const response = await api("/api/v1/predictions/credit", {
      token: tenant.admin.token,
      body: { application: { age: 12, home: "castle", income: "lots", incme: 3 } },
    });
    expect(response.status).toBe(422);
    const problem = await problemOf(response);
    expect(problem.errors?.map((e) => e.pointer).sort()).toEqual([
      "/application/age",
      "/application/home",
      "/application/incme",
      "/application/income",
    ]);
    const wrongModel = await api("/api/v1/predictions/credit", {
      token: tenant.admin.token,
      body: { application: {}, model: "corporate-annual" },
    });
    expect(wrongModel.status).toBe(422);
    const missing = await api("/api/v1/predictions/credit", {
      token: tenant.admin.token,
      body: { application: {}, model: "credit-lr", model_version: "9.9.9" },
    });
    expect(missing.status).toBe(404);
  });

  it("is stored with its input, features and model, retrievable and explainable later; history is paged", async () => {
    const key = await createApiKey(tenant, { scopes: ["predictions:read", "predictions:write"] });
    const application = manifestOf("credit-gbdt").samples[2]?.input;
    const created = await predict(
      "credit",
      { application, model: "credit-gbdt", model_version: "1.0.0" },
      key.key,
    );
    const read = await api(`/api/v1/predictions/${created.id}`, { token: tenant.admin.token });
    expect(read.status).toBe(200);
    const stored = await read.json<PredictionView>();
    expect(stored).toEqual(created);
    expect(stored.input).toEqual(application);
    expect(Object.keys(stored.features)).toHaveLength(26);
    expect(stored.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    const [row] = await query<{ model_sha256: string }>(
      sql`select model_sha256 from predictions where id = ${created.id}`,
    );
    expect(row?.model_sha256).toBe(stored.model.sha256);

    const other = await createTenant("predictions-other");
    expect((await api(`/api/v1/predictions/${created.id}`, { token: other.admin.token })).status).toBe(404);

    const refused = await query(sql`update predictions set band = 'LOW' where id = ${created.id}`).catch(
      (e: Error) => e,
    );
    expect(String((refused as Error).cause ?? refused)).toMatch(/append-only|permission denied/);
  });

  it("a company's prediction history, newest first, by cursor", async () => {
    const company = await createCompany(tenant.admin.token);
    await fileStatements(tenant.admin.token, company.id, [annualStatement(2023), annualStatement(2024)]);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await predict("annual", { company_id: company.id })).id);
    const first = await api(`/api/v1/companies/${company.id}/predictions?limit=2`, {
      token: tenant.admin.token,
    });
    const page = await first.json<{ items: PredictionView[]; next_cursor: string }>();
    const next = await api(`/api/v1/companies/${company.id}/predictions?limit=2&cursor=${page.next_cursor}`, {
      token: tenant.admin.token,
    });
    const rest = await next.json<{ items: PredictionView[]; next_cursor: string | null }>();
    expect([...page.items, ...rest.items].map((p) => p.id)).toEqual(ids.reverse());
    expect(rest.next_cursor).toBeNull();
    const viewer = await addUser(tenant, "viewer");
    expect((await api(`/api/v1/companies/${company.id}/predictions`, { token: viewer.token })).status).toBe(
      200,
    );
    const denied = await api("/api/v1/predictions/annual", {
      token: viewer.token,
      body: { company_id: company.id },
    });
    expect(denied.status).toBe(403);
  });
});

describe("a prediction answered before it is written", () => {
  it("is written after the response, once, with one audit event and one row of quota - through the queue when that write fails", async () => {
    const own = await createTenant("write-after");
    const reference = `fail-once-${crypto.randomUUID()}`;
    // A failure the database makes once: the first insert of a prediction with this reference raises (a
    // sequence, which a rolled-back transaction does not rewind, counts the attempts). Test-only, in the test
    // database; removed below.
    const name = `fail_once_${crypto.randomUUID().replaceAll("-", "")}`;
    // As the database's owner: the suites' connections act as the application role, which may not create these.
    await query(
      sql.raw(`reset role;
        create sequence ${name};
        create function ${name}() returns trigger language plpgsql security definer as $$
        begin
          if new.reference = '${reference}' and nextval('${name}') = 1 then
            raise exception 'the first write of this prediction fails';
          end if;
          return new;
        end $$;
        create trigger ${name} before insert on predictions for each row execute function ${name}();`),
    );
    try {
      const answered = await predict("credit", { application: { age: 40 }, reference }, own.admin.token);
      // The write after the response failed and went to the queue; its consumer writes it.
      let found: Response | undefined;
      for (let attempt = 0; attempt < 150; attempt++) {
        found = await api(`/api/v1/predictions/${answered.id}`, { token: own.admin.token });
        if (found.status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(found?.status).toBe(200);
      expect(await found?.json<PredictionView>()).toEqual(answered);
      const [counts] = await query<{ predictions: string; events: string; rows: string }>(sql`
        select (select count(*) from predictions where id = ${answered.id}) as predictions,
               (select count(*) from audit_events where resource_id = ${answered.id}) as events,
               (select coalesce(sum(rows), 0) from inference_usage where tenant_id = ${own.id}) as rows`);
      expect(counts).toEqual({ predictions: "1", events: "1", rows: "1" });
    } finally {
      await query(
        sql.raw(
          `reset role; drop trigger ${name} on predictions; drop function ${name}(); drop sequence ${name};`,
        ),
      );
    }
  });
});
