/**
 * Sealed values: secrets stored encrypted with AES-256-GCM (Web Crypto, a random 96-bit IV per value) as
 * `v1.<kid>.<iv>.<ciphertext>` (base64url parts; the ciphertext carries GCM's 128-bit tag). The key id
 * says which key of the ring wrote the value, so keys rotate without a flag day.
 *
 * Every value is bound to where it lives by associated data - a `context` such as
 * `users.totp_secret:<user id>`: a value copied into another row, or another column, fails to open.
 */

import { fromBase64Url, toBase64Url } from "./base64url";
import { fromBase64, type KeyRingSpec } from "./key-ring";

/** The prefix of every sealed value of this format; plaintext it replaces never starts with it. */
export const SEALED_PREFIX = "v1.";

const IV_BYTES = 12;
const SEALED_PATTERN = /^v1\.([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;

/** The imported keys of a ring: the current one seals, any of them opens. */
export interface SealingKeys {
  currentKid: string;
  keys: ReadonlyMap<string, CryptoKey>;
}

/** A value that cannot be opened: malformed, under a key the ring no longer has, tampered, or moved. */
export class SealedValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SealedValueError";
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const imported = new WeakMap<KeyRingSpec, Promise<SealingKeys>>();

/** Imports a ring's keys as non-extractable AES-GCM keys, once per parsed ring. */
export function importSealingKeys(ring: KeyRingSpec): Promise<SealingKeys> {
  let keys = imported.get(ring);
  if (!keys) {
    keys = (async () => {
      const map = new Map<string, CryptoKey>();
      for (const [kid, material] of Object.entries(ring.keys)) {
        const bytes = fromBase64(material);
        if (!bytes) throw new Error(`key ${kid} is not base64`);
        map.set(kid, await crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]));
      }
      return { currentKid: ring.current, keys: map };
    })();
    imported.set(ring, keys);
  }
  return keys;
}

/** Whether a stored value is in the sealed format (anything else is legacy plaintext). */
export const isSealed = (value: string): boolean => value.startsWith(SEALED_PREFIX);

/** The key id a sealed value names, or undefined for plaintext or a malformed value. */
export const sealedKeyId = (value: string): string | undefined => SEALED_PATTERN.exec(value)?.[1];

/** Encrypts `plaintext` under the current key, bound to `context`. */
export async function seal(keys: SealingKeys, plaintext: string, context: string): Promise<string> {
  const key = keys.keys.get(keys.currentKid);
  if (!key) throw new SealedValueError(`the current key ${keys.currentKid} is not in the ring`);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
    key,
    encoder.encode(plaintext),
  );
  return `${SEALED_PREFIX}${keys.currentKid}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ciphertext))}`;
}

/** Decrypts a sealed value written for `context`; throws SealedValueError on any mismatch. */
export async function open(keys: SealingKeys, value: string, context: string): Promise<string> {
  const match = SEALED_PATTERN.exec(value);
  if (!match) throw new SealedValueError("the value is not a sealed value");
  const [, kid, iv, ciphertext] = match as unknown as [string, string, string, string];
  const key = keys.keys.get(kid);
  if (!key) throw new SealedValueError(`the value was sealed under key ${kid}, which the ring does not have`);
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64Url(iv), additionalData: encoder.encode(context) },
      key,
      fromBase64Url(ciphertext),
    );
  } catch {
    // GCM says only "does not authenticate": a wrong key, another row's value, or tampering look alike.
    throw new SealedValueError(`the value does not open under key ${kid} for this record`);
  }
  return decoder.decode(plaintext);
}

/** A stored value as plaintext: sealed values are opened, legacy plaintext passes through. */
export async function openOrPlain(keys: SealingKeys, value: string, context: string): Promise<string> {
  return isSealed(value) ? open(keys, value, context) : value;
}
