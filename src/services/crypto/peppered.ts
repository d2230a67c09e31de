/**
 * Peppered hashes: HMAC-SHA-256 under a secret pepper kept outside the database, stored as
 * `h1.<pepper id>.<base64url mac>`. A database dump alone gives nothing to brute-force (the pepper is a
 * Worker secret); the pepper id lets the pepper rotate - values hashed under an older pepper still match
 * while that pepper stays in the ring.
 */
import { fromBase64, type KeyRingSpec } from "./key-ring";

export const PEPPERED_PREFIX = "h1.";

/** The imported peppers of a ring: the current one hashes new values, every one is tried on lookup. */
export interface PepperKeys {
  currentId: string;
  keys: ReadonlyMap<string, CryptoKey>;
}

const encoder = new TextEncoder();
const imported = new WeakMap<KeyRingSpec, Promise<PepperKeys>>();

/** Imports a ring's peppers as non-extractable HMAC-SHA-256 keys, once per parsed ring. */
export function importPepperKeys(ring: KeyRingSpec): Promise<PepperKeys> {
  let keys = imported.get(ring);
  if (!keys) {
    keys = (async () => {
      const map = new Map<string, CryptoKey>();
      for (const [id, material] of Object.entries(ring.keys)) {
        const bytes = fromBase64(material);
        if (!bytes) throw new Error(`pepper ${id} is not base64`);
        map.set(
          id,
          await crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
        );
      }
      return { currentId: ring.current, keys: map };
    })();
    imported.set(ring, keys);
  }
  return keys;
}

async function mac(id: string, key: CryptoKey, message: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const encoded = btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${PEPPERED_PREFIX}${id}.${encoded}`;
}

/** The stored form of `message` under the current pepper. */
export async function pepperedHash(keys: PepperKeys, message: string): Promise<string> {
  const key = keys.keys.get(keys.currentId);
  if (!key) throw new Error(`the current pepper ${keys.currentId} is not in the ring`);
  return mac(keys.currentId, key, message);
}

/** The stored forms `message` may have, one per pepper in the ring (current first), for an exact lookup. */
export async function pepperedCandidates(keys: PepperKeys, message: string): Promise<string[]> {
  const ids = [keys.currentId, ...[...keys.keys.keys()].filter((id) => id !== keys.currentId)];
  return Promise.all(ids.map((id) => mac(id, keys.keys.get(id) as CryptoKey, message)));
}

/** The pepper id a stored hash names, or undefined for a legacy (unpeppered) hash. */
export const pepperId = (stored: string): string | undefined =>
  /^h1\.([A-Za-z0-9_-]{1,64})\./.exec(stored)?.[1];
