/**
 * Tooling for secrets at rest (TOTP secrets and e-mail bodies sealed under SECRETS_ENCRYPTION_KEYS; backup
 * codes peppered under BACKUP_CODE_PEPPER). Both secrets are key rings: {"current": kid, "keys": {kid: base64}}.
 *
 *   npm run secrets:generate             prints a new ring (one fresh 256-bit key) - for either secret
 *   npm run secrets:add-key < ring.json  prints the ring with a fresh key added and made current; older keys
 *                                        stay so values under them remain readable
 *   npm run secrets:encrypt              seals every value still stored in the clear (stage 2 of the move)
 *   npm run secrets:rotate               re-seals every value not under the current key, plaintext included
 *   npm run secrets:status               counts values by key id (and plaintext), unused backup codes by pepper
 *
 * encrypt, rotate and status work on DATABASE_URL (a *.neon.tech URL directly, any other Postgres through a
 * loopback relay), with the ring in SECRETS_ENCRYPTION_KEYS. Ring output is key material: pipe it to
 * `wrangler secret put`, never to a shared place.
 */
import { type Client, neonConfig, Pool } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import ws from "ws";
import type { Database } from "../src/db/client";
import { routeThroughRelay } from "../src/db/driver";
import { countBackupCodesByPepper, countByKey } from "../src/db/repositories/sealed-values.repository";
import { addKey, generateKeyRing, parseKeyRing } from "../src/services/crypto/key-ring";
import { resealAll } from "../src/services/crypto/reseal";
import { importSealingKeys } from "../src/services/crypto/sealed";
import { SEALED_COLUMNS } from "../src/services/crypto/secrets-at-rest";
import { isNeonUrl } from "./migrate";
import { startRelay } from "./relay";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** Runs `work` on DATABASE_URL in platform scope (the rows of every tenant), then closes everything. */
async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const url = process.env.DATABASE_URL;
  if (!url) fail("DATABASE_URL is not set: export the connection string of the database.");
  neonConfig.webSocketConstructor = ws;
  neonConfig.coalesceWrites = false;
  const relay = isNeonUrl(url) ? undefined : await startRelay({ allowedHosts: [new URL(url).hostname] });
  if (relay) routeThroughRelay(relay.address);
  const pool = new Pool({ connectionString: url, max: 1 });
  // Row-level security is forced even for the tables' owner: platform scope lets this connection see
  // every tenant's rows, as the Worker's authentication paths do.
  pool.on("connect", (client: Client) => {
    client.query("SET finedge.scope = 'platform'").catch(() => client.end().catch(() => undefined));
  });
  try {
    return await work(drizzle({ client: pool }));
  } finally {
    await pool.end();
    await relay?.close();
  }
}

function sealingRing() {
  const json = process.env.SECRETS_ENCRYPTION_KEYS;
  if (!json) fail("SECRETS_ENCRYPTION_KEYS is not set: export the key ring the Worker uses.");
  try {
    return parseKeyRing("SECRETS_ENCRYPTION_KEYS", json);
  } catch (error) {
    fail((error as Error).message);
  }
}

async function reseal(mode: "plaintext" | "rotate") {
  const keys = await importSealingKeys(sealingRing());
  const started = Date.now();
  const results = await withDatabase((db) =>
    resealAll(db, keys, {
      mode,
      onFailure: (column, id, error) =>
        console.error(`${column} row ${id}: ${(error as Error).message} - left as it is`),
    }),
  );
  for (const r of results) {
    console.log(
      `${r.column}: ${r.sealed} sealed under ${keys.currentKid}, ${r.skipped} changed meanwhile, ${r.failed} unreadable`,
    );
  }
  console.log(`done in ${Date.now() - started} ms`);
  if (results.some((r) => r.failed > 0)) process.exitCode = 1;
}

const command = process.argv[2];
if (command === "generate") {
  process.stdout.write(`${JSON.stringify(generateKeyRing())}\n`);
} else if (command === "add-key") {
  let ring: ReturnType<typeof parseKeyRing>;
  try {
    ring = parseKeyRing("the ring on stdin", (await readStdin()).trim());
  } catch (error) {
    fail((error as Error).message);
  }
  process.stdout.write(`${JSON.stringify(addKey(ring))}\n`);
} else if (command === "encrypt") {
  await reseal("plaintext");
} else if (command === "rotate") {
  await reseal("rotate");
} else if (command === "status") {
  await withDatabase(async (db) => {
    for (const column of SEALED_COLUMNS)
      console.log(`${column.name}: ${JSON.stringify(await countByKey(db, column))}`);
    console.log(`backup_codes.code_hash (unused): ${JSON.stringify(await countBackupCodesByPepper(db))}`);
  });
} else {
  fail("usage: secrets-cli.ts generate | add-key < ring.json | encrypt | rotate | status");
}
