import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { invitations, organizations } from "../../src/db/schema";
import { api } from "./auth-helpers";
import { seedCompliance } from "./compliance-fixtures";
import { seedPortfolio } from "./portfolio-fixtures";
import { seedRiskRows } from "./risk-fixtures";
import { addOrganization, addUser, createApiKey, createTenant, platformDatabase } from "./tenancy-fixtures";

// Every table that holds a tenant's rows, with how its rows name their tenant.
const TENANT_TABLES = [
  "users",
  "sessions",
  "security_events",
  "email_outbox",
  "organizations",
  "memberships",
  "invitations",
  "api_keys",
  "audit_events",
  "audit_chain_heads",
  "companies",
  "financial_statements",
  "predictions",
  "scoring_jobs",
  "scoring_job_chunks",
  "scoring_job_errors",
  "model_versions",
  "model_activations",
  "inference_usage",
  "assets",
  "asset_prices",
  "portfolios",
  "portfolio_transactions",
  "ledger_accounts",
  "ledger_postings",
  "idempotency_keys",
  "customers",
  "compliance_alerts",
  "compliance_cases",
  "compliance_case_notes",
  "compliance_case_attachments",
  "compliance_sars",
  "compliance_sar_amounts",
];

async function inTenant<T>(
  tenantId: string,
  work: Parameters<ReturnType<typeof platformDatabase>["tenant"]>[1],
) {
  const handle = platformDatabase();
  try {
    return (await handle.tenant(tenantId, work)) as T;
  } finally {
    await handle.close();
  }
}

async function seed() {
  const tenant = await createTenant("rls");
  const org = await addOrganization(tenant);
  await addUser(tenant, "analyst", [{ organizationId: org.id, role: "analyst" }]);
  await createApiKey(tenant, { scopes: ["audit:read"] });
  await seedRiskRows(tenant.id);
  const { transaction } = await seedPortfolio(tenant, org);
  const customer = await api("/api/v1/customers", {
    token: tenant.admin.token,
    body: { kind: "entity", country: "AT", identity: { name: "Isoliert GmbH" } },
  });
  expect(customer.status).toBe(201);
  await seedCompliance(tenant, [transaction.id]);
  const handle = platformDatabase();
  try {
    await handle.db.insert(invitations).values({
      tenantId: tenant.id,
      email: `invitee-${crypto.randomUUID()}@example.com`,
      role: "viewer",
      tokenHash: crypto.randomUUID(),
      expiresAt: new Date(Date.now() + 3600_000),
    });
  } finally {
    await handle.close();
  }
  return tenant;
}

describe("row-level security", () => {
  it("a query without any tenant filter still sees only the scoped tenant's rows", async () => {
    const a = await seed();
    const b = await seed();
    for (const table of TENANT_TABLES) {
      const counts = await inTenant<Array<{ tenant_id: string }>>(a.id, async (tx) => {
        const result = await tx.execute<{ tenant_id: string }>(
          sql`select distinct tenant_id::text from ${sql.identifier(table)}`,
        );
        return result.rows;
      });
      expect(
        counts.map((r) => r.tenant_id),
        table,
      ).toEqual([a.id]);
    }
    // Tables whose rows hang off a user or session are filtered through their parent.
    const credentials = await inTenant<Array<{ n: string }>>(
      b.id,
      async (tx) =>
        (
          await tx.execute<{ n: string }>(sql`select count(*) as n from refresh_tokens r
          join sessions s on s.id = r.session_id where s.tenant_id <> ${b.id}`)
        ).rows,
    );
    expect(Number(credentials[0]?.n)).toBe(0);
  });

  it("the tenants table shows only the scoped tenant", async () => {
    const a = await seed();
    await seed();
    const rows = await inTenant<Array<{ id: string }>>(
      a.id,
      async (tx) => (await tx.execute<{ id: string }>(sql`select id::text from tenants`)).rows,
    );
    expect(rows.map((r) => r.id)).toEqual([a.id]);
  });

  it("refuses to write a row into another tenant", async () => {
    const a = await seed();
    const b = await seed();
    const refused = await inTenant(a.id, (tx) =>
      tx.insert(organizations).values({ tenantId: b.id, name: "smuggled" }),
    ).catch((error: Error) => error);
    expect(refused).toBeInstanceOf(Error);
    expect(String((refused as Error).cause)).toMatch(/row-level security/);
    const updated = await inTenant<Array<unknown>>(a.id, async (tx) =>
      tx.update(organizations).set({ name: "renamed" }).where(sql`tenant_id = ${b.id}`).returning(),
    );
    expect(updated).toHaveLength(0);
  });

  it("the application role neither owns the tables nor bypasses row-level security", async () => {
    const a = await seed();
    const role = await inTenant<Array<Record<string, unknown>>>(
      a.id,
      async (tx) =>
        (
          await tx.execute(sql`select current_user as name, r.rolsuper, r.rolbypassrls,
            exists (select 1 from pg_tables where tableowner = current_user and schemaname = 'public') as owns
          from pg_roles r where r.rolname = current_user`)
        ).rows,
    );
    expect(role).toEqual([{ name: "finedge_app", rolsuper: false, rolbypassrls: false, owns: false }]);
  });

  it("a transaction with no tenant and no platform scope sees nothing", async () => {
    await seed();
    const handle = platformDatabase();
    try {
      const rows = await handle.db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('finedge.scope', '', true)`);
        return (await tx.execute<{ n: string }>(sql`select count(*) as n from users`)).rows;
      });
      expect(Number(rows[0]?.n)).toBe(0);
    } finally {
      await handle.close();
    }
  });

  it("every table with a tenant column is under a forced tenant-isolation policy", async () => {
    // The catalogue, not a list kept by hand: a table added later without its policy fails here.
    const handle = platformDatabase();
    try {
      const { rows } = await handle.db.execute<{
        table: string;
        enabled: boolean;
        forced: boolean;
        policy: boolean;
      }>(
        sql`select c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
                   exists (select 1 from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname
                            and p.qual like '%finedge_can_see_tenant(tenant_id)%') as policy
              from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'public' and c.relkind = 'r'
               and exists (select 1 from information_schema.columns col where col.table_schema = 'public'
                            and col.table_name = c.relname and col.column_name = 'tenant_id')
             order by c.relname`,
      );
      expect(rows.length).toBeGreaterThan(TENANT_TABLES.length);
      for (const table of [
        "identity_verifications",
        "webhook_endpoints",
        "webhook_deliveries",
        "webhook_attempts",
      ]) {
        expect(rows.map((r) => r.table)).toContain(table);
      }
      expect(rows.filter((r) => !(r.enabled && r.forced && r.policy)).map((r) => r.table)).toEqual([]);
    } finally {
      await handle.close();
    }
  });
});
