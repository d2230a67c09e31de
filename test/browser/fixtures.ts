/** The data the console is shown: a tenant admin with 2FA, a second user, a portfolio, a job, two model versions. */
import { readFileSync } from "node:fs";
import { generateTotp } from "../../src/services/auth/totp";
import type { Call } from "./stack";

export const PASSWORD = "console-orbit-lantern-42";
const PERIOD_MS = 30_000;

function expectStatus(answer: { status: number; text: string }, status: number, what: string) {
  if (answer.status !== status) throw new Error(`${what}: ${answer.status} ${answer.text}`);
}

export interface Fixture {
  admin: { email: string; token: string; secret: string; backupCodes: string[]; lastStep: number };
  viewer: { email: string };
  portfolioId: string;
  jobId: string;
  /** The applications of that job, as CSV. */
  csv: string;
}

/** A TOTP code from a time step no code was used in yet (the API refuses a code twice). */
export async function freshCode(admin: Fixture["admin"]): Promise<string> {
  while (Math.floor(Date.now() / PERIOD_MS) <= admin.lastStep) await new Promise((r) => setTimeout(r, 250));
  admin.lastStep = Math.floor(Date.now() / PERIOD_MS);
  return generateTotp({ secret: admin.secret, now: Date.now() });
}

export async function createFixture(call: Call): Promise<Fixture> {
  const stamp = Date.now().toString(36);
  const email = `admin-${stamp}@example.com`;
  const registered = await call("/api/v1/auth/register", { body: { email, password: PASSWORD } });
  expectStatus(registered, 201, "register");
  const token: string = registered.json.access_token;

  expectStatus(await call("/api/v1/auth/step-up", { token, body: { password: PASSWORD } }), 200, "step-up");
  const enabled = await call("/api/v1/auth/2fa/enable", { token, method: "POST" });
  expectStatus(enabled, 200, "2fa enable");
  const secret: string = enabled.json.secret;
  const lastStep = Math.floor(Date.now() / PERIOD_MS);
  const verified = await call("/api/v1/auth/2fa/verify", {
    token,
    body: { code: generateTotp({ secret, now: Date.now() }) },
  });
  expectStatus(verified, 200, "2fa verify");

  // A second member, through an invitation read from the local mailbox.
  const viewerEmail = `viewer-${stamp}@example.com`;
  expectStatus(
    await call("/api/v1/invitations", { token, body: { email: viewerEmail, role: "viewer" } }),
    201,
    "invite",
  );
  const mailbox = await call(`/api/v1/dev/mailbox?to=${encodeURIComponent(viewerEmail)}`);
  const invitationToken = /[A-Za-z0-9_-]{43}/.exec(mailbox.json.messages[0].body_text)?.[0];
  expectStatus(
    await call(`/api/v1/invitations/${invitationToken}/accept`, { body: { password: PASSWORD } }),
    201,
    "accept invitation",
  );

  // A portfolio with a deposit and a buy.
  const organization = await call("/api/v1/organizations", { token, body: { name: "Treasury" } });
  expectStatus(organization, 201, "organization");
  const portfolio = await call("/api/v1/portfolios", {
    token,
    body: { name: "Growth", base_currency: "USD", organization_id: organization.json.id },
  });
  expectStatus(portfolio, 201, "portfolio");
  const portfolioId: string = portfolio.json.id;
  const deposit = await call(`/api/v1/portfolios/${portfolioId}/transactions`, {
    token,
    body: { type: "deposit", amount: "10000.00" },
  });
  expectStatus(deposit, 201, "deposit");
  const asset = await call("/api/v1/assets", {
    token,
    body: {
      symbol: `AC${stamp.slice(-4).toUpperCase()}`,
      name: "Acme",
      asset_class: "etf",
      currency: "USD",
      quantity_scale: 4,
    },
  });
  expectStatus(asset, 201, "asset");
  const buy = await call("/api/v1/portfolio/buy", {
    token,
    body: { portfolio_id: portfolioId, asset_id: asset.json.id, quantity: "10", price: "125.50" },
  });
  expectStatus(buy, 201, "buy");

  // A bulk job of a few applications.
  const manifest = JSON.parse(readFileSync("models/credit-lr/1.0.0/manifest.json", "utf8"));
  const fields = Object.keys(manifest.samples[0].input);
  const rows = manifest.samples
    .slice(0, 5)
    .map((sample: { input: Record<string, unknown> }) =>
      fields.map((f) => String(sample.input[f] ?? "")).join(","),
    );
  const csv = [fields.join(","), ...rows].join("\n");
  const job = await call("/api/v1/predictions/bulk?model=credit-lr", { token, type: "text/csv", raw: csv });
  expectStatus(job, 202, "bulk upload");

  // The tenant's own model in two versions, the first active: the console activates the second and rolls back.
  for (const version of ["1.0.0", "1.1.0"]) {
    const form = new FormData();
    form.append("model", new Blob([readFileSync("models/credit-lr/1.0.0/model.onnx")]), "model.onnx");
    const own = { ...manifest, name: "acme-credit", version };
    form.append("manifest", new Blob([JSON.stringify(own)]), "manifest.json");
    expectStatus(await call("/api/v1/models", { token, raw: form }), 201, `model upload ${version}`);
  }
  expectStatus(
    await call("/api/v1/models/acme-credit/versions/1.0.0/activate", { token, method: "POST" }),
    200,
    "activate",
  );

  return {
    admin: { email, token, secret, backupCodes: verified.json.backup_codes, lastStep },
    viewer: { email: viewerEmail },
    portfolioId,
    jobId: job.json.id,
    csv,
  };
}
