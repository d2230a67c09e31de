/**
 * Every paginated list, paged with a small limit through more rows than a page that were created within
 * one millisecond: each row must appear exactly once. Postgres keeps microseconds while a cursor carries a
 * JavaScript Date, so a list that compares the raw timestamp with its cursor skips or repeats the rows of
 * the cursor row's millisecond. Rows are written straight to the database with microsecond-apart times in
 * one millisecond (or, where the database refuses such writes, through the API with one shared instant).
 * The document is read too: a paginated list added later without a case here fails the first test.
 */

import { type SQL, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api } from "./auth-helpers";
import { call } from "./helpers";
import { createAsset, portfolioIn, transact, uniqueSymbol } from "./portfolio-fixtures";
import { annualStatement, createCompany, eightQuarters, fileStatements } from "./risk-fixtures";
import { addUser, createTenant, query, type TenantFixture, tokenFor } from "./tenancy-fixtures";

/** More rows than a page of LIMIT, all within the millisecond MS. */
const ROWS = 7;
const LIMIT = 2;
const MS = "2026-01-01T00:00:00.123Z";
/** Row g's time: g microseconds into MS. */
const at = (base = MS) => sql`(${base}::timestamptz + g * interval '1 microsecond')`;

type Item = Record<string, unknown>;
type Body = { items: Item[]; next_cursor: string | null };

/** Pages through a list to its end, LIMIT at a time; every page's items in order. */
async function pageThrough(path: string, token: string, stop?: (items: Item[]) => boolean): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 500; pages++) {
    const url = `${path}${path.includes("?") ? "&" : "?"}limit=${LIMIT}${cursor ? `&cursor=${cursor}` : ""}`;
    const response = await api(url, { token });
    expect(response.status, `${url}: ${await response.clone().text()}`).toBe(200);
    const body = await response.json<Body>();
    expect(body.items.length).toBeLessThanOrEqual(LIMIT);
    items.push(...body.items);
    if (body.next_cursor === null || stop?.(items)) return items;
    cursor = body.next_cursor;
  }
  throw new Error(`${path}: no last page`);
}

/** Each of `expected` appears exactly once among the keys paged through, and no key appears twice. */
function exactlyOnce(keys: unknown[], expected: unknown[]) {
  expect(expected.length).toBeGreaterThan(LIMIT);
  expect(new Set(keys).size, `repeated: ${JSON.stringify(keys)}`).toBe(keys.length);
  const seen = keys.filter((key) => expected.includes(key));
  expect([...seen].sort()).toEqual([...expected].sort());
}

/** Inserts ROWS rows (g = 1..ROWS in `select`) and returns a column of them. */
async function insert(statement: SQL, column = "id"): Promise<string[]> {
  const rows = await query<Record<string, string>>(statement);
  expect(rows).toHaveLength(ROWS);
  return rows.map((row) => String(row[column]));
}

const series = sql`generate_series(1, ${ROWS}) as g`;
const tag = () => crypto.randomUUID().slice(0, 8);

/** The GET paths whose 200 answer is a page (has `next_cursor`), as the OpenAPI document declares them. */
async function paginatedPaths(): Promise<string[]> {
  type Schema = { $ref?: string; properties?: Record<string, unknown>; allOf?: Schema[] };
  const document = await (await call("/openapi.json")).json<{
    paths: Record<
      string,
      Record<string, { responses?: Record<string, { content?: Record<string, { schema: Schema }> }> }>
    >;
    components?: { schemas?: Record<string, Schema> };
  }>();
  const resolve = (schema: Schema): Schema =>
    schema.$ref
      ? resolve(document.components?.schemas?.[schema.$ref.split("/").at(-1) as string] ?? {})
      : schema;
  const isPage = (schema: Schema): boolean => {
    const s = resolve(schema);
    return Boolean(s.properties && "next_cursor" in s.properties) || (s.allOf ?? []).some(isPage);
  };
  return Object.entries(document.paths)
    .filter(([, operations]) => {
      const schema = operations.get?.responses?.["200"]?.content?.["application/json"]?.schema;
      return schema !== undefined && isPage(schema);
    })
    .map(([path]) => path)
    .sort();
}

