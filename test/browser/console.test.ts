/**
 * The operator console in a real headless Chromium against `npm run dev`: sign-in with 2FA by keyboard, every
 * view, its actions, labels and landmarks, the page's CSP and no violation of it. Screenshots of each view go
 * to test-artifacts/console/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixture, type Fixture, freshCode, PASSWORD } from "./fixtures";
import { caller, type Stack, startStack } from "./stack";

const SHOTS = "test-artifacts/console";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let stack: Stack;
let fixture: Fixture;
let context: BrowserContext;
let page: Page;
let profile: string;
const problems: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack();
  fixture = await createFixture(caller(stack.base));
  profile = mkdtempSync(join(tmpdir(), "finedge-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    acceptDownloads: true,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  // Injected by the browser itself, outside the page's CSP: records any violation of it.
  await page.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
  );
}, 150_000);

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await stack?.stop();
});

/** Every visible control is labelled, every button named, and the page has its landmarks. */
async function checkAccessibility(view: string) {
  const report = (await page.evaluate(`(() => {
    const unlabelled = [...document.querySelectorAll("input, select, textarea")]
      .filter((el) => el.type !== "hidden" && el.labels.length === 0 && !el.getAttribute("aria-label"))
      .map((el) => el.outerHTML);
    const unnamed = [...document.querySelectorAll("button, a[href]")]
      .filter((el) => !(el.getAttribute("aria-label") || el.textContent.trim()))
      .map((el) => el.outerHTML);
    const landmarks = ["main", "header", "[role=status][aria-live]"].filter((s) => !document.querySelector(s));
    return { unlabelled, unnamed, landmarks, focused: document.activeElement?.tagName };
  })()`)) as { unlabelled: string[]; unnamed: string[]; landmarks: string[] };
  expect(report.unlabelled, view).toEqual([]);
  expect(report.unnamed, view).toEqual([]);
  expect(report.landmarks, view).toEqual([]);
}

/** The focused element's tag and text: after a view change, the view's heading. */
const focused = () =>
  page.evaluate('document.activeElement?.tagName + " " + document.activeElement?.textContent');

async function openView(name: string, heading: string) {
  await page.getByRole("link", { name: heading, exact: true }).click();
  await expect.poll(() => focused()).toBe(`H1 ${heading}`);
  expect(await page.title()).toBe(`${heading} - FinEdge console`);
  await checkAccessibility(name);
}

const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

