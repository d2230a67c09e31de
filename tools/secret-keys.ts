/**
 * Local key rings for secrets at rest (`SECRETS_ENCRYPTION_KEYS`, `BACKUP_CODE_PEPPER`): kept in git-ignored
 * files so sealed values written by `npm run dev` stay readable across restarts, and fresh rings for the
 * test suites. In deployed environments both are Worker secrets.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { generateKeyRing, parseKeyRing } from "../src/services/crypto/key-ring";

/** A new key ring's JSON: one fresh 256-bit key, current. */
export const generateKeyRingJson = (): string => JSON.stringify(generateKeyRing());

/** Reads the ring in `file`, or creates it (mode 0600); returns its JSON. `name` labels errors. */
export async function ensureDevKeyRing(file: string, name: string): Promise<string> {
  const existing = await readRing(file, name);
  if (existing !== undefined) return existing;
  const json = generateKeyRingJson();
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  try {
    // Key material: readable by the owner only; `wx` never overwrites a ring another process just wrote.
    await writeFile(file, json, { mode: 0o600, flag: "wx" });
    return json;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const raced = await readRing(file, name);
    if (raced === undefined) throw error;
    return raced;
  }
}

async function readRing(file: string, name: string): Promise<string | undefined> {
  let json: string;
  try {
    json = (await readFile(file, "utf8")).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  // A broken file fails here, naming the file, rather than as a 503 from the Worker later. Deleting it
  // makes values sealed under it unreadable, so the message does not suggest that lightly.
  try {
    parseKeyRing(name, json);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  return json;
}