/** The list endpoints this suite pages through. */
const COVERED = [
  "/api/v1/api-keys",
  "/api/v1/assets",
  "/api/v1/audit-events",
  "/api/v1/auth/security-events",
  "/api/v1/companies",
  "/api/v1/companies/{id}/financials",
  "/api/v1/companies/{id}/predictions",
  "/api/v1/compliance/alerts",
  "/api/v1/compliance/audit-logs",
  "/api/v1/compliance/cases",
  "/api/v1/customers",
  "/api/v1/customers/{id}/history",
  "/api/v1/identity-verifications",
  "/api/v1/webhooks/deliveries",
  "/api/v1/webhooks/endpoints",
  "/api/v1/compliance/ctrs",
  "/api/v1/security/blocklist",
  "/api/v1/security/checks",
  "/api/v1/compliance/sanctions-lists",
  "/api/v1/compliance/sanctions-matches",
  "/api/v1/invitations",
  "/api/v1/jobs",
  "/api/v1/organizations",
  "/api/v1/organizations/{id}/members",
  "/api/v1/portfolios",
  "/api/v1/portfolios/{id}/ledger",
  "/api/v1/portfolios/{id}/transactions",
  "/api/v1/prices/{symbol}",
  "/api/v1/security-events",
  "/api/v1/tenants",
  "/api/v1/users",
].sort();

let tenant: TenantFixture;
let token: string;

beforeAll(async () => {
  tenant = await createTenant("paging");
  token = tenant.admin.token;
});