describe("operator console", () => {
  it("is served with its own strict CSP", async () => {
    const response = await page.goto(`${stack.base}/console`);
    expect(response?.status()).toBe(200);
    const csp = response?.headers()["content-security-policy"] ?? "";
    for (const directive of [
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).not.toContain("unsafe");
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await checkAccessibility("sign-in");
    await shot("sign-in");
  });

  it("signs in with a password and then a TOTP code, by keyboard only", async () => {
    await expect.poll(() => focused()).toBe("H1 Sign in");
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.name")).toBe("email");
    await page.keyboard.type(fixture.admin.email);
    await page.keyboard.press("Tab");
    await page.keyboard.type("not-the-password-at-all");
    await page.keyboard.press("Enter");
    // The API's problem detail is shown, in an alert.
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/\w+/);
    await page.getByLabel("Password").fill("");
    await page.getByLabel("Password").focus();
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    await page.getByLabel("Authentication code").waitFor();
    expect(await page.evaluate("document.activeElement?.name")).toBe("code");
    await shot("two-factor");
    await page.keyboard.type(await freshCode(fixture.admin));
    await page.keyboard.press("Enter");
    await expect.poll(() => focused()).toBe("H1 Users and roles");
    // No token in web storage: the refresh token is an HttpOnly cookie, the access token in memory.
    expect(await page.evaluate("localStorage.length + sessionStorage.length")).toBe(0);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === "__Secure-finedge_refresh")?.httpOnly).toBe(true);
  });

  it("changes a user's role, disables and enables them", async () => {
    await checkAccessibility("users");
    const viewer = fixture.viewer.email;
    await page.getByLabel(`Role of ${viewer}`).selectOption("analyst");
    await page.getByRole("button", { name: `Apply role to ${viewer}` }).click();
    await expect.poll(() => page.getByLabel(`Role of ${viewer}`).inputValue()).toBe("analyst");
    await page.getByRole("button", { name: `Disable ${viewer}` }).click();
    await page.getByRole("button", { name: `Enable ${viewer}` }).click();
    await page.getByRole("button", { name: `Disable ${viewer}` }).waitFor();
    await shot("users");
  });

  it("creates an API key, shows its secret once, and revokes it", async () => {
    await openView("keys", "API keys");
    await page.getByLabel("Name").fill("Nightly export");
    await page.getByLabel("jobs:read").check();
    await page.getByLabel("Authentication or backup code").fill(fixture.admin.backupCodes[0] as string);
    await page.getByRole("button", { name: "Create key" }).click();
    await expect.poll(() => page.locator("#new-key-secret").textContent()).toMatch(/^fek_/);
    await shot("api-keys");
    await page.getByRole("button", { name: "Revoke key Nightly export" }).click();
    await page.getByRole("button", { name: "Revoke key Nightly export" }).waitFor({ state: "detached" });
  });

  it("invites by keyboard, and revokes the invitation", async () => {
    await openView("invitations", "Invitations");
    const invitee = `invitee-${Date.now().toString(36)}@example.com`;
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.name")).toBe("email");
    await page.keyboard.type(invitee);
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.name")).toBe("role");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    const revoke = page.getByRole("button", { name: `Revoke invitation of ${invitee}` });
    await revoke.waitFor();
    await shot("invitations");
    await revoke.click();
    await revoke.waitFor({ state: "detached" });
  });

  it("verifies the audit chain in one click", async () => {
    await openView("audit", "Audit trail");
    await page.getByRole("button", { name: "Verify the chain" }).click();
    await expect
      .poll(() => page.locator("#audit-verdict").textContent())
      .toMatch(/^Chain verified: \d+ events/);
    await shot("audit");
  });

  it("uploads a file, shows the job's progress until it is done, and downloads results", async () => {
    await openView("jobs", "Bulk jobs");
    await page.getByLabel("File of applications (CSV or NDJSON)").setInputFiles({
      name: "applications.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(fixture.csv),
    });
    await page.getByLabel("Model").selectOption("credit-lr");
    await page.getByRole("button", { name: "Upload" }).click();
    await expect
      .poll(() => page.evaluate("document.querySelector('[aria-label=\"Upload progress\"]').value"))
      .toBe(1);
    // The new job is the first row; its bar fills as the queue scores it.
    await expect.poll(() => page.locator("[data-job]").count()).toBe(2);
    const jobId = (await page.locator("[data-job]").first().getAttribute("data-job")) as string;
    expect(jobId).not.toBe(fixture.jobId);
    const status = page.locator(`[data-job="${jobId}"]`);
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toBe("completed");
    const bar = `document.querySelector('progress[aria-label="Job ${jobId.slice(0, 8)} progress"]')`;
    expect(await page.evaluate(`[${bar}.value, ${bar}.max]`)).toEqual([5, 5]);
    await checkAccessibility("jobs");
    await shot("jobs");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: `Download results of Job ${jobId.slice(0, 8)}` }).click(),
    ]);
    const csv = readFileSync((await download.path()) as string, "utf8");
    expect(csv.split("\n").filter(Boolean).length).toBe(6);
  });

  it("activates a model version and rolls back", async () => {
    await openView("models", "Models");
    await page.getByRole("button", { name: "Activate acme-credit 1.1.0" }).click();
    await expect.poll(() => page.locator("#model-outcome").textContent()).toContain("1.1.0 is active");
    await page.getByRole("button", { name: "Roll back to acme-credit 1.0.0" }).click();
    await expect.poll(() => page.locator("#model-outcome").textContent()).toContain("rolled back to 1.0.0");
    await shot("models");
  });

  it("shows holdings and a performance chart drawn in SVG", async () => {
    await openView("portfolios", "Portfolios");
    await page.locator("svg.chart rect").first().waitFor();
    expect(await page.locator("svg.chart rect").count()).toBe(8);
    expect(await page.getByRole("table").first().textContent()).toContain("125.5");
    await shot("portfolios");
  });

  it("resumes the session after a reload from the HttpOnly cookie, and signs out", async () => {
    await page.reload();
    await expect.poll(() => focused()).toBe("H1 Portfolios");
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(() => focused()).toBe("H1 Sign in");
    await page.reload();
    await expect.poll(() => focused()).toBe("H1 Sign in");
  });

  it("ran without a CSP violation or a script error", () => {
    expect(problems.filter((p) => !p.includes("Failed to load resource"))).toEqual([]);
  });
});
