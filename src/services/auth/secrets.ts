import { toBase64Url } from "../crypto/base64url";

// Web Crypto only: these helpers run per request and need nothing from node:crypto.

// No 0/o, 1/l/i: backup codes are read off paper and typed by hand.
const BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
const BACKUP_CODE_GROUPS = 3;
const BACKUP_CODE_GROUP_LENGTH = 4;

/** A random base64url token of `bytes` CSPRNG bytes (256 bits by default). */
export function generateOpaqueToken(bytes = 32): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** SHA-256 hex of a high-entropy token, for storage and lookup; never use it for passwords. */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// Rejection sampling: taking byte % alphabet.length would favour the first characters.
function randomString(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** Fresh single-use backup codes like `abcd-efgh-jkmn`: 12 characters of 31, about 59 bits each. */
export function generateBackupCodes(count = 10): string[] {
  const codes = new Set<string>();
  // A repeat is astronomically unlikely, but a duplicate would silently shrink the set the user holds.
  while (codes.size < count) {
    const raw = randomString(BACKUP_CODE_ALPHABET, BACKUP_CODE_GROUPS * BACKUP_CODE_GROUP_LENGTH);
    const groups = raw.match(new RegExp(`.{${BACKUP_CODE_GROUP_LENGTH}}`, "g")) ?? [];
    codes.add(groups.join("-"));
  }
  return [...codes];
}

/** The canonical form of a typed backup code (lower-case, no spaces or dashes); hash this form. */
export function normalizeBackupCode(input: string): string {
  return input.toLowerCase().replace(/[\s-]/g, "");
}

/** Compares two strings without an early exit, so the time taken does not reveal where they differ. */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  // Walk the longer input in full; the length difference still makes the result false.
  let difference = left.length ^ right.length;
  const length = Math.max(left.length, right.length);
  for (let i = 0; i < length; i++) difference |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return difference === 0;
}