describe("paging through rows created within one millisecond", () => {
  it("covers every paginated list of the API document", async () => {
    expect(await paginatedPaths()).toEqual(COVERED);
  });

  it("GET /api/v1/security/blocklist, /security/checks and /compliance/ctrs", async () => {
    const entries =
      await insert(sql`insert into money_blocklist (tenant_id, kind, value, created_by_type, created_by, created_at)
      select ${tenant.id}, 'counterparty', 'paged ' || g || ' ' || ${tag()}, 'user', ${tenant.admin.id}, ${at()}
        from ${series} returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/security/blocklist", token)).map((e) => e.id),
      entries,
    );

    const org = await api("/api/v1/organizations", { token, body: { name: `Checks ${tag()}` } });
    expect(org.status, await org.clone().text()).toBe(201);
    const portfolio = await api("/api/v1/portfolios", {
      token,
      body: { organization_id: (await org.json<{ id: string }>()).id, name: "Checked", base_currency: "USD" },
    });
    const portfolioId = (await portfolio.json<{ id: string }>()).id;
    const checks =
      await insert(sql`insert into money_checks (id, tenant_id, portfolio_id, type, amount, currency,
        actor_type, actor_id, score, decision, reasons, signals, policy_version, created_at)
      select gen_random_uuid(), ${tenant.id}, ${portfolioId}, 'withdrawal', g, 'USD', 'user', ${tenant.admin.id},
             100, 'block', '[]'::jsonb, '{}'::jsonb, 0, ${at()}
        from ${series} returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/security/checks", token)).map((c) => c.id),
      checks,
    );

    const customer = await api("/api/v1/customers", {
      token,
      body: { kind: "entity", country: "US", identity: { name: "Paged Cash LLC" } },
    });
    const customerId = (await customer.json<{ id: string }>()).id;
    const ctrs =
      await insert(sql`insert into currency_transaction_reports (tenant_id, customer_id, business_day,
        direction, currency, total, source, due_on, created_by_type, created_by, created_at)
      select ${tenant.id}, ${customerId}, date '2026-01-01' + g, 'in', 'USD', 10000 + g, 'manual',
             date '2026-01-16' + g, 'user', ${tenant.admin.id}, ${at()}
        from ${series} returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/compliance/ctrs", token)).map((c) => c.id),
      ctrs,
    );
  });

  it("GET /api/v1/users", async () => {
    const ids = await insert(sql`insert into users (tenant_id, email, role, created_at)
      select ${tenant.id}, 'paged-' || g || '-' || ${tag()} || '@example.com', 'viewer', ${at()} from ${series}
      returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/users", token)).map((u) => u.id),
      ids,
    );
  });

  it("GET /api/v1/organizations and /organizations/{id}/members", async () => {
    const orgs = await insert(sql`insert into organizations (tenant_id, name, created_at)
      select ${tenant.id}, 'paged ' || g || ' ' || ${tag()}, ${at()} from ${series} returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/organizations", token)).map((o) => o.id),
      orgs,
    );

    const org = orgs[0] as string;
    const members = await insert(
      sql`with people as (
            insert into users (tenant_id, email, role)
            select ${tenant.id}, 'member-' || g || '-' || ${tag()} || '@example.com', 'viewer' from ${series}
            returning id, email)
          insert into memberships (organization_id, user_id, tenant_id, role, created_at)
          select ${org}, p.id, ${tenant.id}, 'viewer', ${MS}::timestamptz + g * interval '1 microsecond'
            from (select id, row_number() over (order by email) as g from people) p
          returning user_id`,
      "user_id",
    );
    const paged = await pageThrough(`/api/v1/organizations/${org}/members`, token);
    exactlyOnce(
      paged.map((m) => m.user_id),
      members,
    );
  });

  it("GET /api/v1/invitations", async () => {
    const ids =
      await insert(sql`insert into invitations (tenant_id, email, role, token_hash, expires_at, created_at)
      select ${tenant.id}, 'invitee-' || g || '-' || ${tag()} || '@example.com', 'viewer',
             md5(random()::text || g), now() + interval '7 days', ${at()} from ${series} returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/invitations", token)).map((i) => i.id),
      ids,
    );
  });

  it("GET /api/v1/api-keys", async () => {
    const ids =
      await insert(sql`insert into api_keys (tenant_id, name, prefix, secret_hash, scopes, created_at)
      select ${tenant.id}, 'paged key ' || g, 'fe_' || substr(md5(g::text), 1, 8), md5(random()::text || g),
             array['portfolios:read'], ${at()} from ${series} returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/api-keys", token)).map((k) => k.id),
      ids,
    );
  });

  it("GET /api/v1/security-events and /api/v1/auth/security-events", async () => {
    const ids = await insert(sql`insert into security_events (tenant_id, user_id, type, created_at)
      select ${tenant.id}, ${tenant.admin.id}, 'login_success', ${at()} from ${series} returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/security-events", token)).map((e) => e.id),
      ids,
    );
    exactlyOnce(
      (await pageThrough("/api/v1/auth/security-events", token)).map((e) => e.id),
      ids,
    );
  });

  it("GET /api/v1/audit-events (one statement: one transaction time, chained by sequence)", async () => {
    const action = `paged.${tag()}`;
    const ids =
      await insert(sql`insert into audit_events (tenant_id, seq, actor_type, action, resource_type, prev_hash, hash)
      select ${tenant.id}, 0, 'system', ${action}, 'test', '', '' from ${series} returning id`);
    exactlyOnce(
      (await pageThrough(`/api/v1/audit-events?action=${action}`, token)).map((e) => e.id),
      ids,
    );
  });

  it("GET /api/v1/portfolios, /portfolios/{id}/transactions and /portfolios/{id}/ledger", async () => {
    const { org, portfolio } = await portfolioIn(tenant);
    const ids =
      await insert(sql`insert into portfolios (tenant_id, organization_id, name, base_currency, created_at)
      select ${tenant.id}, ${org.id}, 'paged ' || g, 'USD', ${at()} from ${series} returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/portfolios", token)).map((p) => p.id),
      [...ids],
    );

    // A transaction's time cannot be rewritten in the database: the API is given one instant for all.
    const transactions: string[] = [];
    for (let i = 1; i <= ROWS; i++) {
      const posted = await transact(token, portfolio.id, {
        type: "deposit",
        amount: `${i}.00`,
        executed_at: MS,
      });
      transactions.push(posted.id);
    }
    const paged = await pageThrough(`/api/v1/portfolios/${portfolio.id}/transactions`, token);
    exactlyOnce(
      paged.map((t) => t.id),
      transactions,
    );

    const journal = await pageThrough(`/api/v1/portfolios/${portfolio.id}/ledger`, token);
    const postings = await query<{ seq: string }>(
      sql`select seq from ledger_postings where portfolio_id = ${portfolio.id}`,
    );
    expect(postings.length).toBeGreaterThanOrEqual(2 * ROWS);
    exactlyOnce(
      journal.map((p) => String(p.seq)),
      postings.map((p) => String(p.seq)),
    );
  });

  it("GET /api/v1/assets and /api/v1/prices/{symbol}", async () => {
    const ids =
      await insert(sql`insert into assets (tenant_id, symbol, name, asset_class, currency, quantity_scale, created_at)
      select ${tenant.id}, ${uniqueSymbol("P")} || g, 'Paged asset', 'stock', 'USD', 0, ${at()} from ${series}
      returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/assets", token)).map((a) => a.id),
      ids,
    );

    // A price point is named by its value here: the wire shows the instant only to the millisecond.
    const asset = await createAsset(tenant);
    await insert(sql`insert into asset_prices (tenant_id, asset_id, at, price, source)
      select ${tenant.id}, ${asset.id}, ${at()}, g * 10, 'api' from ${series} returning id`);
    const paged = await pageThrough(`/api/v1/prices/${asset.symbol}?from=2025-12-31T00:00:00Z`, token);
    exactlyOnce(
      paged.map((p) => Number(p.price)),
      Array.from({ length: ROWS }, (_, i) => (i + 1) * 10),
    );
  });

  it("GET /api/v1/companies, /companies/{id}/predictions and /companies/{id}/financials", async () => {
    const ids = await insert(sql`insert into companies (tenant_id, name, currency, created_at)
      select ${tenant.id}, 'Paged company ' || g, 'USD', ${at()} from ${series} returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/companies", token)).map((c) => c.id),
      ids,
    );

    const company = ids[0] as string;
    const predictions = await insert(sql`insert into predictions
        (tenant_id, kind, company_id, model_name, model_version, model_sha256, model_source, probability, band,
         contributions, features, raw_input, actor_type, created_at)
      select ${tenant.id}, 'annual', ${company}, 'annual-distress', '1.0.0', repeat('0', 64), 'platform', 0.25,
             'low', '{}'::jsonb, '{}'::jsonb, '{}'::jsonb, 'system', ${at()} from ${series} returning id`);
    const paged = await pageThrough(`/api/v1/companies/${company}/predictions`, token);
    exactlyOnce(
      paged.map((p) => p.id),
      predictions,
    );

    // Statements page by period end: an annual statement and the fourth quarter end on the same day.
    const filer = await createCompany(token);
    const filed = await fileStatements(token, filer.id, [
      annualStatement(2023),
      annualStatement(2024),
      ...eightQuarters(2024),
    ]);
    expect(filed.status, await filed.clone().text()).toBe(201);
    const rows = await query<{ id: string }>(
      sql`select id from financial_statements where company_id = ${filer.id}`,
    );
    const statements = await pageThrough(`/api/v1/companies/${filer.id}/financials`, token);
    exactlyOnce(
      statements.map((s) => s.id),
      rows.map((r) => r.id),
    );
  });

  it("GET /api/v1/customers, /customers/{id}/history and /identity-verifications", async () => {
    // Through the API (the identity is sealed there), then moved into one millisecond.
    const ids: string[] = [];
    for (let g = 1; g <= ROWS; g++) {
      const created = await api("/api/v1/customers", {
        token,
        body: { kind: "entity", country: "NL", identity: { name: `Paged ${g} B.V.` } },
      });
      expect(created.status, await created.clone().text()).toBe(201);
      ids.push((await created.json<{ id: string }>()).id);
    }
    await query(sql`update customers c set created_at = ${MS}::timestamptz + p.g * interval '1 microsecond'
      from (select id, row_number() over (order by id) as g from customers where id in (${sql.join(
        ids.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})) p where c.id = p.id`);
    exactlyOnce(
      (await pageThrough("/api/v1/customers", token)).map((c) => c.id),
      ids,
    );

    const customer = ids[0] as string;
    for (let g = 1; g < ROWS; g++) {
      const changed = await api(`/api/v1/customers/${customer}`, {
        method: "PATCH",
        token,
        body: { pep: g % 2 === 1 },
      });
      expect(changed.status).toBe(200);
    }
    const events = await query<{ id: string }>(
      sql`select id from audit_events where resource_type = 'customer' and resource_id = ${customer}`,
    );
    exactlyOnce(
      (await pageThrough(`/api/v1/customers/${customer}/history`, token)).map((e) => e.id),
      events.map((e) => e.id),
    );

    // Past verifications of one customer (each closed, so any number may exist), in one millisecond.
    const verifications = await insert(sql`insert into identity_verifications
        (tenant_id, customer_id, status, provider_session_id, session_url, expires_at, decided_at,
         started_by_type, started_by, created_at)
      select ${tenant.id}, ${customer}, 'expired', 'ses_paged_' || g || '_' || ${tag()},
             'https://verify.example/s/paged', now(), now(), 'user', ${tenant.admin.id}, ${at()}
        from ${series} returning id`);
    exactlyOnce(
      (await pageThrough(`/api/v1/identity-verifications?customer_id=${customer}`, token)).map((v) => v.id),
      verifications,
    );
  });

  it("GET /api/v1/webhooks/endpoints and /webhooks/deliveries", async () => {
    const endpoints = await insert(sql`insert into webhook_endpoints
        (tenant_id, url, events, secret_sealed, created_by_type, created_at)
      select ${tenant.id}, 'https://hooks.example.com/' || g, '{job.finished}', 'v1.k.x.y', 'user', ${at()}
        from ${series} returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/webhooks/endpoints", token)).map((e) => e.id),
      endpoints,
    );
    const [event] = await query<{ id: string }>(
      sql`insert into webhook_events (tenant_id, type, data) values (${tenant.id}, 'job.finished', '{}') returning id`,
    );
    const deliveries = await insert(sql`insert into webhook_deliveries
        (tenant_id, endpoint_id, event_id, status, created_at)
      select ${tenant.id}, (array[${sql.join(
        endpoints.map((id) => sql`${id}::uuid`),
        sql`, `,
      )}])[g], ${event?.id}, 'failed', ${at()}
        from ${series} returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/webhooks/deliveries", token)).map((d) => d.id),
      deliveries,
    );
  });

  it("GET /api/v1/compliance/sanctions-lists and /sanctions-matches", async () => {
    // Failed lists: none becomes the active list, whose files the customer below would be screened against.
    const lists = await insert(sql`insert into sanctions_lists
        (tenant_id, version, status, failure, entries, aliases, sdn_key, sdn_sha256, bytes, actor_type, created_at)
      select ${tenant.id}, 100 + g, 'failed', 'paged fixture', 1, 0, 'paged/' || g, repeat('0', 64), 1, 'system', ${at()}
        from ${series} returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/compliance/sanctions-lists", token)).map((l) => l.id),
      lists,
    );
    const created = await api("/api/v1/customers", {
      token,
      body: { kind: "person", country: "NL", identity: { name: "Paged Person" } },
    });
    expect(created.status).toBe(201);
    const { id: customer } = await created.json<{ id: string }>();
    const matches = await insert(sql`insert into sanctions_matches
        (tenant_id, customer_id, list_id, origin, entry_uid, entry_name, entry_type, programs, matched_name, score,
         created_at)
      select ${tenant.id}, ${customer}, ${lists[0]}, 'list', g, 'PAGED, Person', 'individual', '["SDGT"]',
             'PAGED, Person', 0.9, ${at()}
        from ${series} returning id`);
    exactlyOnce(
      (await pageThrough(`/api/v1/compliance/sanctions-matches?customer_id=${customer}`, token)).map(
        (m) => m.id,
      ),
      matches,
    );
  });

  it("GET /api/v1/compliance/alerts and /compliance/cases", async () => {
    const alerts = await insert(sql`insert into compliance_alerts (tenant_id, kind, rule, created_at)
      select ${tenant.id}, 'monitoring', 'PAGED-' || g, ${at()} from ${series} returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/compliance/alerts", token)).map((a) => a.id),
      alerts,
    );
    exactlyOnce(
      (await pageThrough("/api/v1/compliance/alerts?kind=monitoring&status=open", token)).map((a) => a.id),
      alerts,
    );
    const cases = await insert(sql`insert into compliance_cases (tenant_id, title, opened_by_type, created_at)
      select ${tenant.id}, 'Paged ' || g, 'system', ${at()} from ${series} returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/compliance/cases", token)).map((c) => c.id),
      cases,
    );
    exactlyOnce(
      (await pageThrough("/api/v1/compliance/cases?status=open", token)).map((c) => c.id),
      cases,
    );
  });

  it("GET /api/v1/compliance/audit-logs", async () => {
    const action = `case.paged_${tag()}`;
    const ids =
      await insert(sql`insert into audit_events (tenant_id, seq, actor_type, action, resource_type, prev_hash, hash)
      select ${tenant.id}, 0, 'system', ${action}, 'compliance_case', '', '' from ${series} returning id`);
    exactlyOnce(
      (await pageThrough(`/api/v1/compliance/audit-logs?action=${action}`, token)).map((e) => e.id),
      ids,
    );
  });

  it("GET /api/v1/jobs", async () => {
    const ids = await insert(sql`insert into scoring_jobs
        (tenant_id, status, input_format, input_key, input_bytes, model_name, model_version, model_sha256,
         model_source, actor_type, error, created_at, completed_at)
      select ${tenant.id}, 'failed', 'csv', 'paged/' || g, 0, 'annual-distress', '1.0.0', repeat('0', 64),
             'platform', 'system', 'paged fixture', ${at()}, ${at()} from ${series} returning id`);
    exactlyOnce(
      (await pageThrough("/api/v1/jobs", token)).map((j) => j.id),
      ids,
    );
  });

  describe("GET /api/v1/tenants", () => {
    // Dated ahead of every other tenant, so they lead the platform-wide list; removed afterwards.
    const FUTURE = "2999-01-01T00:00:00.123Z";
    let ids: string[] = [];
    afterAll(async () => {
      if (ids.length > 0)
        await query(
          sql`delete from tenants where id in (${sql.join(
            ids.map((id) => sql`${id}::uuid`),
            sql`, `,
          )})`,
        );
    });

    it("pages through tenants created within one millisecond", async () => {
      ids = await insert(sql`insert into tenants (name, created_at)
        select 'paged tenant ' || g, ${at(FUTURE)} from ${series} returning id`);
      const operator = await addUser(tenant, "tenant_admin");
      await query(sql`update users set role = 'super_admin' where id = ${operator.id}`);
      const platformToken = await tokenFor({ id: operator.id, role: "super_admin" }, tenant.id);
      const paged = await pageThrough(
        "/api/v1/tenants",
        platformToken,
        (items) => ids.every((id) => items.some((t) => t.id === id)) && items.length > ROWS + LIMIT,
      );
      exactlyOnce(
        paged.map((t) => t.id),
        ids,
      );
    });
  });
});
