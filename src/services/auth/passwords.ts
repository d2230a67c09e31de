import { Buffer } from "node:buffer";
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { dictionary } from "@zxcvbn-ts/language-common";

/** Why a password is refused; `message` is safe to show to the user. */
export type PasswordProblem = {
  code: "too_short" | "too_long" | "common" | "contains_email";
  message: string;
};

/** Outcome of checking a password against a stored hash. */
export type PasswordVerification = { valid: boolean; needsRehash: boolean };

/** scrypt parameters for new hashes: OWASP's N=2^14 r=8 p=5 (N*r*p within workerd's 2^20 cap). */
export const PASSWORD_HASH_PARAMS = Object.freeze({ ln: 14, r: 8, p: 5, saltBytes: 16, keyBytes: 32 });

/** The parameters new hashes are made with (and older ones upgraded to on sign-in). */
export type PasswordHashParams = Readonly<{
  ln: number;
  r: number;
  p: number;
  saltBytes: number;
  keyBytes: number;
}>;

const byCost = new Map<number, PasswordHashParams>([[PASSWORD_HASH_PARAMS.ln, PASSWORD_HASH_PARAMS]]);

/**
 * The parameters a deployment hashes with: always the standard ones, except that a test run may lower the
 * cost (`PASSWORD_HASH_LOG2_N`, refused outside ENVIRONMENT=test by the configuration) - its suites sign up
 * thousands of accounts on a small machine, and the algorithm, the encoding and the checks stay the same.
 */
export function hashingOf(config: { PASSWORD_HASH_LOG2_N: number }): PasswordHashParams {
  const ln = config.PASSWORD_HASH_LOG2_N;
  let params = byCost.get(ln);
  if (!params) {
    params = Object.freeze({ ...PASSWORD_HASH_PARAMS, ln });
    byCost.set(ln, params);
  }
  return params;
}

// ASVS 6.2.1 / 6.2.9: at least 8, and well over 64 allowed; the cap bounds the KDF input.
const MIN_LENGTH = 8;
const MAX_LENGTH = 128;

// 32 MiB admits both OWASP settings that fit workerd (N=2^14 r=8, N=2^15 r=8).
const MAX_SCRYPT_MEMORY = 32 * 1024 * 1024;

let commonPasswords: Set<string> | undefined;

// Built on first use so isolates that never see a password do not pay for ~49k entries.
function isCommonPassword(lowerCased: string): boolean {
  commonPasswords ??= new Set(dictionary["passwords-common"]);
  return commonPasswords.has(lowerCased);
}

/** Checks a candidate password against ASVS 6.2 (length, common list, e-mail); null means acceptable. */
export function checkPasswordPolicy(password: string, context?: { email?: string }): PasswordProblem | null {
  const normalised = password.normalize("NFC");
  // Code points, not UTF-16 units: an emoji is one character to the person typing it.
  const length = [...normalised].length;
  if (length < MIN_LENGTH) {
    return { code: "too_short", message: `Use at least ${MIN_LENGTH} characters.` };
  }
  if (length > MAX_LENGTH) {
    return { code: "too_long", message: `Use at most ${MAX_LENGTH} characters.` };
  }
  const lowerCased = normalised.toLowerCase();
  const email = context?.email?.normalize("NFC").toLowerCase();
  const at = email?.lastIndexOf("@") ?? -1;
  if (email && (lowerCased === email || (at > 0 && lowerCased === email.slice(0, at)))) {
    return { code: "contains_email", message: "Do not use your e-mail address as your password." };
  }
  if (isCommonPassword(lowerCased)) {
    return { code: "common", message: "This password is too common; choose another." };
  }
  return null;
}

type ScryptHash = { ln: number; r: number; p: number; salt: Buffer; hash: Buffer };

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64").replace(/=+$/, "");

function encode({ ln, r, p, salt, hash }: ScryptHash): string {
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(hash)}`;
}

const PHC_PATTERN =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{22,88})\$([A-Za-z0-9+/]{22,88})$/;

function decode(stored: string): ScryptHash | null {
  const match = PHC_PATTERN.exec(stored);
  if (!match) return null;
  const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const salt = Buffer.from(match[4] as string, "base64");
  const hash = Buffer.from(match[5] as string, "base64");
  // workerd refuses N*r*p > 2^20 and an isolate has 128 MB; a stored string asking for more is corrupt.
  if (ln < 1 || r < 1 || p < 1 || 2 ** ln * r * p > 2 ** 20 || 128 * 2 ** ln * r > MAX_SCRYPT_MEMORY)
    return null;
  // scrypt output is a prefix-stable stream, so a shortened hash would still match: demand 256 bits.
  if (salt.length < 16 || hash.length < 32 || hash.length > 64) return null;
  return { ln, r, p, salt, hash };
}

function derive(password: string, salt: Uint8Array, ln: number, r: number, p: number, keyBytes: number) {
  const N = 2 ** ln;
  // scrypt needs 128*N*r bytes; twice that leaves room and stays far below the 128 MB isolate.
  const maxmem = 256 * N * r;
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, keyBytes, { N, r, p, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Hashes a password with scrypt and returns a PHC string carrying algorithm, parameters and salt. */
export async function hashPassword(
  password: string,
  params: PasswordHashParams = PASSWORD_HASH_PARAMS,
): Promise<string> {
  const { ln, r, p, saltBytes, keyBytes } = params;
  const salt = randomBytes(saltBytes);
  const hash = await derive(password, salt, ln, r, p, keyBytes);
  return encode({ ln, r, p, salt, hash });
}

// Same parameters as real hashes, so an unknown account costs the same scrypt work (ASVS 6.3.8).
const dummyHash = (params: PasswordHashParams): ScryptHash => ({
  ...params,
  salt: Buffer.alloc(params.saltBytes, 0x5a),
  hash: Buffer.alloc(params.keyBytes, 0xa5),
});

/** Verifies a password in constant time; a null or malformed `stored` does the same work and fails. */
export async function verifyPassword(
  password: string,
  stored: string | null,
  params: PasswordHashParams = PASSWORD_HASH_PARAMS,
): Promise<PasswordVerification> {
  const parsed = stored === null ? null : decode(stored);
  const target = parsed ?? dummyHash(params);
  const key = await derive(password, target.salt, target.ln, target.r, target.p, target.hash.length);
  const matches = timingSafeEqual(key, target.hash);
  if (!parsed || !matches) return { valid: false, needsRehash: false };
  const current = params;
  const needsRehash =
    parsed.ln !== current.ln ||
    parsed.r !== current.r ||
    parsed.p !== current.p ||
    parsed.salt.length !== current.saltBytes ||
    parsed.hash.length !== current.keyBytes;
  return { valid: true, needsRehash };
}
