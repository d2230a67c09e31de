import { spawn } from "node:child_process";
import { type Client, neonConfig, Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { routeThroughRelay } from "../../src/db/driver";
import { parseKeyRing } from "../../src/services/crypto/key-ring";
import { importSealingKeys, open, sealedKeyId } from "../../src/services/crypto/sealed";
import { totpSecretContext } from "../../src/services/crypto/secrets-at-rest";
import { type LocalPostgres, startEmbeddedPostgres } from "../../tools/embedded-postgres";
import { applyMigrations } from "../../tools/migrate";
import { type Relay, startRelay } from "../../tools/relay";

let postgres: LocalPostgres;
let relay: Relay;
let pool: Pool;

/** Runs the CLI in a child process (the embedded Postgres lives in this one, so never synchronously). */
function cli(command: string, env: Record<string, string> = {}, input = "") {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "tools/secrets-cli.ts", command], {
      env: { ...process.env, DATABASE_URL: postgres.url, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.stdin.end(input);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

beforeAll(async () => {
  postgres = await startEmbeddedPostgres();
  relay = await startRelay({ allowedHosts: ["127.0.0.1"] });
  await applyMigrations(postgres.url, relay.address);
  neonConfig.webSocketConstructor = ws;
  routeThroughRelay(relay.address);
  pool = new Pool({ connectionString: postgres.url, max: 1 });
  pool.on("connect", (client: Client) => void client.query("SET finedge.scope = 'platform'"));
});

afterAll(async () => {
  await pool?.end();
  await relay?.close();
  await postgres?.close();
});

describe("npm run secrets:*", () => {
  it("generates a ring, seals plaintext rows, adds a key and rotates every value to it", async () => {
    const { rows: tenants } = await pool.query("insert into tenants (name) values ('cli') returning id");
    const { rows } = await pool.query(
      "insert into users (tenant_id, email, role, totp_secret) values ($1, 'cli@example.com', 'viewer', $2) returning id",
      [tenants[0].id, SECRET],
    );
    const userId = rows[0].id as string;
    const stored = async () =>
      (await pool.query("select totp_secret from users where id = $1", [userId])).rows[0]
        .totp_secret as string;

    const generated = await cli("generate");
    expect(generated.code).toBe(0);
    const ring = parseKeyRing("generated", generated.stdout.trim());

    expect((await cli("encrypt")).code).toBe(2); // no ring, nothing touched
    expect(await stored()).toBe(SECRET);

    const encrypt = await cli("encrypt", { SECRETS_ENCRYPTION_KEYS: generated.stdout.trim() });
    expect(encrypt.stdout).toContain(`users.totp_secret: 1 sealed under ${ring.current}`);
    const sealed = await stored();
    expect(sealedKeyId(sealed)).toBe(ring.current);
    expect(await open(await importSealingKeys(ring), sealed, totpSecretContext(userId))).toBe(SECRET);

    const added = await cli("add-key", {}, generated.stdout);
    const next = parseKeyRing("added", added.stdout.trim());
    expect(next.current).not.toBe(ring.current);
    expect(next.keys[ring.current]).toBe(ring.keys[ring.current]);

    const rotate = await cli("rotate", { SECRETS_ENCRYPTION_KEYS: added.stdout.trim() });
    expect(rotate.code).toBe(0);
    expect(rotate.stdout).toContain(`users.totp_secret: 1 sealed under ${next.current}`);
    const rotated = await stored();
    expect(sealedKeyId(rotated)).toBe(next.current);
    expect(await open(await importSealingKeys(next), rotated, totpSecretContext(userId))).toBe(SECRET);

    const status = await cli("status");
    expect(status.stdout).toContain(`users.totp_secret: {"${next.current}":1}`);
  });
});
