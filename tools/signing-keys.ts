/**
 * Local JWT signing keys: a key set kept in a git-ignored file so tokens survive `npm run dev` restarts,
 * and fresh key sets for the test suites. Production keys are a Worker secret (`JWT_SIGNING_KEYS`).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { generateSigningKey, loadSigningKeys } from "../src/services/auth/keys";

/** A JSON array of `count` new private Ed25519 JWKs, current first, as `JWT_SIGNING_KEYS` expects. */
export async function generateSigningKeySet(count = 2): Promise<string> {
  if (!Number.isInteger(count) || count < 1) throw new RangeError("count must be a positive integer");
  const keys = [];
  for (let i = 0; i < count; i++) keys.push(await generateSigningKey());
  return JSON.stringify(keys);
}

/** Reads the key set in `file`, or creates it (current + previous key, mode 0600); returns its JSON. */
export async function ensureDevSigningKeys(file: string): Promise<string> {
  const existing = await readKeySet(file);
  if (existing !== undefined) return existing;
  const json = await generateSigningKeySet(2);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  try {
    // Private keys: readable by the owner only; `wx` never overwrites a set another process just wrote.
    await writeFile(file, json, { mode: 0o600, flag: "wx" });
    return json;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const raced = await readKeySet(file);
    if (raced === undefined) throw error;
    return raced;
  }
}

async function readKeySet(file: string): Promise<string | undefined> {
  let json: string;
  try {
    json = (await readFile(file, "utf8")).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  // A broken file fails here, naming the file, rather than as a 503 from the Worker later.
  try {
    await loadSigningKeys(json);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message} - delete the file to generate a new key set`);
  }
  return json;
}
